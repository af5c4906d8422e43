using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinyGru.Model;
using Xunit;

namespace TinyGru.Generator.Tests;

/// <summary>Every misuse is a TGRU diagnostic at a useful location; no exception ever escapes (CS8785).</summary>
public class GeneratorDiagnosticsTests
{
    private static readonly string Tiny = GeneratorHarness.Fixture("gru_tiny.safetensors");

    private static Diagnostic Single(string source, IEnumerable<string> models, string id, LanguageVersion language = LanguageVersion.CSharp12)
    {
        var (run, diagnostics, _) = GeneratorHarness.Run(source, models, language);
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Empty(run.GeneratedTrees);
        return d;
    }

    [Fact]
    public void GeneratedCodeCompilesWithoutDiagnostics()
    {
        var (run, diagnostics, compiled) = GeneratorHarness.Run(
            "namespace App { [TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct M { } }", new[] { Tiny });
        Assert.Empty(diagnostics);
        Assert.Single(run.GeneratedTrees);
        Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void NotPartial()
    {
        const string source = "[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public struct M { }";
        var d = Single(source, new[] { Tiny }, "TGRU001");
        Assert.Contains("'M' must be declared partial", d.GetMessage());
        var span = d.Location.GetLineSpan();
        Assert.Equal("Models.cs", span.Path);
        Assert.Equal(source.IndexOf("M {", StringComparison.Ordinal), span.StartLinePosition.Character); // the identifier
        Assert.Equal(1, d.Location.SourceSpan.Length);
    }

    [Fact]
    public void ContainingTypeNotPartial()
    {
        var d = Single("public class Outer { [TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct M { } }", new[] { Tiny }, "TGRU001");
        Assert.Contains("'Outer' must be declared partial", d.GetMessage());
    }

    [Fact]
    public void ModelFileNotInAdditionalFiles()
    {
        var d = Single("[TinyGru.TinyGruModel(\"models/gesture.safetensors\")] public partial struct M { }", new[] { Tiny }, "TGRU002");
        Assert.Contains("Model file 'models/gesture.safetensors' is not an AdditionalFiles item", d.GetMessage());
        Assert.Contains("<AdditionalFiles Include=\"models/gesture.safetensors\" />", d.GetMessage());
        Assert.Contains("model files it has: gru_tiny.safetensors", d.GetMessage());
    }

    [Fact]
    public void InvalidModelFileIsReportedInTheModelFile()
    {
        var dir = Directory.CreateTempSubdirectory("tinygru-gen");
        try
        {
            var bad = Path.Combine(dir.FullName, "broken.safetensors");
            File.WriteAllBytes(bad, new byte[] { 100, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}' });
            var d = Single("[TinyGru.TinyGruModel(\"broken.safetensors\")] public partial struct M { }", new[] { bad }, "TGRU003");
            Assert.Equal("broken.safetensors: the header length is 100 bytes but only 2 bytes follow it; the file is truncated or not safetensors", d.GetMessage());
            Assert.Equal(bad, d.Location.GetLineSpan().Path);
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("keras_reset_after.keras", "convert it first with `tinygru convert MODEL.keras -o model.safetensors`")]
    [InlineData("keras_embedding_legacy.h5", "convert it first with `tinygru convert MODEL.keras -o model.safetensors`")]
    public void ModelsBeyondTheEmittersAreRefusedWithTgru003(string file, string message)
    {
        var d = Single($"[TinyGru.TinyGruModel(\"{file}\")] public partial struct M {{ }}", new[] { GeneratorHarness.Fixture(file) }, "TGRU003");
        Assert.Contains(message, d.GetMessage());
        Assert.DoesNotContain('\n', d.GetMessage());
    }

    [Theory]
    [InlineData("gru_mlp_softmax.onnx", "Head: 2 dense layers x_(d+1) = act_d(W_d·x_d + b_d): [32, 16] tanh → [6, 32] softmax.")]
    [InlineData("gru_mlp_head.onnx", "Head: 2 dense layers x_(d+1) = act_d(W_d·x_d + b_d): [16, 24] relu → [3, 16] none.")]
    [InlineData("gru_embedding.onnx", "public void Step(int token, global::System.Span<float> output)")]
    public void ModelsOfTheGrownDescriptionGenerateCleanCode(string file, string expected)
    {
        // Dense MLP heads and token models are not refused (in any precision).
        var (run, diagnostics, compiled) = GeneratorHarness.Run(
            $"namespace App {{ [TinyGru.TinyGruModel(\"{file}\")] public partial struct M {{ }} }}", new[] { GeneratorHarness.Fixture(file) });
        Assert.Empty(diagnostics);
        Assert.Contains(expected, Assert.Single(run.GeneratedTrees).ToString());
        Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Theory]
    [InlineData("gru_mlp_head.onnx", "private static void Dense0(ref short x, ref short y)")]
    [InlineData("gru_embedding.onnx", "public void Step(int token, global::System.Span<float> output)")]
    [InlineData("keras_gru_hard_sigmoid/model.json", "private static int HardSigmoid(int x)")]
    public void IntegerOnlyInt8OfTheGrownDescriptionGeneratesCleanCode(string file, string expected)
    {
        // quantize --precision int8 of each grown fixture, then the generator over the written file: no TGRU003, no warnings.
        var model = TinyGru.Model.ModelLoader.Load(GeneratorHarness.Fixture(file));
        var q = TinyGru.Model.Quantization.ModelQuantizer.Quantize(model, TinyGru.Model.Quantization.ModelPrecision.Int8,
            model.IsTokenInput ? null : new TinyGru.Model.Quantization.CalibrationRange(-2, 2, 1));
        string dir = Path.Combine(Path.GetTempPath(), "tinygru-gen-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "grown_int8.safetensors");
            File.WriteAllBytes(path, TinyGru.Model.TinyGruModelFile.Serialize(q));
            var (run, diagnostics, compiled) = GeneratorHarness.Run(
                "namespace App { [TinyGru.TinyGruModel(\"grown_int8.safetensors\")] public partial struct M { } }", new[] { path });
            Assert.Empty(diagnostics);
            var text = Assert.Single(run.GeneratedTrees).ToString();
            Assert.Contains("Precision int8 (integer-only", text);
            Assert.Contains(expected, text);
            Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void QuantizedModelsGenerateCleanCode()
    {
        // int8-weights: 7,552 bytes of shared matrices + 2,624 of the 128-bit path's own copies of W and U_rz (cut per pass)
        foreach (var (file, precision) in new[] { ("gru_small_int8.safetensors", "Precision int8 (integer-only"), ("gru_small_int8w.safetensors", "Precision int8-weights: embedded as 10,176 bytes of int8 (sbyte) weights") })
        {
            var (run, diagnostics, compiled) = GeneratorHarness.Run(
                $"namespace App {{ [TinyGru.TinyGruModel(\"{file}\")] public partial struct M {{ }} }}", new[] { GeneratorHarness.Fixture(file) });
            Assert.Empty(diagnostics);
            Assert.Contains(precision, Assert.Single(run.GeneratedTrees).ToString());
            Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }
    }

    [Fact]
    public void Int8ModelTooLargeForTheNetTarget()
    {
        var dir = Directory.CreateTempSubdirectory("tinygru-gen");
        try
        {
            // 3·512·3000 + 3·512·512 int8 weights: 5.4 MB, above the 4 MiB the .NET target embeds.
            int h = 512, i = 3000;
            var layer = new GruLayerSpec(i, h, Enumerable.Repeat(0.001f, 3 * h * i).ToArray(), Enumerable.Repeat(0.001f, 3 * h * h).ToArray(), new float[3 * h], new float[3 * h]);
            var model = TinyGru.Model.Quantization.ModelQuantizer.Quantize(new GruModel(GateConvention.ResetAfter, new[] { layer }),
                TinyGru.Model.Quantization.ModelPrecision.Int8, new TinyGru.Model.Quantization.CalibrationRange(-1, 1, 1));
            var path = Path.Combine(dir.FullName, "huge_int8.safetensors");
            File.WriteAllBytes(path, TinyGruModelFile.Serialize(model));
            var d = Single("[TinyGru.TinyGruModel(\"huge_int8.safetensors\")] public partial struct M { }", new[] { path }, "TGRU006");
            Assert.Contains("bytes of int8 weights; the .NET target embeds at most 4194304", d.GetMessage());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void SeriesTransformIsGeneratedForDotNetAndNanoFramework()
    {
        var dir = Directory.CreateTempSubdirectory("tinygru-gen");
        try
        {
            var model = ModelLoader.Load(Tiny);
            var path = Path.Combine(dir.FullName, "differenced.safetensors");
            File.WriteAllBytes(path, TinyGruModelFile.Serialize(model.WithSeriesTransform(SeriesTransform.Difference(model.InputSize, new[] { 0, 1, 2, -1 }))));
            var (run, diagnostics, compiled) = GeneratorHarness.Run("[TinyGru.TinyGruModel(\"differenced.safetensors\")] public partial struct M { }", new[] { path });
            Assert.Empty(diagnostics);
            Assert.Contains("private void SeriesApply(", Assert.Single(run.GeneratedTrees).ToString());
            Assert.Empty(compiled.Where(c => c.Severity >= DiagnosticSeverity.Warning));

            var (nanoRun, nanoDiagnostics, nanoCompiled) = GeneratorHarness.Run("[TinyGru.TinyGruModel(\"differenced.safetensors\")] partial class M { }", new[] { path },
                LanguageVersion.CSharp9, new Dictionary<string, string> { ["TinyGruTarget"] = "nanoframework" });
            Assert.Empty(nanoDiagnostics);
            Assert.Contains("private void SeriesApply(float[] raw, float[] network)", Assert.Single(nanoRun.GeneratedTrees).ToString());
            Assert.Empty(nanoCompiled.Where(c => c.Severity >= DiagnosticSeverity.Warning));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void AmbiguousFileName()
    {
        var dir = Directory.CreateTempSubdirectory("tinygru-gen");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "a"));
            Directory.CreateDirectory(Path.Combine(dir.FullName, "b"));
            var a = Path.Combine(dir.FullName, "a", "m.safetensors");
            var b = Path.Combine(dir.FullName, "b", "m.safetensors");
            File.Copy(Tiny, a);
            File.Copy(Tiny, b);
            var d = Single("[TinyGru.TinyGruModel(\"m.safetensors\")] public partial struct M { }", new[] { a, b }, "TGRU004");
            Assert.Contains("matches several AdditionalFiles items", d.GetMessage());

            // The folder disambiguates.
            var (run, diagnostics, _) = GeneratorHarness.Run("[TinyGru.TinyGruModel(\"b/m.safetensors\")] public partial struct M { }", new[] { a, b });
            Assert.Empty(diagnostics);
            Assert.Single(run.GeneratedTrees);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void OldLanguageVersion()
    {
        var d = Single("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct M { }", new[] { Tiny }, "TGRU005", LanguageVersion.CSharp11);
        Assert.Contains("C# 12 or later", d.GetMessage());
    }

    [Fact]
    public void Int8WeightsModelIsLimitedByBytesNotFloats()
    {
        var dir = Directory.CreateTempSubdirectory("tinygru-gen");
        try
        {
            // H = 600: 1.08 M weights, above the float limit of 2^20 but 1 MiB as int8: generated.
            // H = 1200: 4.32 M weights, above the 4 MiB the .NET target embeds: TGRU006.
            foreach (var (h, name) in new[] { (600, "wide_int8w.safetensors"), (1200, "huge_int8w.safetensors") })
            {
                var layer = new GruLayerSpec(1, h, Enumerable.Repeat(0.001f, 3 * h).ToArray(), Enumerable.Repeat(0.001f, 3 * h * h).ToArray(), new float[3 * h], new float[3 * h]);
                var model = TinyGru.Model.Quantization.ModelQuantizer.Quantize(new GruModel(GateConvention.ResetAfter, new[] { layer }),
                    TinyGru.Model.Quantization.ModelPrecision.Int8Weights, new TinyGru.Model.Quantization.CalibrationRange(-1, 1, 1));
                File.WriteAllBytes(Path.Combine(dir.FullName, name), TinyGruModelFile.Serialize(model));
            }
            // The generator only: compiling a million literals would take a minute and prove nothing more here.
            var run = GeneratorHarness.Driver(new[] { Path.Combine(dir.FullName, "wide_int8w.safetensors") })
                .RunGenerators(GeneratorHarness.Compilation("[TinyGru.TinyGruModel(\"wide_int8w.safetensors\")] public partial struct M { }")).GetRunResult();
            Assert.Empty(run.Diagnostics);
            Assert.Contains("ReadOnlySpan<sbyte> Layer0RecurrentNWeights", Assert.Single(run.GeneratedTrees).ToString());
            var d = Single("[TinyGru.TinyGruModel(\"huge_int8w.safetensors\")] public partial struct M { }", new[] { Path.Combine(dir.FullName, "huge_int8w.safetensors") }, "TGRU006");
            Assert.Contains("bytes of embedded int8 weights, scales and biases; the .NET target embeds at most 4194304", d.GetMessage());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ModelTooLargeForTheNetTarget()
    {
        var dir = Directory.CreateTempSubdirectory("tinygru-gen");
        try
        {
            int h = 600;
            var layer = new GruLayerSpec(1, h, new float[3 * h], new float[3 * h * h], new float[3 * h], new float[3 * h]);
            var path = Path.Combine(dir.FullName, "huge.safetensors");
            File.WriteAllBytes(path, TinyGruModelFile.Serialize(new GruModel(GateConvention.ResetAfter, new[] { layer })));
            var d = Single("[TinyGru.TinyGruModel(\"huge.safetensors\")] public partial struct M { }", new[] { path }, "TGRU006");
            Assert.Contains("embedded weights; the .NET target embeds at most 1048576", d.GetMessage());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void GenericType() =>
        Assert.Contains("must not have type parameters",
            Single("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct M<T> { }", new[] { Tiny }, "TGRU007").GetMessage());

    [Fact]
    public void EmptyPath() =>
        Single("[TinyGru.TinyGruModel(\"\")] public partial struct M { }", new[] { Tiny }, "TGRU008");

    [Fact]
    public void StaticClass() =>
        Assert.Contains("must be a non-static class",
            Single("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public static partial class M { }", new[] { Tiny }, "TGRU009").GetMessage());

    [Fact]
    public void RefStruct() =>
        Single("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public ref partial struct M { }", new[] { Tiny }, "TGRU009");

    public static TheoryData<string, string, string, bool> NativeAotCases() => new()
    {
        { "true", "", "linux-x64", true },     // the default x86-64-v2 publish: 128-bit path
        { "true", "", "", true },              // no RuntimeIdentifier yet (set at publish): still x64 by default
        { "True", "", "win-x64", true },
        { "true", "x86-64-v3", "linux-x64", false },
        { "true", "x86-64-v2", "linux-x64", false }, // chosen on purpose: silent
        { "true", "", "linux-arm64", false },  // ARM64's baseline has AdvSimd
        { "false", "", "linux-x64", false },
        { "", "", "", false },
    };

    [Theory]
    [MemberData(nameof(NativeAotCases))]
    public void NativeAotPublishWithoutInstructionSetGetsAnInfo(string publishAot, string instructionSet, string runtime, bool expected)
    {
        var properties = new Dictionary<string, string> { ["PublishAot"] = publishAot, ["IlcInstructionSet"] = instructionSet, ["RuntimeIdentifier"] = runtime };
        var (run, diagnostics, compiled) = GeneratorHarness.Run("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct M { }", new[] { Tiny },
            buildProperties: properties);
        Assert.Single(run.GeneratedTrees);
        Assert.Empty(compiled.Where(c => c.Severity >= DiagnosticSeverity.Warning));
        var info = diagnostics.Where(d => d.Id == "TGRU023").ToList();
        if (!expected)
        {
            Assert.Empty(info);
            return;
        }
        var d = Assert.Single(info);
        Assert.Equal(DiagnosticSeverity.Info, d.Severity);
        Assert.Contains("x86-64-v2", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("<IlcInstructionSet>x86-64-v3</IlcInstructionSet>", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(diagnostics.Where(x => x.Id != "TGRU023"));
    }

    [Fact]
    public void NativeAotInfoNeedsAModelType()
    {
        var properties = new Dictionary<string, string> { ["PublishAot"] = "true", ["RuntimeIdentifier"] = "linux-x64" };
        var (_, diagnostics, _) = GeneratorHarness.Run("public partial struct M { }", new[] { Tiny }, buildProperties: properties);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void NativeAotInfoIsNotForNanoFramework()
    {
        var properties = new Dictionary<string, string> { ["PublishAot"] = "true", ["TinyGruTarget"] = "nanoframework" };
        var (_, diagnostics, _) = GeneratorHarness.Run("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] partial class M { }", new[] { Tiny },
            LanguageVersion.CSharp9, properties);
        Assert.Empty(diagnostics.Where(d => d.Id == "TGRU023"));
    }
}

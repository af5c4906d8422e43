using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinyGru.CodeGen.NanoFramework;
using TinyGru.Model;
using Xunit;

namespace TinyGru.Generator.Tests;

/// <summary>TinyGruTarget=nanoframework: the generator emits the nanoFramework emitter's code, or a TGRU diagnostic.</summary>
public class GeneratorNanoFrameworkTests
{
    private static readonly string Tiny = GeneratorHarness.Fixture("gru_tiny.safetensors");
    private static readonly Dictionary<string, string> Nano = new() { ["TinyGruTarget"] = "nanoframework" };

    [Fact]
    public void EmitsTheNanoFrameworkCodeForAPartialClassEvenInCSharp9()
    {
        const string source = "namespace Board { [TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial class Gesture { } }";
        var (run, diagnostics, compiled) = GeneratorHarness.Run(source, new[] { Tiny }, LanguageVersion.CSharp9, Nano);
        Assert.Empty(diagnostics);
        string generated = Assert.Single(run.GeneratedTrees).ToString();
        Assert.Contains("sealed partial class Gesture", generated);
        Assert.Contains("public void Step(float[] input, float[] output)", generated);
        Assert.Contains("Weights: inline", generated);
        Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));

        // The same text as the emitter (and so as `tinygru generate --target nanoframework`) for that model and hash.
        var model = ModelLoader.Load(Tiny);
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Tiny)));
        var expected = NanoFrameworkEmitter.Emit(model, new NanoEmitOptions { Namespace = "Board", TypeName = "Gesture", SourceName = "gru_tiny.safetensors", SourceHash = hash, Partial = true });
        Assert.Equal(expected.Source, generated);
    }

    [Fact]
    public void WeightsAndActivationsProperties()
    {
        const string source = "[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] partial class M { }";
        var props = new Dictionary<string, string> { ["TinyGruTarget"] = "NanoFramework", ["TinyGruWeights"] = "arrays", ["TinyGruActivations"] = "managed" };
        var (run, diagnostics, compiled) = GeneratorHarness.Run(source, new[] { Tiny }, LanguageVersion.CSharp9, props);
        Assert.Empty(diagnostics);
        string generated = Assert.Single(run.GeneratedTrees).ToString();
        Assert.Contains("Weights: arrays", generated);
        Assert.DoesNotContain("System.Math.", generated);
        Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    private static Diagnostic Single(string source, IEnumerable<string> models, Dictionary<string, string> props, string id)
    {
        var (run, diagnostics, _) = GeneratorHarness.Run(source, models, LanguageVersion.CSharp9, props);
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Empty(run.GeneratedTrees);
        return d;
    }

    [Fact]
    public void ResourcePlacementIsADiagnostic()
    {
        const string source = "[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] partial class M { }";
        var d = Single(source, new[] { Tiny }, new() { ["TinyGruTarget"] = "nanoframework", ["TinyGruWeights"] = "resource" }, "TGRU010");
        Assert.Contains("tinygru generate MODEL --target nanoframework --weights resource", d.GetMessage());
        // A model only the resource placement fits.
        var stacked = GeneratorHarness.Fixture("gru_stacked.safetensors");
        var big = Single("[TinyGru.TinyGruModel(\"gru_stacked.safetensors\")] partial class M { }", new[] { stacked }, Nano, "TGRU011");
        Assert.Contains("gru_stacked.safetensors: the model fits nanoFramework only with its weights in a binary resource", big.GetMessage());
        var forced = Single("[TinyGru.TinyGruModel(\"gru_stacked.safetensors\")] partial class M { }", new[] { stacked }, new() { ["TinyGruTarget"] = "nanoframework", ["TinyGruWeights"] = "inline" }, "TGRU011");
        Assert.Contains("does not fit nanoFramework with --weights inline", forced.GetMessage());
    }

    [Fact]
    public void StructsNestedTypesAndUnknownValuesAreDiagnostics()
    {
        Assert.Contains("'M' must be a partial class that is not nested",
            Single("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] partial struct M { }", new[] { Tiny }, Nano, "TGRU012").GetMessage());
        Single("partial class Outer { [TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] partial class M { } }", new[] { Tiny }, Nano, "TGRU012");
        Assert.Contains("TinyGruTarget 'arduino' is not net or nanoframework",
            Single("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] partial class M { }", new[] { Tiny }, new() { ["TinyGruTarget"] = "arduino" }, "TGRU010").GetMessage());
        Assert.Contains("TinyGruActivations 'fast' is not math or managed",
            Single("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] partial class M { }", new[] { Tiny }, new() { ["TinyGruTarget"] = "nanoframework", ["TinyGruActivations"] = "fast" }, "TGRU010").GetMessage());
    }

    [Fact]
    public void ChangingThePropertyRegeneratesAndAnUnrelatedEditDoesNot()
    {
        const string source = "[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial class M { }";
        var compilation = GeneratorHarness.Compilation(source, LanguageVersion.CSharp9);
        var driver = GeneratorHarness.Driver(new[] { Tiny }, LanguageVersion.CSharp9, Nano).RunGenerators(compilation);
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("public class Unrelated { }", new CSharpParseOptions(LanguageVersion.CSharp9), path: "Other.cs"));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.All(second.TrackedSteps[TrackingNames.Environment].SelectMany(r => r.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Contains("Weights: inline", second.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void PropsFileExposesTheProperties()
    {
        string props = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "generator", "TinyGru.Generator", "build", "TinyGru.Generator.props"));
        foreach (var name in new[] { "TinyGruTarget", "TinyGruWeights", "TinyGruActivations" })
            Assert.Contains($"<CompilerVisibleProperty Include=\"{name}\" />", props);
    }
}

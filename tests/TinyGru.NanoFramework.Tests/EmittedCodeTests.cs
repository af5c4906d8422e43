using TinyGru.CodeGen.NanoFramework;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Tests;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.NanoFramework.Tests;

/// <summary>
/// Checks 1–2 on what the nanoFramework emitter writes: every fixture and bundled model, in every precision, weight
/// placement and activation mode it accepts. Checked statically — nothing runs on nanoCLR or hardware here.
/// </summary>
public class EmittedCodeTests(ITestOutputHelper output)
{
    private static string Root => Path.GetDirectoryName(SampleTests.SampleDir)!.Replace(Path.Combine("firmware-samples", "nanoframework"), "").TrimEnd(Path.DirectorySeparatorChar);

    private static GruModel Quantized(string file, string fixture, ModelPrecision precision)
    {
        var model = ModelLoader.Load(ReferenceFixture.PathOf(file));
        var f = ReferenceFixture.Load(fixture);
        var rows = Enumerable.Range(0, f.Steps).Select(t => f.X.AsSpan(t * f.InputSize, f.InputSize).ToArray());
        return ModelQuantizer.Quantize(model, precision, CalibrationRange.Observe(model, rows));
    }

    /// <summary>Every model the project ships or tests with, by name.</summary>
    public static IEnumerable<object[]> Models()
    {
        var cases = new[] { ("gru_tiny.safetensors", "gru_tiny"), ("gru_small.safetensors", "gru_small"), ("gru_stacked.safetensors", "gru_stacked"), ("gru_reset_before.onnx", "gru_reset_before") };
        foreach (var (file, fixture) in cases)
            foreach (var p in new[] { ModelPrecision.Float32, ModelPrecision.Int8Weights, ModelPrecision.Int8 })
                yield return new object[] { $"{file}:{ModelPrecisions.Name(p)}" };
        yield return new object[] { "examples/sensor-gru.safetensors" };
        yield return new object[] { "sample/vibration.safetensors" };
        yield return new object[] { "sample/vibration-int8.safetensors" };
        foreach (var demo in DemoModels.Names) yield return new object[] { "demo/" + demo };
        // The grown model description (issue 13): MLP heads, token models, hard-sigmoid gates; float32 and int8-weights ...
        foreach (var c in GeneratedCodeCases.Extended()) yield return new object[] { "grown/" + c.Name };
        // ... and in integer-only int8.
        foreach (var c in GeneratedCodeCases.Int8ExtendedCases()) yield return new object[] { "grown/" + c.Name };
        // Series transforms (issue 16): plain, seasonal and partial differencing in the three precisions.
        for (int t = 0; t < GeneratedCodeCases.Transforms.Length; t++)
            foreach (var kind in new[] { GeneratedCodeKind.Float, GeneratedCodeKind.Int8Weights, GeneratedCodeKind.Int8 })
                yield return new object[] { $"transform/{t}:{kind}" };
    }

    private static GruModel Load(string name)
    {
        if (name.StartsWith("examples/", StringComparison.Ordinal)) return ModelLoader.Load(Path.Combine(Root, name));
        if (name.StartsWith("demo/", StringComparison.Ordinal)) return DemoModels.Get(name["demo/".Length..]).Model;
        if (name.StartsWith("transform/", StringComparison.Ordinal))
        {
            var spec = name["transform/".Length..].Split(':');
            return GeneratedCodeCases.TransformedSweep(int.Parse(spec[0]), Enum.Parse<GeneratedCodeKind>(spec[1])).Model;
        }
        if (name.StartsWith("grown/", StringComparison.Ordinal))
            return GeneratedCodeCases.Extended().Concat(GeneratedCodeCases.Int8ExtendedCases()).Single(c => c.Name == name["grown/".Length..]).Model;
        if (name.StartsWith("sample/", StringComparison.Ordinal)) return ModelLoader.Load(Path.Combine(SampleTests.SampleDir, "model", name["sample/".Length..]));
        var parts = name.Split(':');
        ModelPrecisions.TryParse(parts[1], out var p);
        var fixture = parts[0][..parts[0].IndexOf('.')];
        return p == ModelPrecision.Float32 ? ModelLoader.Load(ReferenceFixture.PathOf(parts[0])) : Quantized(parts[0], fixture, p);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryPlacementAndActivationPassesChecks1And2(string name)
    {
        var model = Load(name);
        int checkedFiles = 0;
        foreach (var placement in new[] { NanoWeightPlacement.Auto, NanoWeightPlacement.Inline, NanoWeightPlacement.Arrays, NanoWeightPlacement.Resource })
            foreach (var activations in new[] { NanoActivations.MathTanh, NanoActivations.Managed })
            {
                NanoEmitResult result;
                try
                {
                    result = NanoFrameworkEmitter.Emit(model, new NanoEmitOptions { TypeName = "Model", SourceName = name, Weights = placement, Activations = activations });
                }
                catch (NanoEmitException e)
                {
                    // A placement that cannot hold the model says so with sizes; Auto must always find one here.
                    Assert.NotEqual(NanoWeightPlacement.Auto, placement);
                    output.WriteLine($"{placement}: {e.Message}");
                    continue;
                }
                string assembly = new string($"{name}_{placement}_{activations}".Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
                var report = NanoFrameworkChecks.Check(result.Source, assembly);
                output.WriteLine(report.ToString());
                Assert.True(report.Passed, report.ToString());
                checkedFiles++;

                Assert.Empty(NanoFrameworkChecks.MathCallsWithNonDoubleArguments(result.Source));
                bool usesMath = result.Source.Contains("Math.", StringComparison.Ordinal);
                if (model.Precision == ModelPrecision.Int8)
                {
                    // Integer-only: no Math at all, and floating point only at the boundary (input quantization, output).
                    Assert.False(usesMath, "an int8 model must not call System.Math");
                    var floatMethods = report.FloatingPointMethods.Select(m => m[(m.IndexOf("::", StringComparison.Ordinal) + 2)..]).ToHashSet();
                    Assert.DoesNotContain(floatMethods, m => m.StartsWith("Layer", StringComparison.Ordinal) || m is "MatVec" or "Requantize" or "Tanh" or "Sigmoid" or "Exp");
                }
                else if (activations == NanoActivations.Managed)
                    Assert.False(usesMath, "the managed activations are for firmware without System.Math");
            }
        Assert.True(checkedFiles >= 2, $"{name}: only {checkedFiles} variants could be generated");
    }

    /// <summary>The sample's committed model file is exactly what <c>tinygru generate</c> writes today from the committed model.</summary>
    [Fact]
    public void SampleModelFileIsTheGeneratorsOutput()
    {
        var modelPath = Path.Combine(SampleTests.SampleDir, "model", "vibration-int8.safetensors");
        var bytes = File.ReadAllBytes(modelPath);
        var model = ModelLoader.Load(bytes, modelPath);
        var result = NanoFrameworkEmitter.Emit(model, new NanoEmitOptions
        {
            Namespace = "VibrationClassifier",
            TypeName = "VibrationModel",
            SourceName = "vibration-int8.safetensors",
            SourceHash = ModelFileBytes.Sha256Hex(bytes),
        });
        var committed = File.ReadAllText(Path.Combine(SampleTests.SampleDir, "VibrationModel.cs"));
        Assert.True(result.Source == committed,
            "firmware-samples/nanoframework/VibrationClassifier/VibrationModel.cs is stale: regenerate it with the command in the sample's README");
        Assert.Equal(ModelPrecision.Int8, model.Precision);
    }
}

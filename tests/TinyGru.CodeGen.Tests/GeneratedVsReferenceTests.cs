using TinyGru.Model;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.CodeGen.Tests;

/// <summary>Generated code on every SIMD path equals the reference engine within 1e-6 on random models.</summary>
public class GeneratedVsReferenceTests
{
    public static TheoryData<GateConvention, int, int[], int, HeadActivation> Shapes()
    {
        var data = new TheoryData<GateConvention, int, int[], int, HeadActivation>();
        foreach (var c in GeneratedCodeCases.Conventions)
            foreach (var (i, h, o, a) in GeneratedCodeCases.FloatShapes) data.Add(c, i, h, o, a);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryPathMatchesTheReferenceEngine(GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation)
    {
        var (model, seq) = GeneratedCodeCases.FloatSweep(convention, inputs, hidden, outputs, activation);
        int steps = seq.Length / inputs;
        var expected = new float[steps * outputs];
        new GruReferenceEngine(model).Run(seq, expected);

        var compiled = CompiledModel.Compile(model);
        foreach (var path in compiled.Paths)
        {
            var actual = compiled.Run(path, seq, outputs, inputs);
            float max = MaxRelativeDiff(expected, actual);
            Assert.True(max <= 1e-6, $"path '{path}': max |Δ| / max(1, |y|) = {max:G3}");
        }
    }

    [Fact]
    public void NormalizationAndScalingAreApplied()
    {
        var rng = new Random(5);
        var b = RandomModels.Create(rng, GateConvention.ResetAfter, 3, new[] { 8 }, 2, HeadActivation.None);
        var model = new GruModel(b.Convention, b.Layers, b.Head,
            new InputNormalization(new[] { 10f, -5f, 0.5f }, new[] { 2f, 0.5f, 4f }),
            new OutputScaling(new[] { 100f, 0.01f }, new[] { -3f, 7f }));
        var seq = Enumerable.Range(0, 30).Select(i => (float)(rng.NextDouble() * 20 - 5)).ToArray();
        var expected = new float[20];
        new GruReferenceEngine(model).Run(seq, expected);
        var compiled = CompiledModel.Compile(model, "class");
        foreach (var path in compiled.Paths)
        {
            var actual = compiled.Run(path, seq, 2, 3);
            float max = MaxRelativeDiff(expected, actual);
            Assert.True(max <= 1e-6, $"path '{path}': max |Δ| / max(1, |y|) = {max:G3}");
        }
    }

    [Fact]
    public void LabelsWithQuotesAndLineSeparatorsBecomeExactStringConstants()
    {
        var b = RandomModels.Create(new Random(9), GateConvention.ResetAfter, 2, new[] { 4 }, 3, HeadActivation.Softmax);
        string[] labels = { "say \"hi\"", "back\\slash", "line\u2028separator\u0085next" };
        var model = b.WithMetadata(new ModelMetadata("labels", ModelTask.Classification, labels, null));
        var type = CompiledModel.Compile(model).ModelType;
        for (int i = 0; i < labels.Length; i++)
            Assert.Equal(labels[i], type.GetField("Label" + i)!.GetRawConstantValue());
    }

    /// <summary>Max of |a − b| / max(1, |a|): absolute below 1, relative above (float32 sums of large outputs).</summary>
    internal static float MaxRelativeDiff(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]) / Math.Max(1f, Math.Abs(expected[i])));
        return max;
    }
}

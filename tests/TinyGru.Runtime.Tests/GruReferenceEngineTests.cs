using TinyGru.Model;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.Runtime.Tests;

public class GruReferenceEngineTests
{
    public static TheoryData<string, string> ForwardCases => new()
    {
        { "gru_tiny", "gru_tiny.safetensors" },
        { "gru_small", "gru_small.safetensors" },
        { "gru_stacked", "gru_stacked.safetensors" },
        { "gru_tiny", "gru_tiny.onnx" },
        { "gru_small", "gru_small.onnx" },
        { "gru_stacked", "gru_stacked.onnx" },
        { "gru_reset_before", "gru_reset_before.onnx" },
    };

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void MatchesPyTorchAndOnnxRuntime(string fixture, string modelFile)
    {
        var expected = ReferenceFixture.Load(fixture);
        var model = ModelLoader.Load(ReferenceFixture.PathOf(modelFile));
        var engine = new GruReferenceEngine(model);
        var y = new float[expected.Y.Length];
        engine.Run(expected.X, y);

        Assert.True(MaxAbsDiff(expected.Y, y) <= 1e-5, $"{modelFile}: max |Δy| = {MaxAbsDiff(expected.Y, y):G3}");
        var h = model.Layers.SelectMany((_, k) => engine.HiddenState(k).ToArray()).ToArray();
        Assert.True(MaxAbsDiff(expected.HFinal, h) <= 1e-5, $"{modelFile}: max |Δh_final| = {MaxAbsDiff(expected.HFinal, h):G3}");
    }

    [Fact]
    public void StepDoesNotAllocate()
    {
        foreach (var convention in new[] { GateConvention.ResetAfter, GateConvention.ResetBefore })
        {
            var model = RandomModels.Create(new Random(1), convention, 5, new[] { 16, 9 }, 3, HeadActivation.Softmax);
            var engine = new GruReferenceEngine(model);
            var x = new float[5];
            var y = new float[3];
            engine.Step(x, y); // warm-up (JIT, tiered compilation)
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int t = 0; t < 1000; t++) { x[t % 5] = t * 0.01f; engine.Step(x, y); }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
        }
    }

    [Fact]
    public void ResetReturnsToZeroState()
    {
        var model = RandomModels.Create(new Random(2), GateConvention.ResetAfter, 3, new[] { 7 }, 2, HeadActivation.None);
        var engine = new GruReferenceEngine(model);
        var seq = Enumerable.Range(0, 30).Select(i => MathF.Sin(i)).ToArray();
        var first = new float[20];
        var second = new float[20];
        engine.Run(seq, first);
        engine.Reset();
        engine.Run(seq, second);
        Assert.Equal(first, second);
        Assert.Contains(first, v => v != 0f);
    }

    [Fact]
    public void WrongLengthsThrowWithExpectedSizes()
    {
        var model = RandomModels.Create(new Random(3), GateConvention.ResetAfter, 3, new[] { 4 }, 2, HeadActivation.None);
        var engine = new GruReferenceEngine(model);
        var e = Assert.Throws<ArgumentException>(() => engine.Step(new float[2], new float[2]));
        Assert.Contains("length 3", e.Message);
    }

    internal static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}

using TinyGru.Model;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.Generator.IntegrationTests;

/// <summary>Code generated at build time from quantized model files: int8 bit for bit as Int8ReferenceEngine, int8-weights within 1e-5 of GruReferenceEngine.</summary>
public class QuantizedGeneratedTests
{
    private static GruModel Load(string file) => ModelLoader.Load(Path.Combine(QuantizedFixtures.Folder(), file));

    /// <summary>The fixture's inputs repeated to ≥ 100 steps.</summary>
    private static float[] Sequence(string fixture)
    {
        var f = ReferenceFixture.Load(fixture);
        return Enumerable.Repeat(f.X, 100 / f.Steps + 1).SelectMany(x => x).ToArray();
    }

    private static void AssertBitExact<T>(T generated, string file, string fixture, Func<T, short[]> state) where T : IGruModel
    {
        var model = Load(file);
        var seq = Sequence(fixture);
        var expected = new float[seq.Length / model.InputSize * model.OutputSize];
        var reference = new Int8ReferenceEngine(model);
        reference.Run(seq, expected);
        var actual = new float[expected.Length];
        generated.Run(seq, actual);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        var expectedState = model.Layers.SelectMany((_, k) => reference.HiddenState(k).ToArray()).ToArray();
        Assert.Equal(expectedState, state(generated).Select(v => (int)v));
    }

    [Fact]
    public void SmallInt8MatchesTheInt8ReferenceBitForBit() =>
        AssertBitExact(new GruSmallInt8(), "gru_small_int8.safetensors", "gru_small", m => { var s = new short[GruSmallInt8.StateSize]; m.CopyStateTo(s); return s; });

    [Fact]
    public void ResetBeforeInt8MatchesTheInt8ReferenceBitForBit() =>
        AssertBitExact(new GruResetBeforeInt8(), "gru_reset_before_int8.safetensors", "gru_reset_before", m => { var s = new short[GruResetBeforeInt8.StateSize]; m.CopyStateTo(s); return s; });

    [Fact]
    public void SmallInt8WeightsMatchesTheReferenceEngine()
    {
        var model = Load("gru_small_int8w.safetensors");
        var seq = Sequence("gru_small");
        var expected = new float[seq.Length / model.InputSize * model.OutputSize];
        new GruReferenceEngine(model).Run(seq, expected);
        var actual = new float[expected.Length];
        new GruSmallInt8Weights().Run(seq, actual);
        float max = expected.Zip(actual, (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(a))).Max();
        Assert.True(max <= 1e-5, $"max |Δ| / max(1, |y|) = {max:G3}");
    }

    [Fact]
    public void SmallInt8WeightsStepAllocatesNothing()
    {
        // Built by the generator in this project's configuration (Debug included): the sbyte literals must stay RVA data.
        var model = new GruSmallInt8Weights();
        var x = new float[GruSmallInt8Weights.InputSize];
        var y = new float[GruSmallInt8Weights.OutputSize];
        for (int warm = 0; warm < 200; warm++) model.Step(x, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 10_000; t++)
        {
            x[t % x.Length] = t * 1e-3f;
            model.Step(x, y);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

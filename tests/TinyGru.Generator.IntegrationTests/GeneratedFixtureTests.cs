using TinyGru.Tests;
using Xunit;

namespace TinyGru.Generator.IntegrationTests;

/// <summary>Code generated at build time from the fixtures matches PyTorch / ONNX Runtime within 1e-5.</summary>
public class GeneratedFixtureTests
{
    private static ReferenceFixture Load(string name) => ReferenceFixture.Load(name);

    private static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (p, q) => Math.Abs(p - q)).Max();
    }

    /// <summary>y at every step and h_final of every layer within 1e-5 of the reference.</summary>
    private static void AssertMatches<T>(string fixture, T model, Action<T, float[]> copyState) where T : IGruModel
    {
        var expected = Load(fixture);
        var y = new float[expected.Y.Length];
        model.Run(expected.X, y);
        float error = MaxAbsDiff(expected.Y, y);
        Assert.True(error <= 1e-5, $"{fixture}: max |Δy| = {error:G3}");
        var h = new float[expected.HFinal.Length];
        copyState(model, h);
        float stateError = MaxAbsDiff(expected.HFinal, h);
        Assert.True(stateError <= 1e-5, $"{fixture}: max |Δh_final| = {stateError:G3}");
    }

    [Fact]
    public void GruTinyMatchesPyTorch() => AssertMatches("gru_tiny", new GruTiny(), (m, h) => m.CopyStateTo(h));

    [Fact]
    public void GruSmallMatchesPyTorch() => AssertMatches("gru_small", new GruSmall(), (m, h) => m.CopyStateTo(h));

    [Fact]
    public void GruStackedMatchesPyTorch() => AssertMatches("gru_stacked", new GruStacked(), (m, h) => m.CopyStateTo(h));

    [Fact]
    public void GruStackedFromOnnxMatchesOnnxRuntime() => AssertMatches("gru_stacked", new GruStackedOnnx(), (m, h) => m.CopyStateTo(h));

    [Fact]
    public void ResetBeforeFromOnnxMatchesOnnxSpec() => AssertMatches("gru_reset_before", new GruResetBefore(), (m, h) => m.CopyStateTo(h));

    [Fact]
    public void NestedRecordStructIsGenerated() => AssertMatches("gru_tiny", new Outer.NestedTiny(), (m, h) => m.CopyStateTo(h));

    [Fact]
    public void SizesAreCompileTimeConstants()
    {
        const int total = GruStacked.InputSize + GruStacked.OutputSize + GruStacked.HiddenSize + GruStacked.LayerCount;
        Assert.Equal(16 + 10 + 64 + 2, total);
    }

    [Fact]
    public void EverySimdPathMatchesPyTorch()
    {
        var expected = Load("gru_small");
        var paths = new Dictionary<string, Action<GruSmall, float[], float[]>>
        {
            ["512"] = (m, x, y) => m.Step512(x, y),
            ["256"] = (m, x, y) => m.Step256(x, y),
            ["128"] = (m, x, y) => m.Step128(x, y),
            ["scalar"] = (m, x, y) => m.StepScalar(x, y),
        };
        foreach (var (name, step) in paths)
        {
            var model = new GruSmall();
            var y = new float[expected.Y.Length];
            for (int t = 0; t < expected.X.Length / GruSmall.InputSize; t++)
            {
                var yt = new float[GruSmall.OutputSize];
                step(model, expected.X.AsSpan(t * GruSmall.InputSize, GruSmall.InputSize).ToArray(), yt);
                yt.CopyTo(y, t * GruSmall.OutputSize);
            }
            Assert.True(MaxAbsDiff(expected.Y, y) <= 1e-5, $"path {name}: max |Δy| = {MaxAbsDiff(expected.Y, y):G3}");
        }
    }

    [Fact]
    public void DefaultIsZeroStateAndResetReturnsToIt()
    {
        var expected = Load("gru_tiny");
        var model = new GruTiny();
        var first = new float[expected.Y.Length];
        model.Run(expected.X, first);
        model.Reset();
        var second = new float[expected.Y.Length];
        model.Run(expected.X, second);
        Assert.Equal(first, second);
    }

    [Fact]
    public void WrongLengthsThrowNamingTheSizes()
    {
        var model = new GruTiny();
        var e = Assert.Throws<ArgumentException>(() => model.Step(new float[2], new float[4]));
        Assert.Contains("expected input of length 3 and output of length 4", e.Message);
    }

    [Fact]
    public void StepAllocatesNothing()
    {
        var tiny = new GruTiny();
        var stacked = new GruStacked();
        var small = new GruSmall();
        var x16 = new float[16];
        var y10 = new float[10];
        var x3 = new float[3];
        var y4 = new float[4];
        var x6 = new float[6];
        var y6 = new float[6];
        for (int warm = 0; warm < 200; warm++) { tiny.Step(x3, y4); stacked.Step(x16, y10); small.Step(x6, y6); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 10_000; t++)
        {
            x3[t % 3] = t * 1e-3f;
            tiny.Step(x3, y4);
            stacked.Step(x16, y10);
            small.Step(x6, y6);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

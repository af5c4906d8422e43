using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Tests;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.Runtime.Tests;

public class Int8ReferenceEngineTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> ForwardCases => GruReferenceEngineTests.ForwardCases;

    private static GruModel Quantized(string modelFile, ReferenceFixture f, ModelPrecision precision)
    {
        var model = ModelLoader.Load(ReferenceFixture.PathOf(modelFile));
        var rows = Enumerable.Range(0, f.Steps).Select(t => f.X.AsSpan(t * f.InputSize, f.InputSize).ToArray());
        return ModelQuantizer.Quantize(model, precision, CalibrationRange.Observe(model, rows));
    }

    // The integer-only path against PyTorch / ONNX Runtime's float outputs: int8 weights, int8 inputs, Q0.15 state
    // and table activations together stay within 0.015 on these fixtures (measured 0.0013–0.0087; |y| ≤ 0.75).
    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void Int8StaysCloseToPyTorch(string fixture, string modelFile)
    {
        var f = ReferenceFixture.Load(fixture);
        var engine = new Int8ReferenceEngine(Quantized(modelFile, f, ModelPrecision.Int8));
        var y = new float[f.Y.Length];
        engine.Run(f.X, y);
        double max = MaxAbsDiff(f.Y, y), scale = f.Y.Max(Math.Abs);
        output.WriteLine($"{modelFile}: int8 max |Δy| = {max:G3} (max |y| = {scale:G3})");
        Assert.True(max <= 0.015, $"{modelFile}: int8 max |Δy| = {max:G3}");
    }

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void Int8WeightsStaysCloseToPyTorch(string fixture, string modelFile)
    {
        var f = ReferenceFixture.Load(fixture);
        var engine = ReferenceEngines.Create(Quantized(modelFile, f, ModelPrecision.Int8Weights));
        Assert.IsType<GruReferenceEngine>(engine);
        var y = new float[f.Y.Length];
        engine.Run(f.X, y);
        double max = MaxAbsDiff(f.Y, y);
        output.WriteLine($"{modelFile}: int8-weights max |Δy| = {max:G3}");
        Assert.True(max <= 0.01, $"{modelFile}: int8-weights max |Δy| = {max:G3}");
    }

    [Fact]
    public void ClassifyIsTheArgmaxOfTheOutputs()
    {
        var model = RandomModels.Create(new Random(3), GateConvention.ResetAfter, 4, new[] { 12 }, 5, HeadActivation.Softmax);
        var q = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-2, 2, 1));
        var a = new Int8ReferenceEngine(q);
        var b = new Int8ReferenceEngine(q);
        var rng = new Random(4);
        var x = new float[4];
        var y = new float[5];
        int distinct = 0;
        var seen = new HashSet<int>();
        for (int t = 0; t < 200; t++)
        {
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
            a.Step(x, y);
            int c = b.Classify(x);
            Assert.Equal(Array.IndexOf(y, y.Max()), c);
            if (seen.Add(c)) distinct++;
        }
        Assert.True(distinct >= 2, "the test should see more than one class");
    }

    [Fact]
    public void StepDoesNotAllocate()
    {
        var model = RandomModels.Create(new Random(1), GateConvention.ResetBefore, 5, new[] { 16, 9 }, 3, HeadActivation.Softmax);
        var engine = new Int8ReferenceEngine(ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1)));
        var x = new float[5];
        var y = new float[3];
        engine.Step(x, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 1000; t++) { x[t % 5] = t % 7 - 3; engine.Step(x, y); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void RejectsAFloatModel()
    {
        var model = RandomModels.Create(new Random(1), GateConvention.ResetAfter, 2, new[] { 3 }, 1, HeadActivation.None);
        var e = Assert.Throws<ModelFormatException>(() => new Int8ReferenceEngine(model));
        Assert.Contains("float32", e.Message);
    }

    // Worst case of docs/quantization.md: H = 512, every weight ±127, inputs at the int8 extremes and the state
    // driven to ±32767. A long-accumulator transcription checks that no intermediate leaves int32 and that the
    // engine (int32 throughout) computes the same state.
    [Theory]
    [InlineData(GateConvention.ResetAfter)]
    [InlineData(GateConvention.ResetBefore)]
    public void WorstCaseAccumulatorsDoNotOverflow(GateConvention convention)
    {
        const int h = FixedPoint.MaxHiddenSize, inputs = 4;
        float big = 0.05f;
        GruLayerSpec Layer(int i, float sign) => new(i, h,
            Enumerable.Repeat(sign * big * 127, 3 * h * i).ToArray(),
            Enumerable.Range(0, 3 * h * h).Select(k => (k / h >= 2 * h ? 1f : -1f) * big * 127).ToArray(),
            new float[3 * h], new float[3 * h]);
        var model = new GruModel(convention, new[] { Layer(inputs, 1), Layer(h, -1) });
        var q = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        Assert.All(q.Quantization!.Layers.SelectMany(l => l.RecurrentWeights.Values), v => Assert.Equal(127, Math.Abs((int)v)));

        var engine = new Int8ReferenceEngine(q);
        var oracle = new LongOracle(FixedPointGruModel.Create(q), convention);
        var x = new float[inputs];
        var y = new float[h];
        for (int t = 0; t < 12; t++)
        {
            Array.Fill(x, t % 4 < 2 ? 1000f : -1000f);  // saturates to int8 +127 / −128
            engine.Step(x, y);
            oracle.Step(x);
            for (int k = 0; k < 2; k++) Assert.Equal(oracle.H[k], engine.HiddenState(k).ToArray());
        }
        Assert.True(oracle.H[0].Max(Math.Abs) >= 32700, $"the state should saturate; max |h| = {oracle.H[0].Max(Math.Abs)}");
        Assert.True(oracle.MaxAccumulator >= 500L * 127 * 32767, $"the test must reach the bound; max |acc| = {oracle.MaxAccumulator}");
        Assert.True(oracle.MaxAccumulator <= int.MaxValue);
    }

    /// <summary>The integer step in long arithmetic, asserting every intermediate fits int32.</summary>
    private sealed class LongOracle(FixedPointGruModel fp, GateConvention convention)
    {
        public readonly int[][] H = fp.Layers.Select(l => new int[l.HiddenSize]).ToArray();
        public long MaxAccumulator;

        private long Fit(long v)
        {
            Assert.InRange(v, int.MinValue, int.MaxValue);
            return v;
        }

        private long Requant(long acc, Requantization q)
        {
            MaxAccumulator = Math.Max(MaxAccumulator, Math.Abs(acc));
            long t = Math.Clamp(Fit(acc) >> q.PreShift, -FixedPoint.PreShiftedLimit, FixedPoint.PreShiftedLimit);
            return Fit(Fit(t * q.Multiplier + (1 << (q.Shift - 1))) >> q.Shift);
        }

        public void Step(float[] input)
        {
            long[] x = input.Select((v, i) => (long)(FixedPoint.QuantizeInput((v - fp.InputMean[i]) * fp.InputMultiplier[i], fp.InputZeroPoint) - fp.InputZeroPoint)).ToArray();
            for (int k = 0; k < H.Length; k++)
            {
                var l = fp.Layers[k];
                int hs = l.HiddenSize;
                long[] h = H[k].Select(v => (long)v).ToArray();
                long Row(sbyte[] m, int row, long[] v) => v.Select((e, i) => m[row * v.Length + i] * e).Sum();
                var px = Enumerable.Range(0, 3 * hs).Select(r => Requant(Row(l.InputWeights, r, x), l.InputRequantization[r])).ToArray();
                var ph = Enumerable.Range(0, 3 * hs).Select(r => Requant(Row(l.RecurrentWeights, r, h), l.RecurrentRequantization[r])).ToArray();
                var rg = new long[hs];
                var zg = new long[hs];
                for (int j = 0; j < hs; j++)
                {
                    rg[j] = FixedPoint.Sigmoid((int)Fit(px[j] + ph[j] + l.GateBias[j]));
                    zg[j] = FixedPoint.Sigmoid((int)Fit(px[hs + j] + ph[hs + j] + l.GateBias[hs + j]));
                }
                if (convention == GateConvention.ResetBefore)
                {
                    var rh = Enumerable.Range(0, hs).Select(j => Fit(rg[j] * h[j] + (1 << 14)) >> 15).ToArray();
                    for (int j = 0; j < hs; j++) ph[2 * hs + j] = Requant(Row(l.RecurrentWeights, 2 * hs + j, rh), l.RecurrentRequantization[2 * hs + j]);
                }
                var next = new int[hs];
                for (int j = 0; j < hs; j++)
                {
                    long pre = px[2 * hs + j] + l.GateBias[2 * hs + j];
                    pre += convention == GateConvention.ResetAfter
                        ? Fit(rg[j] * Math.Clamp(ph[2 * hs + j] + l.RecurrentNBias[j], -FixedPoint.ResetProductLimit, FixedPoint.ResetProductLimit) + (1 << 14)) >> 15
                        : ph[2 * hs + j];
                    long n = FixedPoint.Tanh((int)Fit(pre));
                    next[j] = (int)Fit(n + (Fit(zg[j] * (h[j] - n) + (1 << 14)) >> 15));
                }
                H[k] = next;
                x = next.Select(v => (long)v).ToArray();
            }
        }
    }

    private static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs((double)p - q)).Max();
}

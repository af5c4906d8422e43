using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Model.Safetensors;
using TinyGru.Tests;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.Runtime.Tests;

/// <summary>
/// Integer-only int8 of the version-3 architecture: hidden dense layers (none/relu/tanh/sigmoid), a ReLU head, token
/// embeddings and hard-sigmoid gates, against the float references (PyTorch / ONNX Runtime / TensorFlow.js fixtures).
/// </summary>
public class Int8ExtendedArchitectureTests(ITestOutputHelper output)
{
    private static GruModel QuantizedFixture(string modelFile, ReferenceFixture f)
    {
        var model = ModelLoader.Load(ReferenceFixture.PathOf(modelFile));
        if (model.IsTokenInput) return ModelQuantizer.Quantize(model, ModelPrecision.Int8);   // the table is the input; no calibration
        var rows = Enumerable.Range(0, f.Steps).Select(t => f.X.AsSpan(t * f.InputSize, f.InputSize).ToArray());
        return ModelQuantizer.Quantize(model, ModelPrecision.Int8, CalibrationRange.Observe(model, rows));
    }

    // The fixtures' float outputs come from PyTorch / ONNX Runtime / TensorFlow.js. The int8 bound is the one
    // docs/quantization.md states for these parts (measured numbers there); |y| ≤ 1 on the classification fixtures.
    [Theory]
    [InlineData("gru_mlp_head", "gru_mlp_head.onnx", 0.01)]
    [InlineData("gru_mlp_softmax", "gru_mlp_softmax.onnx", 0.01)]
    [InlineData("gru_embedding", "gru_embedding.onnx", 0.01)]
    [InlineData("keras_gru_hard_sigmoid", "keras_gru_hard_sigmoid", 0.01)]
    [InlineData("keras_gru_classic", "keras_gru_classic", 0.01)]
    [InlineData("keras_reset_after", "keras_reset_after.converted.safetensors", 0.01)]
    [InlineData("keras_embedding_legacy", "keras_embedding_legacy.converted.safetensors", 0.01)]
    public void Int8StaysCloseToTheFloatReference(string fixture, string modelFile, double bound)
    {
        var f = ReferenceFixture.Load(fixture);
        var q = QuantizedFixture(modelFile, f);
        Assert.Equal(ModelPrecision.Int8, q.Precision);
        var y = new float[f.Y.Length];
        new Int8ReferenceEngine(q).Run(f.X, y);
        double max = f.Y.Zip(y, (a, b) => Math.Abs((double)a - b)).Max();
        double scaled = ReferenceFixture.MaxScaledError(f.Y, y);
        output.WriteLine($"{modelFile}: int8 max |Δy| = {max:G3}, max scaled = {scaled:G3}, max |y| = {f.Y.Max(Math.Abs):G3}");
        Assert.True(scaled <= bound, $"{modelFile}: int8 max scaled |Δy| = {scaled:G3}");
        Assert.True(max > 0, "the model was not quantized");

        // The file round trip keeps every bit (the single-scale embedding is stored as equal row scales).
        var back = TinyGruModelFile.Read(SafetensorsFile.Parse(TinyGruModelFile.Serialize(q), "q.safetensors"));
        var y2 = new float[f.Y.Length];
        new Int8ReferenceEngine(back).Run(f.X, y2);
        Assert.Equal(y, y2);
    }

    public static TheoryData<string, GateConvention, GateActivation, string, int> SyntheticCases => new()
    {
        { "relu, none", GateConvention.ResetAfter, GateActivation.Sigmoid, "relu,none", 0 },
        { "tanh, sigmoid, keras3", GateConvention.ResetBefore, GateActivation.HardSigmoidKeras3, "tanh,sigmoid", 0 },
        { "none, relu, keras2", GateConvention.ResetAfter, GateActivation.HardSigmoidKeras2, "none,relu", 0 },
        { "sigmoid, relu, keras3, tokens", GateConvention.ResetAfter, GateActivation.HardSigmoidKeras3, "sigmoid,relu", 50 },
        { "relu, keras2, tokens", GateConvention.ResetBefore, GateActivation.HardSigmoidKeras2, "relu", 30 },
    };

    internal static GruModel Synthetic(GateConvention convention, GateActivation gates, string activations, int vocabulary, int seed = 5)
    {
        var rng = new Random(seed);
        var acts = Activations.ParseList(activations, out _)!;
        var widths = acts.Select((_, i) => 10 + 3 * i).ToArray();
        var baseModel = RandomModels.Create(rng, convention, 4, new[] { 12, 9 }, 3, HeadActivation.None);
        return RandomModels.Extended(baseModel, rng, widths, acts, gates, vocabulary, HeadActivation.None);
    }

    // Synthetic models: the float reference engine on the same (dequantized) weights is the reference; inputs in ±2,
    // calibrated on ±2. Measured max |Δy| 0.0004–0.0033 (docs/quantization.md).
    [Theory]
    [MemberData(nameof(SyntheticCases))]
    public void SyntheticModelsStayCloseToFloat(string name, GateConvention convention, GateActivation gates, string activations, int vocabulary)
    {
        var model = Synthetic(convention, gates, activations, vocabulary);
        var q = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-2, 2, 1));
        var rng = new Random(9);
        int steps = 60, perStep = q.StepInputSize;
        var x = Enumerable.Range(0, steps * perStep).Select(_ => vocabulary > 0 ? rng.Next(vocabulary) : (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var yf = new float[steps * q.OutputSize];
        var yq = new float[steps * q.OutputSize];
        new GruReferenceEngine(q.WithoutQuantization()).Run(x, yf);
        new Int8ReferenceEngine(q).Run(x, yq);
        double max = yf.Zip(yq, (a, b) => Math.Abs((double)a - b)).Max(), scale = yf.Max(Math.Abs);
        output.WriteLine($"{name}: int8 max |Δy| = {max:G3} (max |y| = {scale:G3})");
        Assert.True(max <= 0.01 * Math.Max(1, scale), $"{name}: int8 max |Δy| = {max:G3}");
        Assert.True(max > 0);
    }

    [Fact]
    public void ALeftOutActivationIsCaught()
    {
        // The bound above can fail: the same int8 weights with relu instead of none on the first dense layer differ.
        var q = ModelQuantizer.Quantize(Synthetic(GateConvention.ResetAfter, GateActivation.Sigmoid, "none,none", 0), ModelPrecision.Int8, new CalibrationRange(-2, 2, 1));
        var relu = ModelQuantizer.Quantize(Synthetic(GateConvention.ResetAfter, GateActivation.Sigmoid, "relu,none", 0), ModelPrecision.Int8, new CalibrationRange(-2, 2, 1));
        var x = Enumerable.Range(0, 40 * 4).Select(i => (float)Math.Sin(i)).ToArray();
        var a = new float[40 * 3];
        var b = new float[40 * 3];
        new Int8ReferenceEngine(q).Run(x, a);
        new GruReferenceEngine(relu.WithoutQuantization()).Run(x, b);
        Assert.True(a.Zip(b, (u, v) => Math.Abs(u - v)).Max() > 0.05);
    }

    [Fact]
    public void TokenStepMatchesFloatStepAndRejectsOutOfRangeIds()
    {
        var q = ModelQuantizer.Quantize(ModelLoader.Load(ReferenceFixture.PathOf("gru_embedding.onnx")), ModelPrecision.Int8);
        Assert.Equal(1, new Int8ReferenceEngine(q).InputSize);
        var a = new Int8ReferenceEngine(q);
        var b = new Int8ReferenceEngine(q);
        var ya = new float[q.OutputSize];
        var yb = new float[q.OutputSize];
        foreach (int token in new[] { 0, 39, 7, 13 })
        {
            a.Step(token, ya);
            b.Step(new float[] { token }, yb);
            Assert.Equal(ya, yb);
        }
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => a.Step(40, ya));
        Assert.Contains("token id 40", e.Message);
        Assert.Contains("vocabulary of 40", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Step(-1, ya));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Step(new float[] { 2.5f }, ya));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Classify(new float[] { 40 }));
    }

    [Fact]
    public void StepDoesNotAllocate()
    {
        var dense = new Int8ReferenceEngine(ModelQuantizer.Quantize(Synthetic(GateConvention.ResetBefore, GateActivation.HardSigmoidKeras3, "relu,tanh", 0), ModelPrecision.Int8, new CalibrationRange(-1, 1, 1)));
        var tokens = new Int8ReferenceEngine(ModelQuantizer.Quantize(Synthetic(GateConvention.ResetAfter, GateActivation.HardSigmoidKeras2, "none", 20), ModelPrecision.Int8));
        var x = new float[4];
        var y = new float[3];
        dense.Step(x, y);
        tokens.Step(1, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 1000; t++)
        {
            x[t % 4] = t % 7 - 3;
            dense.Step(x, y);
            tokens.Step(t % 20, y);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void EmbeddingIsOneScaleForTheWholeTable()
    {
        var q = ModelQuantizer.Quantize(ModelLoader.Load(ReferenceFixture.PathOf("gru_embedding.onnx")), ModelPrecision.Int8);
        var e = q.Quantization!.Embedding!;
        Assert.All(e.RowScales, s => Assert.Equal(q.Quantization.Input!.Scale, s));
        Assert.Equal(0, q.Quantization.Input!.ZeroPoint);
        Assert.Equal(127, e.Values.Max(v => Math.Abs((int)v)));
    }

    [Fact]
    public void PerRowEmbeddingScalesAreRefusedForIntegerOnly()
    {
        // An int8 token model whose embedding has per-row scales (the int8-weights form) cannot feed layer 0 one scale.
        var w = ModelQuantizer.Quantize(ModelLoader.Load(ReferenceFixture.PathOf("gru_embedding.onnx")), ModelPrecision.Int8Weights);
        var qw = w.Quantization!;
        var bad = new ModelQuantization(ModelPrecision.Int8, qw.Layers, qw.Head, new InputQuantization(qw.Embedding!.RowScales[0], 0), qw.HiddenDense, qw.Embedding);
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(w.Convention, w.Layers, w.Head, null, null, null, bad, w.HiddenDenseLayers, w.Embedding, w.GateActivation));
        Assert.Contains("one scale for the whole table", e.Message);
        Assert.Contains("embedding.weight.scale", e.Message);
    }

    [Fact]
    public void ADenseStackWhoseRequantizationDoesNotFitIsRefused()
    {
        // A relu layer with huge weights gives its output a scale so large that the head's multiplier W scale · input
        // scale · 4096 exceeds what the int32 scheme takes (≥ 256).
        var rng = new Random(2);
        var baseModel = RandomModels.Create(rng, GateConvention.ResetAfter, 3, new[] { 8 }, 2, HeadActivation.None);
        var m = RandomModels.Extended(baseModel, rng, new[] { 16 }, new[] { HeadActivation.Relu }, GateActivation.Sigmoid, scale: 2000f);
        var e = Assert.Throws<ModelFormatException>(() => ModelQuantizer.Quantize(m, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1)));
        Assert.Contains("tensor 'head.weight'", e.Message);
        Assert.Contains("too large for the integer-only scheme", e.Message);
        Assert.Contains("use int8-weights", e.Message);
    }

    [Fact]
    public void WideDenseInputsAreRefused()
    {
        var rng = new Random(2);
        var baseModel = RandomModels.Create(rng, GateConvention.ResetAfter, 3, new[] { 8 }, 2, HeadActivation.None);
        var m = RandomModels.Extended(baseModel, rng, new[] { 600 }, new[] { HeadActivation.Tanh }, GateActivation.Sigmoid, scale: 0.05f);
        var e = Assert.Throws<ModelFormatException>(() => ModelQuantizer.Quantize(m, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1)));
        Assert.Contains("input width 600 is more than the 512", e.Message);
    }

    // Worst case of the dense stack (docs/quantization.md): a saturated H = 512 state into a relu layer 512 → 512 whose
    // rows are all +w or all −w, so each accumulator is ±512·127·32767 and the relu/none outputs reach their weight
    // bound; then a none layer 512 → 512 and the head over those near-32767 outputs. Long arithmetic checks every
    // intermediate fits int32 and gives the engine's logits.
    [Theory]
    [InlineData(HeadActivation.Relu)]
    [InlineData(HeadActivation.None)]
    public void WorstCaseDenseAccumulatorsDoNotOverflow(HeadActivation first)
    {
        const int h = FixedPoint.MaxHiddenSize;
        float big = 0.05f * 127;
        var layer = new GruLayerSpec(2, h, Enumerable.Repeat(big, 3 * h * 2).ToArray(),
            Enumerable.Range(0, 3 * h * h).Select(k => (k / h >= 2 * h ? 1f : -1f) * big).ToArray(), new float[3 * h], new float[3 * h]);
        float[] Rows(int rows, int cols, float w) => Enumerable.Range(0, rows * cols).Select(k => (k / cols) % 2 == 0 ? w : -w).ToArray();
        var d0 = new DenseHeadSpec(h, h, Rows(h, h, 0.01f), new float[h], first);
        var d1 = new DenseHeadSpec(h, h, Rows(h, h, 0.003f), new float[h], HeadActivation.None);
        var head = new DenseHeadSpec(h, 4, Rows(4, h, 0.0004f), new float[4], HeadActivation.None);
        var model = new GruModel(GateConvention.ResetAfter, new[] { layer }, head, hiddenDenseLayers: new[] { d0, d1 });
        var q = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        var fp = FixedPointGruModel.Create(q);
        var engine = new Int8ReferenceEngine(q);
        var x = new float[2];
        var y = new float[4];
        long maxAcc = 0, maxOut = 0;
        for (int t = 0; t < 8; t++)
        {
            Array.Fill(x, t % 4 < 2 ? 1000f : -1000f);
            engine.Step(x, y);
            long[] v = engine.HiddenState(0).ToArray().Select(e => (long)e).ToArray();
            foreach (var d in fp.Dense)
            {
                var next = new long[d.OutputSize];
                for (int o = 0; o < d.OutputSize; o++)
                {
                    long acc = 0;
                    for (int j = 0; j < d.InputSize; j++) acc += d.Weights[o * d.InputSize + j] * v[j];
                    Assert.InRange(acc, int.MinValue, int.MaxValue);
                    maxAcc = Math.Max(maxAcc, Math.Abs(acc));
                    long pre = FixedPoint.Requantize((int)acc, d.Requantization[o]) + (long)d.Bias[o];
                    Assert.InRange(pre, -32767 - 16, 32767 + 16);   // within a few units of the bound: saturation is only a guard
                    next[o] = FixedPoint.DenseOutput((int)pre, d.Activation == HeadActivation.Relu);
                    maxOut = Math.Max(maxOut, Math.Abs(next[o]));
                }
                v = next;
            }
            for (int o = 0; o < 4; o++)
            {
                long acc = 0;
                for (int j = 0; j < h; j++) acc += fp.HeadWeights![o * h + j] * v[j];
                Assert.InRange(acc, int.MinValue, int.MaxValue);
                Assert.Equal(FixedPoint.Requantize((int)acc, fp.HeadRequantization![o]) + fp.HeadBias![o], engine.Logits[o]);
            }
        }
        Assert.True(maxAcc >= 500L * 127 * 32700, $"the test must reach the bound; max |acc| = {maxAcc}");
        Assert.True(maxOut >= 32000, $"the relu/none outputs should reach their bound; max = {maxOut}");
    }
}

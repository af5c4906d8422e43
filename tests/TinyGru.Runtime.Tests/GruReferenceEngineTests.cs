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

/// <summary>Dense MLP heads, token inputs and hard-sigmoid gates (issue 13) against PyTorch 1.13 and TensorFlow.js 4.22.</summary>
public class ExtendedArchitectureEngineTests
{
    private static GruModel Load(string file, string? activations)
    {
        var options = new ImportOptions(activations is null ? null : Activations.ParseList(activations, out _), null);
        return ModelLoader.Load(ReferenceFixture.PathOf(file), options);
    }

    [Theory]
    [InlineData("gru_mlp_head", "gru_mlp_head.safetensors", "relu,none")]
    [InlineData("gru_mlp_softmax", "gru_mlp_softmax.safetensors", "tanh,softmax")]
    [InlineData("gru_embedding", "gru_embedding.safetensors", "softmax")]
    public void StateDictWithActivationsMatchesPyTorch(string fixture, string modelFile, string activations)
    {
        var expected = ReferenceFixture.Load(fixture);
        var model = Load(modelFile, activations);
        var engine = new GruReferenceEngine(model);
        var y = new float[expected.Y.Length];
        engine.Run(expected.X, y);
        double error = ReferenceFixture.MaxScaledError(expected.Y, y);
        Assert.True(error <= 1e-5, $"{modelFile}: max scaled |Δy| = {error:G3}");
        var h = model.Layers.SelectMany((_, k) => engine.HiddenState(k).ToArray()).ToArray();
        Assert.True(ReferenceFixture.MaxScaledError(expected.HFinal, h) <= 1e-5, $"{modelFile}: h_final differs");
    }

    [Theory]
    [InlineData("gru_mlp_head")]
    [InlineData("gru_mlp_softmax")]
    [InlineData("gru_embedding")]
    [InlineData("gru_hn_last")] // fc(h_n[-1]) of a 2-layer GRU: Concat of the states, Gather of the last row
    public void OnnxExportMatchesPyTorch(string fixture)
    {
        var expected = ReferenceFixture.Load(fixture);
        var model = ModelLoader.Load(ReferenceFixture.PathOf(fixture + ".onnx"));
        var engine = new GruReferenceEngine(model);
        var y = new float[expected.Y.Length];
        engine.Run(expected.X, y);
        double error = ReferenceFixture.MaxScaledError(expected.Y, y);
        Assert.True(error <= 1e-5, $"{fixture}.onnx: max scaled |Δy| = {error:G3}");
    }

    [Theory]
    [InlineData("keras_gru_classic", GateActivation.Sigmoid)]
    [InlineData("keras_gru_hard_sigmoid", GateActivation.HardSigmoidKeras2)]
    public void TfjsLayersModelMatchesTensorFlowJs(string fixture, GateActivation gates)
    {
        var expected = ReferenceFixture.Load(fixture);
        var model = ModelLoader.Load(ReferenceFixture.PathOf(fixture)); // the folder holding model.json
        Assert.Equal(GateConvention.ResetBefore, model.Convention);
        Assert.Equal(gates, model.GateActivation);
        var engine = new GruReferenceEngine(model);
        var y = new float[expected.Y.Length];
        engine.Run(expected.X, y);
        double error = ReferenceFixture.MaxScaledError(expected.Y, y);
        Assert.True(error <= 1e-5, $"{fixture}: max scaled |Δy| = {error:G3}");
    }

    [Fact]
    public void HardSigmoidFixtureFailsWithTheOtherDefinition()
    {
        // Keras 3's x/6 + 0.5 is not Keras 2's 0.2·x + 0.5: the model must record which one it was trained with.
        var expected = ReferenceFixture.Load("keras_gru_hard_sigmoid");
        var m = ModelLoader.Load(ReferenceFixture.PathOf("keras_gru_hard_sigmoid/model.json"));
        var other = new GruModel(m.Convention, m.Layers, m.Head, gateActivation: GateActivation.HardSigmoidKeras3);
        var y = new float[expected.Y.Length];
        new GruReferenceEngine(other).Run(expected.X, y);
        Assert.True(ReferenceFixture.MaxScaledError(expected.Y, y) > 1e-3);
    }

    [Theory]
    [InlineData("gru_mlp_head", "gru_mlp_head.onnx")]
    [InlineData("gru_mlp_softmax", "gru_mlp_softmax.onnx")]
    [InlineData("gru_embedding", "gru_embedding.onnx")]
    [InlineData("keras_gru_hard_sigmoid", "keras_gru_hard_sigmoid")]
    public void Int8WeightsOfTheNewPartsStayCloseToTheReference(string fixture, string modelFile)
    {
        // Dense stack and embedding quantized per row like the GRU matrices; the same 0.01 bound as Int8ReferenceEngineTests.
        var f = ReferenceFixture.Load(fixture);
        var quantized = TinyGru.Model.Quantization.ModelQuantizer.Quantize(ModelLoader.Load(ReferenceFixture.PathOf(modelFile)), TinyGru.Model.Quantization.ModelPrecision.Int8Weights);
        Assert.Equal(quantized.HiddenDenseLayers.Count, quantized.Quantization!.HiddenDense.Count);
        var roundTrip = TinyGruModelFile.Read(TinyGru.Model.Safetensors.SafetensorsFile.Parse(TinyGruModelFile.Serialize(quantized), "q.safetensors"));
        Assert.Equal(TinyGru.Model.Quantization.ModelPrecision.Int8Weights, roundTrip.Precision);
        var y = new float[f.Y.Length];
        var y2 = new float[f.Y.Length];
        new GruReferenceEngine(quantized).Run(f.X, y);
        new GruReferenceEngine(roundTrip).Run(f.X, y2);
        Assert.Equal(y, y2);
        double max = f.Y.Zip(y, (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(max <= 0.01, $"{modelFile}: int8-weights max |Δy| = {max:G3}");
        Assert.True(max > 0, "the weights were not quantized");
    }

    [Fact]
    public void WrongActivationsAreCaughtByTheFixture()
    {
        // The test above can fail: the same weights with the ReLU left out do not match PyTorch.
        var expected = ReferenceFixture.Load("gru_mlp_head");
        var engine = new GruReferenceEngine(Load("gru_mlp_head.safetensors", "none,none"));
        var y = new float[expected.Y.Length];
        engine.Run(expected.X, y);
        Assert.True(ReferenceFixture.MaxScaledError(expected.Y, y) > 1e-3);
    }

    [Fact]
    public void TokenStepMatchesFloatStepAndRejectsOutOfRangeIds()
    {
        var model = Load("gru_embedding.safetensors", "softmax");
        Assert.True(model.IsTokenInput);
        Assert.Equal(1, model.StepInputSize);
        var a = new GruReferenceEngine(model);
        var b = new GruReferenceEngine(model);
        var ya = new float[4];
        var yb = new float[4];
        foreach (int token in new[] { 0, 39, 7, 13 })
        {
            a.Step(token, ya);
            b.Step(new float[] { token }, yb);
            Assert.Equal(ya, yb);
        }
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => a.Step(40, ya));
        Assert.Contains("40", e.Message);
        Assert.Contains("vocabulary of 40", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Step(-1, ya));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Step(new float[] { 2.5f }, ya));
    }

    [Fact]
    public void TokenStepDoesNotAllocate()
    {
        var engine = new GruReferenceEngine(Load("gru_embedding.safetensors", "softmax"));
        var y = new float[4];
        engine.Step(1, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 1000; t++) engine.Step(t % 40, y);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(GateActivation.HardSigmoidKeras2, -3.0, 0.0)]
    [InlineData(GateActivation.HardSigmoidKeras2, 1.0, 0.7)]
    [InlineData(GateActivation.HardSigmoidKeras2, 2.5, 1.0)]
    [InlineData(GateActivation.HardSigmoidKeras3, -3.0, 0.0)]
    [InlineData(GateActivation.HardSigmoidKeras3, 1.5, 0.75)]
    [InlineData(GateActivation.HardSigmoidKeras3, 2.5, 0.9166666666666666)]
    [InlineData(GateActivation.HardSigmoidKeras3, 3.5, 1.0)]
    public void HardSigmoidDefinitions(GateActivation activation, double x, double expected) =>
        Assert.Equal(expected, Activations.Gate(activation, x), 12);
}

using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.Runtime.Tests;

/// <summary>Series transforms in the reference engines: raw values in, the user's units out (docs/forecasting.md).</summary>
public class SeriesTransformTests
{
    /// <summary>Every input differenced; outputs 0 and 1 add back raw features 2 and 0, the others are returned as is.</summary>
    private static SeriesTransform Transform(int inputs, int outputs) =>
        new(Enumerable.Repeat(true, inputs).ToArray(), Enumerable.Range(0, outputs).Select(o => o switch { 0 => inputs - 1, 1 => 0, _ => -1 }).ToArray());

    /// <summary>Raw values whose step-to-step changes are <paramref name="changes"/> [T, I], starting from 100 + feature.</summary>
    private static float[] Integrate(float[] changes, int inputs, out float[] before)
    {
        before = Enumerable.Range(0, inputs).Select(i => 100f + i).ToArray();
        var raw = new float[changes.Length];
        for (int t = 0; t < changes.Length / inputs; t++)
            for (int i = 0; i < inputs; i++)
                raw[t * inputs + i] = (t == 0 ? before[i] : raw[(t - 1) * inputs + i]) + changes[t * inputs + i];
        return raw;
    }

    // PyTorch computed y from x; the transformed model fed the running sums of x (with the value before the first
    // step set as transform state) must return y plus the raw value of each residual output's feature.
    [Theory]
    [InlineData("gru_tiny", "gru_tiny.safetensors")]
    [InlineData("gru_small", "gru_small.safetensors")]
    [InlineData("gru_stacked", "gru_stacked.onnx")]
    public void DifferencedResidualModelMatchesPyTorchOnTheChanges(string fixture, string modelFile)
    {
        var f = ReferenceFixture.Load(fixture);
        var model = ModelLoader.Load(ReferenceFixture.PathOf(modelFile));
        var transform = Transform(f.InputSize, f.OutputSize);
        var engine = new GruReferenceEngine(model.WithSeriesTransform(transform));
        var raw = Integrate(f.X, f.InputSize, out var before);
        var state = new float[transform.StateSize];
        before.CopyTo(state, 0);
        state[^1] = 1;                                                     // a previous input is known
        engine.SeriesState!.SetFrom(state);
        var y = new float[f.Y.Length];
        engine.Run(raw, y);
        double max = 0, scale = 1;
        for (int t = 0; t < f.Steps; t++)
            for (int o = 0; o < f.OutputSize; o++)
            {
                int r = transform.ResidualInputs[o];
                double expected = f.Y[t * f.OutputSize + o] + (r >= 0 ? raw[t * f.InputSize + r] : 0);
                max = Math.Max(max, Math.Abs(y[t * f.OutputSize + o] - expected));
                scale = Math.Max(scale, Math.Abs(expected));
            }
        Assert.True(max <= 1e-5 * scale, $"max |Δy| = {max:G3} (scale {scale:G3})");
    }

    [Fact]
    public void FirstStepAfterResetSeesNoChange()
    {
        var model = RandomModels.Create(new Random(5), GateConvention.ResetAfter, 2, new[] { 6 }, 1, HeadActivation.None);
        var transformed = new GruReferenceEngine(model.WithSeriesTransform(SeriesTransform.Difference(2, new[] { 1 })));
        var plain = new GruReferenceEngine(model);
        var a = new float[1];
        var b = new float[1];
        transformed.Step(new float[] { 40, 7 }, a);
        plain.Step(new float[] { 0, 0 }, b);
        Assert.Equal(b[0] + 7, a[0]);
        transformed.Step(new float[] { 43, 5 }, a);
        plain.Step(new float[] { 3, -2 }, b);
        Assert.Equal(b[0] + 5, a[0]);

        // Reset forgets the previous input as well as the hidden state: the same rows give the same outputs again.
        transformed.Reset();
        plain.Reset();
        transformed.Step(new float[] { 40, 7 }, a);
        plain.Step(new float[] { 0, 0 }, b);
        Assert.Equal(b[0] + 7, a[0]);
    }

    [Fact]
    public void StateCopyAndSetCarryThePreviousInput()
    {
        var transform = SeriesTransform.Difference(3, new[] { 0 });
        var state = new SeriesTransformState(transform);
        var changes = new float[3];
        state.Apply(new float[] { 1, 2, 3 }, changes);
        var saved = new float[transform.StateSize];
        state.CopyTo(saved);
        Assert.Equal(new float[] { 1, 2, 3, 1 }, saved);
        state.Apply(new float[] { 5, 5, 5 }, changes);
        var restored = new SeriesTransformState(transform);
        restored.SetFrom(saved);
        var again = new float[3];
        restored.Apply(new float[] { 5, 5, 5 }, again);
        Assert.Equal(changes, again);
        Assert.Equal(new float[] { 4, 3, 2 }, again);
        state.Reset();
        state.CopyTo(saved);
        Assert.Equal(new float[4], saved);
    }

    // Integer-only int8: the transform is float arithmetic before the input quantization and after the output
    // scaling, so a transformed int8 model equals the plain int8 model fed the changes, plus the raw target, bit for bit.
    [Fact]
    public void Int8EngineAppliesTheTransformBitExactly()
    {
        var rng = new Random(9);
        var model = RandomModels.Create(rng, GateConvention.ResetAfter, 3, new[] { 10 }, 2, HeadActivation.None);
        var q = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-3, 3, 1));
        var transform = Transform(3, 2);
        var transformed = new Int8ReferenceEngine(q.WithSeriesTransform(transform));
        var plain = new Int8ReferenceEngine(q);
        var raw = Enumerable.Range(0, 60).Select(i => (float)(10 * Math.Sin(i * 0.1) + rng.NextDouble())).ToArray();
        var a = new float[2];
        var b = new float[2];
        for (int pass = 0; pass < 2; pass++)
        {
            for (int t = 0; t < 20; t++)
            {
                var x = raw.AsSpan(t * 3, 3);
                var change = new float[3];
                for (int i = 0; i < 3; i++) change[i] = t == 0 ? 0 : x[i] - raw[(t - 1) * 3 + i];
                transformed.Step(x, a);
                plain.Step(change, b);
                Assert.Equal(b[0] + x[2], a[0]);
                Assert.Equal(b[1] + x[0], a[1]);
            }
            transformed.Reset();
            plain.Reset();
        }
    }
}

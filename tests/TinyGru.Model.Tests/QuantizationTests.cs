using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Model.Safetensors;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.Model.Tests;

public class QuantizationTests
{
    [Fact]
    public void TablesAreTanhAndExpRoundedToQ15()
    {
        Assert.Equal(513, FixedPointTables.Tanh.Length);
        Assert.Equal(513, FixedPointTables.Exp.Length);
        for (int i = 0; i <= 512; i++)
        {
            Assert.Equal(Math.Min(32767, (int)Math.Floor(Math.Tanh(i / 64.0) * 32768 + 0.5)), FixedPointTables.Tanh[i]);
            Assert.Equal(Math.Min(32767, (int)Math.Floor(Math.Exp(-i / 64.0) * 32768 + 0.5)), FixedPointTables.Exp[i]);
        }
    }

    [Fact]
    public void ActivationsAreWithinTwoLsbOfTheExactFunctions()
    {
        double worstTanh = 0, worstSigmoid = 0, worstExp = 0;
        for (int x = -80000; x <= 80000; x += 7)
        {
            double v = x / 4096.0;
            worstTanh = Math.Max(worstTanh, Math.Abs(FixedPoint.Tanh(x) - Math.Tanh(v) * 32768));
            worstSigmoid = Math.Max(worstSigmoid, Math.Abs(FixedPoint.Sigmoid(x) - 32768 / (1 + Math.Exp(-v))));
            if (x <= 0 && x > -8 * 4096) worstExp = Math.Max(worstExp, Math.Abs(FixedPoint.Exp(x) - Math.Exp(v) * 32768));
        }
        Assert.True(worstTanh <= 2, $"tanh: {worstTanh} LSB");
        // σ(x) = ½ + ½·tanh(x/2) drops x's lowest bit (≈ 2 LSB where σ is steepest) and halves with a floor.
        Assert.True(worstSigmoid <= 3, $"sigmoid: {worstSigmoid} LSB");
        Assert.True(worstExp <= 2, $"exp: {worstExp} LSB");
        Assert.Equal(0, FixedPoint.Exp(-8 * 4096));
        Assert.Equal(32767, FixedPoint.Tanh(int.MaxValue / 4));
        Assert.Equal(-32767, FixedPoint.Tanh(-(int.MaxValue / 4)));
    }

    [Theory]
    [InlineData(GateActivation.HardSigmoidKeras2)]
    [InlineData(GateActivation.HardSigmoidKeras3)]
    public void HardSigmoidIsWithinOneLsbOfTheExactFunction(GateActivation activation)
    {
        // Exact: Activations.Gate (clip(0.2x + 0.5) or clip(x/6 + 0.5)) of the Q.12 input, in Q0.15 (capped at 32767).
        double worst = 0;
        foreach (int x in Enumerable.Range(-70000, 140001).Concat(new[] { int.MinValue / 4, int.MaxValue / 4, 3 << 27, -(3 << 27) }))
        {
            double exact = Math.Min(32767, Activations.Gate(activation, x / 4096.0) * 32768);
            int y = FixedPoint.Gate(x, FixedPoint.HardSigmoidSlope(activation));
            Assert.InRange(y, 0, 32767);
            worst = Math.Max(worst, Math.Abs(y - exact));
        }
        Assert.True(worst <= 0.7, $"{activation}: {worst} LSB");
        Assert.Equal(16384, FixedPoint.Gate(0, FixedPoint.HardSigmoidSlope(activation)));
        Assert.Equal(32767, FixedPoint.Gate(4 * 4096, FixedPoint.HardSigmoidSlope(activation)));
        Assert.Equal(0, FixedPoint.Gate(-4 * 4096, FixedPoint.HardSigmoidSlope(activation)));
        // Keras 2 reaches 1 at x = 2.5, Keras 3 only at 3.
        Assert.Equal(activation == GateActivation.HardSigmoidKeras2 ? 32767 : 30037, FixedPoint.Gate(10240, FixedPoint.HardSigmoidSlope(activation)));
    }

    [Theory]
    [InlineData(1e-4)]
    [InlineData(3.3e-3)]
    [InlineData(0.77)]
    [InlineData(41.5)]
    [InlineData(255.9)]
    public void RequantizationMultipliesByTheRealScale(double multiplier)
    {
        Assert.True(FixedPoint.TryRequantizationFor(multiplier, out var q));
        Assert.InRange(q.Multiplier, 2048, 4095);
        Assert.InRange(q.Shift, FixedPoint.MinShift, FixedPoint.MaxShift);
        Assert.True(Math.Abs(q.Value / multiplier - 1) <= 1.0 / 4096, $"{q.Value} vs {multiplier}");
        var rng = new Random(5);
        for (int i = 0; i < 20000; i++)
        {
            int acc = rng.Next(int.MinValue, int.MaxValue);
            double exact = acc * q.Value;
            int got = FixedPoint.Requantize(acc, q);
            // Within range the result is the exact product up to the pre-shift's floor and the final rounding;
            // beyond ±32.0 (Q.12: 131072) it saturates, and never past the clamp.
            double limit = FixedPoint.PreShiftedLimit * (double)q.Multiplier / (1 << q.Shift);
            if (Math.Abs(exact) < limit - 2) Assert.True(Math.Abs(got - exact) <= 0.5 + q.Multiplier / (double)(1 << q.Shift), $"acc {acc}: {got} vs {exact}");
            else Assert.True(Math.Abs(got) >= limit - 2 && Math.Abs(got) <= limit + 1, $"acc {acc}: {got}, limit {limit}");
        }
        Assert.True(FixedPoint.PreShiftedLimit * (double)q.Multiplier / (1 << q.Shift) >= 32 * 4096);
    }

    [Fact]
    public void RequantizationRefusesTooLargeAScale()
    {
        Assert.False(FixedPoint.TryRequantizationFor(300, out _));
        Assert.True(FixedPoint.TryRequantizationFor(0, out var zero));
        Assert.Equal(0, FixedPoint.Requantize(123456789, zero));
    }

    [Theory]
    [InlineData(0.49f, 0, 0)]
    [InlineData(0.5f, 0, 1)]
    [InlineData(-0.5f, 0, -1)]
    [InlineData(-2.5f, 3, 0)]
    [InlineData(1e9f, 0, 127)]
    [InlineData(-1e9f, 10, -128)]
    [InlineData(float.NaN, 0, -128)]
    public void InputQuantizationRoundsHalfAwayFromZeroAndSaturates(float u, int zeroPoint, int expected) =>
        Assert.Equal(expected, FixedPoint.QuantizeInput(u, zeroPoint));

    [Fact]
    public void RowQuantizationIsSymmetricPerRow()
    {
        var m = new[] { 0.5f, -0.25f, 0.1f, /* row 1 */ 0f, 0f, 0f, /* row 2 */ -2f, 1f, 0.004f };
        var q = QuantizedMatrix.Quantize(m, 3, 3);
        Assert.Equal(new sbyte[] { 127, -64, 25, 0, 0, 0, -127, 64, 0 }, q.Values);   // −63.5 → −64: half away from zero
        Assert.Equal(new[] { 0.5f / 127, 0f, 2f / 127 }, q.RowScales);
        var back = q.Dequantize();
        for (int i = 0; i < m.Length; i++) Assert.True(Math.Abs(back[i] - m[i]) <= q.RowScales[i / 3] / 2 + 1e-7);
    }

    [Fact]
    public void InputRangeIncludesZero()
    {
        var p = InputQuantization.ForRange(0.5, 3.0);
        Assert.Equal(-128, p.ZeroPoint);
        Assert.Equal(3f / 255, p.Scale, 6);
        var s = InputQuantization.ForRange(-1, 1);
        Assert.InRange((1 / s.Scale) + s.ZeroPoint, 126, 128);
    }

    [Fact]
    public void HeadroomWidensTheInputRangeOnBothSides()
    {
        var plain = new CalibrationRange(-1, 3, 10).ToInputQuantization();
        var wide = new CalibrationRange(-1, 3, 10).WithHeadroom(0.25).ToInputQuantization();
        Assert.Equal(plain.Scale * 1.25, wide.Scale, 5);
        Assert.InRange((-128 - wide.ZeroPoint) * wide.Scale, -1.25 - wide.Scale, -1.25 + wide.Scale);   // the zero point is rounded
        Assert.Throws<ArgumentOutOfRangeException>(() => new CalibrationRange(0, 1, 1, -0.5));
    }

    private static GruModel Float(int seed = 1, GateConvention c = GateConvention.ResetAfter) =>
        RandomModels.Create(new Random(seed), c, 3, new[] { 7, 5 }, 4, HeadActivation.Softmax);

    [Theory]
    [InlineData(ModelPrecision.Int8)]
    [InlineData(ModelPrecision.Int8Weights)]
    public void QuantizedFilesRoundTrip(ModelPrecision precision)
    {
        var q = ModelQuantizer.Quantize(Float(), precision, new CalibrationRange(-1.5, 2, 10));
        var bytes = TinyGruModelFile.Serialize(q);
        var file = SafetensorsFile.Parse(bytes, "q.safetensors");
        Assert.Equal("2", file.Metadata["tinygru.version"]);
        Assert.Equal(ModelPrecisions.Name(precision), file.Metadata["tinygru.precision"]);
        Assert.True(file.TryGet("layers.1.w_hh", out var t) && t.DType == TensorDType.I8);
        Assert.Equal(precision == ModelPrecision.Int8, file.TryGet("input.quant_scale", out _));

        var back = ModelLoader.Load(bytes, "q.safetensors");
        Assert.Equal(precision, back.Precision);
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(q.Quantization!.Layers[k].InputWeights.Values, back.Quantization!.Layers[k].InputWeights.Values);
            Assert.Equal(q.Quantization.Layers[k].RecurrentWeights.RowScales, back.Quantization.Layers[k].RecurrentWeights.RowScales);
            Assert.Equal(q.Layers[k].RecurrentWeights, back.Layers[k].RecurrentWeights);
        }
        Assert.Equal(q.Quantization!.Input?.ZeroPoint, back.Quantization!.Input?.ZeroPoint);
        Assert.Equal(q.Quantization.Input?.Scale, back.Quantization.Input?.Scale);
        Assert.Equal(bytes, TinyGruModelFile.Serialize(back));
        // int8 weights: about a quarter of the float file once the weights outweigh the header.
        var big = RandomModels.Create(new Random(9), GateConvention.ResetAfter, 16, new[] { 64 }, 4, HeadActivation.None);
        double ratio = TinyGruModelFile.Serialize(ModelQuantizer.Quantize(big, precision, new CalibrationRange(-1, 1, 1))).Length
            / (double)TinyGruModelFile.Serialize(big).Length;
        Assert.InRange(ratio, 0.25, 0.32);   // float32 biases and row scales keep it above ¼
    }

    [Fact]
    public void FloatModelsAreStillVersion1() =>
        Assert.Equal("1", SafetensorsFile.Parse(TinyGruModelFile.Serialize(Float()), "f").Metadata["tinygru.version"]);

    private static ModelFormatException Corrupted(Func<List<TensorData>, List<TensorData>> tensors, Action<Dictionary<string, string>>? meta = null)
    {
        var q = ModelQuantizer.Quantize(Float(), ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        var file = SafetensorsFile.Parse(TinyGruModelFile.Serialize(q), "q");
        var md = file.Metadata.ToDictionary(k => k.Key, k => k.Value);
        meta?.Invoke(md);
        var bytes = SafetensorsFile.Serialize(tensors(file.Tensors.ToList()), md);
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(bytes, "q.safetensors"));
        Assert.StartsWith("q.safetensors: ", e.Message);
        return e;
    }

    private static List<TensorData> Replace(List<TensorData> ts, string name, Func<TensorData, TensorData?> f) =>
        ts.Select(t => t.Name == name ? f(t) : t).Where(t => t is not null).Select(t => t!).ToList();

    [Fact]
    public void MinusOneTwentyEightIsRefused() =>
        Assert.Contains("q.safetensors: layers.0.w_ih: element [2, 1] is −128",
            Corrupted(ts => Replace(ts, "layers.0.w_ih", t =>
            {
                var v = t.ToInt8();
                v[2 * 3 + 1] = sbyte.MinValue;
                return TensorData.FromInt8(t.Name, t.Shape, v);
            })).Message);

    [Fact]
    public void MissingRowScaleIsNamed() =>
        Assert.Contains("tensor 'layers.1.w_hh.scale': is missing; expected a tensor of shape [rows]",
            Corrupted(ts => Replace(ts, "layers.1.w_hh.scale", _ => null)).Message);

    [Fact]
    public void FloatWeightsInAQuantizedFileAreRefused() =>
        Assert.Contains("tensor 'head.weight': has dtype F32; expected I8",
            Corrupted(ts => Replace(ts, "head.weight", t => TensorData.FromFloat32(t.Name, t.Shape, new float[t.ElementCount]))).Message);

    [Fact]
    public void NegativeRowScaleIsRefused() =>
        Assert.Contains("q.safetensors: layers.0.w_hh.scale: element 4 is -1; a row scale must be finite and ≥ 0",
            Corrupted(ts => Replace(ts, "layers.0.w_hh.scale", t =>
            {
                var v = t.ToFloat32();
                v[4] = -1;
                return TensorData.FromFloat32(t.Name, t.Shape, v);
            })).Message);

    [Fact]
    public void Int8WithoutInputQuantizationIsRefused() =>
        Assert.Contains("tensor 'input.quant_scale': is missing",
            Corrupted(ts => Replace(ts, "input.quant_scale", _ => null)).Message);

    [Fact]
    public void PrecisionNeedsVersion2() =>
        Assert.Contains("metadata 'tinygru.version': is 1; quantized models are format version 2",
            Corrupted(ts => ts, m => m["tinygru.version"] = "1").Message);

    [Fact]
    public void UnknownPrecisionIsRefused() =>
        Assert.Contains("metadata 'tinygru.precision': is \"int4\"; expected float32, int8-weights or int8",
            Corrupted(ts => ts, m => m["tinygru.precision"] = "int4").Message);

    [Fact]
    public void IntegerOnlyLimitsTheHiddenSize()
    {
        var model = RandomModels.Create(new Random(2), GateConvention.ResetAfter, 2, new[] { FixedPoint.MaxHiddenSize + 1 }, 1, HeadActivation.None, 0.01f);
        var e = Assert.Throws<ModelFormatException>(() => ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1)));
        Assert.Contains("hidden size 513 is more than the 512 the integer-only int8 scheme supports", e.Message);
        Assert.Equal(ModelPrecision.Int8Weights, ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights).Precision);
    }

    [Fact]
    public void HugeInputScalesAreRefusedWithAHint()
    {
        var model = RandomModels.Create(new Random(2), GateConvention.ResetAfter, 2, new[] { 4 }, 1, HeadActivation.None, 2f);
        var e = Assert.Throws<ModelFormatException>(() => ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1e5, 1e5, 1)));
        Assert.Contains("tensor 'layers.0.w_ih'", e.Message);
        Assert.Contains("normalize the inputs", e.Message);
    }

    [Fact]
    public void RequantizingKeepsTheInt8Values()
    {
        var once = ModelQuantizer.Quantize(Float(3), ModelPrecision.Int8Weights);
        var twice = ModelQuantizer.Quantize(once, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        Assert.Equal(once.Quantization!.Layers[1].RecurrentWeights.Values, twice.Quantization!.Layers[1].RecurrentWeights.Values);
        Assert.Equal(ModelPrecision.Float32, twice.WithoutQuantization().Precision);
    }

    // Mutated int8 files: a ModelFormatException naming the file, or a valid model (a flipped weight byte is still a
    // model) — never another exception, and never an int8 model the integer scheme cannot run.
    [Fact]
    public void RandomMutationsOfInt8FilesOnlyEverThrowModelFormatException()
    {
        var original = TinyGruModelFile.Serialize(ModelQuantizer.Quantize(Float(5), ModelPrecision.Int8, new CalibrationRange(-1, 1, 1)));
        var rng = new Random(4321);
        int rejected = 0, headerEnd = 8 + (int)BitConverter.ToUInt64(original, 0);
        for (int i = 0; i < 2000; i++)
        {
            var bytes = (byte[])original.Clone();
            for (int f = rng.Next(1, 4); f > 0; f--)
            {
                int at = rng.Next(3) == 0 ? rng.Next(headerEnd, bytes.Length) : rng.Next(headerEnd);
                bytes[at] = (byte)rng.Next(256);
            }
            try
            {
                var m = ModelLoader.Load(bytes, "mutant.safetensors");
                if (m.Precision == ModelPrecision.Int8) FixedPointGruModel.Create(m);
            }
            catch (ModelFormatException e)
            {
                Assert.StartsWith("mutant.safetensors", e.Message);
                rejected++;
            }
        }
        Assert.True(rejected > 500, $"only {rejected} of 2000 mutants were rejected");
    }
}

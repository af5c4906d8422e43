using System.Runtime.Intrinsics.X86;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// Integer-only generated code: every path produces exactly Int8ReferenceEngine's bits (outputs, Q0.15 state,
/// Classify), at the accumulator bounds too, without allocating.
/// </summary>
public class Int8GeneratedTests
{
    /// <summary>Probe methods compiled beside an int8 model: a path's run with the final state, Classify, allocations.</summary>
    private static string Probe(GruModel model)
    {
        string paths = string.Concat(NetModelEmitter.PathSuffixes(model).Select(p => $"case \"{p}\": m.Step{p}(x, y); break;\n"));
        return "public static short[] RunWithState(string path, float[] seq, float[] outs) { var m = new M(); int t = seq.Length / M.InputSize;\n" +
               "for (int s = 0; s < t; s++) { var x = new System.ReadOnlySpan<float>(seq, s * M.InputSize, M.InputSize); var y = new System.Span<float>(outs, s * M.OutputSize, M.OutputSize);\n" +
               "switch (path) { case \"\": m.Step(x, y); break;\n" + paths + "default: throw new System.ArgumentException(path); } }\n" +
               "var state = new short[M.StateSize]; m.CopyStateTo(state); return state; }\n" +
               (model.Head?.Activation == HeadActivation.Softmax
                   ? "public static int[] Classify(float[] seq) { var m = new M(); var r = new int[seq.Length / M.InputSize];\n" +
                     "for (int s = 0; s < r.Length; s++) r[s] = m.Classify(new System.ReadOnlySpan<float>(seq, s * M.InputSize, M.InputSize)); return r; }\n"
                   : "") +
               "public static long Allocated(float[] x, int steps) { var m = new M(); var y = new float[M.OutputSize];\n" +
               "for (int i = 0; i < 200; i++) m.Step(x, y);\n" +
               "long before = System.GC.GetAllocatedBytesForCurrentThread(); for (int i = 0; i < steps; i++) m.Step(x, y); return System.GC.GetAllocatedBytesForCurrentThread() - before; }\n";
    }

    /// <summary>The 512- and 256-bit int8 kernels are x86-only; the 128-bit and scalar paths run on any CPU.</summary>
    private static bool Supported(string path) => path switch
    {
        "512" => Avx512BW.IsSupported,
        "256" => Avx2.IsSupported,
        _ => true,
    };

    /// <summary>Runs <paramref name="model"/> (int8) on every supported path and asserts identical bits to the reference engine; returns the compiled model.</summary>
    private static CompiledModel AssertBitExact(GruModel model, float[] seq)
    {
        Assert.Equal(ModelPrecision.Int8, model.Precision);
        int inputs = model.StepInputSize, outputs = model.OutputSize, steps = seq.Length / inputs;
        var reference = new Int8ReferenceEngine(model);
        var expected = new float[steps * outputs];
        reference.Run(seq, expected);
        var expectedState = model.Layers.SelectMany((_, k) => reference.HiddenState(k).ToArray()).ToArray();

        var variants = new List<CompiledModel> { CompiledModel.Compile(model, extraProbe: Probe(model)) };
        // With unsafe code allowed, reset-after layers of H ≥ 8 get the 8-lane gate update (AVX2 gathers) on the SIMD paths.
        if (GeneratedCodeCases.HasVectorGates(model))
        {
            var vector = CompiledModel.Compile(model, extraProbe: Probe(model), allowUnsafe: true);
            Assert.Contains("GatesV(", vector.Source);
            variants.Add(vector);
        }
        foreach (var compiled in variants)
            CheckPaths(compiled, model, seq, expected, expectedState);
        if (model.Head?.Activation == HeadActivation.Softmax)
        {
            foreach (var compiled in variants)
            {
                var classes = compiled.Call<int[]>("Classify", seq);
                var fresh = new Int8ReferenceEngine(model);
                for (int s = 0; s < steps; s++)
                    Assert.Equal(fresh.Classify(seq.AsSpan(s * inputs, inputs)), classes[s]);
            }
        }
        return variants[^1];
    }

    private static void CheckPaths(CompiledModel compiled, GruModel model, float[] seq, float[] expected, int[] expectedState)
    {
        int outputs = model.OutputSize;
        int ran = 0;
        foreach (var path in compiled.Paths.Where(Supported))
        {
            var actual = new float[expected.Length];
            var state = compiled.Call<short[]>("RunWithState", path, seq, actual);
            for (int i = 0; i < expected.Length; i++)
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                    Assert.Fail($"path '{path}': output {i} (step {i / outputs}) is {actual[i]:R}, the reference engine gives {expected[i]:R}");
            Assert.Equal(expectedState, state.Select(v => (int)v).ToArray());
            ran++;
        }
        Assert.True(ran >= 2, "at least the scalar path and the dispatcher ran");
    }

    private static float[] Inputs(Random rng, int steps, int inputs, double spread) =>
        Enumerable.Range(0, steps * inputs).Select(_ => (float)((rng.NextDouble() * 2 - 1) * spread)).ToArray();

    private static IEnumerable<float[]> Rows(float[] seq, int inputs) =>
        Enumerable.Range(0, seq.Length / inputs).Select(t => seq.AsSpan(t * inputs, inputs).ToArray());

    public static TheoryData<GateConvention, int, int[], int, HeadActivation, int> Shapes()
    {
        var data = new TheoryData<GateConvention, int, int[], int, HeadActivation, int>();
        foreach (var c in GeneratedCodeCases.Conventions)
            foreach (var (i, h, o, a, v) in GeneratedCodeCases.Int8Shapes) data.Add(c, i, h, o, a, v);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryPathMatchesTheInt8ReferenceBitForBit(GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation, int variant)
    {
        var (model, seq) = GeneratedCodeCases.Int8Sweep(convention, inputs, hidden, outputs, activation, variant);
        AssertBitExact(model, seq);
    }

    [Theory]
    [InlineData("gru_tiny")]
    [InlineData("gru_small")]
    [InlineData("gru_stacked")]
    [InlineData("gru_reset_before")]
    public void FixturesQuantizedToInt8MatchBitForBit(string name)
    {
        var (model, seq) = GeneratedCodeCases.Int8Fixture(name, GeneratedCodeCases.Fixtures.Single(f => f.Name == name).File);
        AssertBitExact(model, seq);
    }

    /// <summary>
    /// H = 512 with every weight ±127 and biases that drive n to +32767 and z to 0: after the first step every U row
    /// sums 512 products 127·32767 of one sign, |acc| = 2,130,641,408, the largest accumulator the scheme allows.
    /// </summary>
    [Theory]
    [InlineData(GateConvention.ResetAfter)]
    [InlineData(GateConvention.ResetBefore)]
    public void WorstCaseAccumulatorsMatchLongArithmetic(GateConvention convention)
    {
        const int h = 512, inputs = 4;
        var rng = new Random(512);
        float[] Signs(int rows, int cols, Func<int, int, bool> positive)
        {
            var m = new float[rows * cols];
            for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m[r * cols + c] = positive(r, c) ? 1f : -1f;
            return m;
        }
        var w = Signs(3 * h, inputs, (r, c) => (r + c) % 2 == 0);
        var u = Signs(3 * h, h, (r, _) => r % 3 != 1); // whole rows of one sign: every row sum is ±512·127·32767
        var bi = new float[3 * h];
        var bh = new float[3 * h];
        for (int j = 0; j < h; j++)
        {
            bi[h + j] = -4000f;       // z = σ(≤ −4000 + …) = 0
            bi[2 * h + j] = 30000f;   // n = tanh(≥ 30000 − …) = 1
        }
        var head = new DenseHeadSpec(h, 3, Signs(3, h, (o, c) => o != 1), new float[3], HeadActivation.Softmax);
        var model = new GruModel(convention, new[] { new GruLayerSpec(inputs, h, w, u, bi, bh) }, head);
        var int8 = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        var fp = FixedPointGruModel.Create(int8);
        Assert.All(fp.Layers[0].RecurrentWeights, v => Assert.Equal(127, Math.Abs((int)v)));

        // Inputs at the int8 extremes (and beyond the calibrated range), a NaN among them.
        var seq = Enumerable.Range(0, 20 * inputs).Select(i => i % 7 == 3 ? float.NaN : (i % 2 == 0 ? 1e6f : -1e6f)).ToArray();
        var compiled = AssertBitExact(int8, seq);

        // The reference itself at the bound, checked with long arithmetic: state saturated, |U·h| = 2,130,641,408 exactly.
        var reference = new Int8ReferenceEngine(int8);
        reference.Run(seq, new float[20 * 3]);
        var state = reference.HiddenState(0).ToArray();
        Assert.All(state, v => Assert.Equal(32767, v));
        long maxAcc = 0;
        var uq = fp.Layers[0].RecurrentWeights;
        for (int r = 0; r < 2 * h; r++)
        {
            long acc = 0;
            for (int c = 0; c < h; c++) acc += uq[r * h + c] * (long)state[c];
            maxAcc = Math.Max(maxAcc, Math.Abs(acc));
        }
        Assert.Equal(512L * 127 * 32767, maxAcc);
        Assert.True(maxAcc <= int.MaxValue);
        Assert.Contains("2,130,641,408 < 2^31", compiled.Source);
    }

    public static TheoryData<string> ExtendedCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in GeneratedCodeCases.Int8ExtendedCases()) data.Add(c.Name);
        foreach (var name in SyntheticExtended.Keys) data.Add(name);
        return data;
    }

    /// <summary>Dense stacks with a none/relu hidden layer, both hard sigmoids, both conventions, tokens (Int8ExtendedArchitectureTests' shapes).</summary>
    private static readonly Dictionary<string, Func<GruModel>> SyntheticExtended = new()
    {
        ["synthetic_relu_none_after"] = () => Synthetic(GateConvention.ResetAfter, GateActivation.Sigmoid, new[] { HeadActivation.Relu, HeadActivation.None }, 0, 11),
        ["synthetic_none_relu_keras2_after"] = () => Synthetic(GateConvention.ResetAfter, GateActivation.HardSigmoidKeras2, new[] { HeadActivation.None, HeadActivation.Relu }, 0, 12),
        ["synthetic_tanh_sigmoid_keras3_before"] = () => Synthetic(GateConvention.ResetBefore, GateActivation.HardSigmoidKeras3, new[] { HeadActivation.Tanh, HeadActivation.Sigmoid }, 0, 13),
        ["synthetic_tokens_none_keras2_before"] = () => Synthetic(GateConvention.ResetBefore, GateActivation.HardSigmoidKeras2, new[] { HeadActivation.None }, 25, 14),
    };

    private static GruModel Synthetic(GateConvention convention, GateActivation gates, HeadActivation[] activations, int vocabulary, int seed)
    {
        var rng = new Random(seed);
        var b = RandomModels.Create(rng, convention, 5, new[] { 16, 9 }, 4, HeadActivation.Softmax, 0.6f);
        var m = RandomModels.Extended(b, rng, activations.Select((_, i) => 11 + 4 * i).ToArray(), activations, gates, vocabulary, scale: 0.6f);
        return ModelQuantizer.Quantize(m, ModelPrecision.Int8, new CalibrationRange(-2, 2, 1));
    }

    /// <summary>
    /// Integer-only int8 of the grown model description (issue 13): dense stacks (hidden none/relu/tanh/sigmoid), ReLU
    /// and softmax heads, token models, Keras 2 and Keras 3 hard-sigmoid gates, both conventions: every path, and the
    /// 8-lane gate update of AllowUnsafe, bit for bit Int8ReferenceEngine.
    /// </summary>
    [Theory]
    [MemberData(nameof(ExtendedCases))]
    public void ExtendedArchitectureMatchesTheInt8ReferenceBitForBit(string name)
    {
        GruModel model;
        float[] seq;
        if (SyntheticExtended.TryGetValue(name, out var make))
        {
            model = make();
            var rng = new Random(name.Length);
            seq = model.IsTokenInput
                ? Enumerable.Range(0, 80).Select(_ => (float)rng.Next(model.Embedding!.VocabularySize)).ToArray()
                : Inputs(rng, 80, model.InputSize, 2.5);
        }
        else
        {
            var c = GeneratedCodeCases.Int8ExtendedCases().Single(x => x.Name == name);
            (model, seq) = (c.Model, c.Sequence);
        }
        var compiled = AssertBitExact(model, seq);
        if (model.GateActivation != GateActivation.Sigmoid) Assert.Contains("private static int HardSigmoid(int x)", compiled.Source);
        if (model.HiddenDenseLayers.Count > 0) Assert.Contains("private static void Dense0(ref short x, ref short y)", compiled.Source);
    }

    [Fact]
    public void TokenStepChecksTheIdAndAllocatesNothing()
    {
        var c = GeneratedCodeCases.Int8ExtendedCases().First(x => x.Model.IsTokenInput);
        const string probe =
            "public static string OutOfRange(int token) { var m = new M(); var y = new float[M.OutputSize];\n" +
            "try { m.Step(token, y); return \"no exception\"; } catch (System.ArgumentOutOfRangeException e) { return e.Message; } }\n" +
            "public static string OutOfRangeScalar(int token) { var m = new M(); var y = new float[M.OutputSize];\n" +
            "try { m.StepScalar(token, y); return \"no exception\"; } catch (System.ArgumentOutOfRangeException e) { return e.Message; } }\n" +
            "public static long AllocatedTokens(int steps) { var m = new M(); var y = new float[M.OutputSize];\n" +
            "for (int i = 0; i < 200; i++) m.Step(i % M.VocabularySize, y);\n" +
            "long before = System.GC.GetAllocatedBytesForCurrentThread(); for (int i = 0; i < steps; i++) m.Step(i % M.VocabularySize, y); return System.GC.GetAllocatedBytesForCurrentThread() - before; }\n";
        var compiled = CompiledModel.Compile(c.Model, extraProbe: probe);
        int v = c.Model.Embedding!.VocabularySize;
        foreach (int bad in new[] { v, -1, int.MaxValue })
        {
            Assert.Contains($"token id {bad} is outside the vocabulary of {v} ids", compiled.Call<string>("OutOfRange", bad));
            Assert.Contains($"token id {bad} is outside the vocabulary of {v} ids", compiled.Call<string>("OutOfRangeScalar", bad));
        }
        Assert.Equal("no exception", compiled.Call<string>("OutOfRange", v - 1));
        Assert.Equal(0, CompiledModel.LeastOfThree(() => compiled.Call<long>("AllocatedTokens", 10_000)));
    }

    [Fact]
    public void DenseStackStepAllocatesNothing()
    {
        var c = GeneratedCodeCases.Int8ExtendedCases().First(x => x.Model.HiddenDenseLayers.Count > 0 && !x.Model.IsTokenInput);
        var compiled = CompiledModel.Compile(c.Model, extraProbe: Probe(c.Model), allowUnsafe: true);
        var x = c.Sequence.AsSpan(0, c.Model.InputSize).ToArray();
        Assert.Equal(0, CompiledModel.LeastOfThree(() => compiled.Call<long>("Allocated", x, 10_000)));
    }

    [Fact]
    public void StepAllocatesNothing()
    {
        var rng = new Random(77);
        var b = RandomModels.Create(rng, GateConvention.ResetAfter, 6, new[] { 33, 17 }, 5, HeadActivation.Softmax, 0.3f);
        var model = ModelQuantizer.Quantize(b, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        var compiled = CompiledModel.Compile(model, extraProbe: Probe(model), allowUnsafe: true);
        var x = Inputs(rng, 1, 6, 1);
        Assert.Equal(0, CompiledModel.LeastOfThree(() => compiled.Call<long>("Allocated", x, 10_000)));
    }

    [Fact]
    public void FloatStepAllocatesNothingEither()
    {
        var rng = new Random(78);
        var model = RandomModels.Create(rng, GateConvention.ResetBefore, 6, new[] { 33, 17 }, 5, HeadActivation.Softmax, 0.3f);
        const string probe = "public static long Allocated(float[] x, int steps) { var m = new M(); var y = new float[M.OutputSize];\n" +
                             "for (int i = 0; i < 200; i++) m.Step(x, y);\n" +
                             "long before = System.GC.GetAllocatedBytesForCurrentThread(); for (int i = 0; i < steps; i++) m.Step(x, y); return System.GC.GetAllocatedBytesForCurrentThread() - before; }\n";
        var compiled = CompiledModel.Compile(model, extraProbe: probe);
        var x = Inputs(rng, 1, 6, 1);
        Assert.Equal(0, CompiledModel.LeastOfThree(() => compiled.Call<long>("Allocated", x, 10_000)));
    }

    /// <summary>
    /// Integer-only code is self-contained: no call into TinyGru.Kernels (float kernels) anywhere, the pair multiply-add
    /// has an ARM64 form, and the dispatcher asks VectorN.IsHardwareAccelerated like the float one (same switches).
    /// </summary>
    [Fact]
    public void GeneratedInt8CodeCallsNoKernelsAndDispatchesOnTheFloatSwitches()
    {
        var b = RandomModels.Create(new Random(4), GateConvention.ResetAfter, 5, new[] { 16 }, 3, HeadActivation.Softmax);
        var model = ModelQuantizer.Quantize(b, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        string source = NetModelEmitter.Emit(model, new NetEmitOptions { TypeName = "M", SourceName = "m.safetensors", AllowUnsafe = true });
        Assert.DoesNotContain("TinyGru.Kernels", source);
        Assert.Contains("AdvSimd.Arm64.AddPairwise(", source);
        Assert.Contains("if (global::System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && global::System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) Core512(", source);
        Assert.Contains("else if (global::System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && global::System.Runtime.Intrinsics.X86.Avx2.IsSupported) Core256(", source);
        Assert.Contains("else if (global::System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated) Core128(", source);
    }

    [Fact]
    public void DocumentationReportsPrecisionFlashAndRam()
    {
        var b = RandomModels.Create(new Random(3), GateConvention.ResetAfter, 3, new[] { 8 }, 4, HeadActivation.Softmax);
        var model = ModelQuantizer.Quantize(b, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        string source = NetModelEmitter.Emit(model, new NetEmitOptions { TypeName = "M", SourceName = "m.safetensors" });
        Assert.Contains("Precision int8 (integer-only", source);
        // W: 24 rows → 32 padded × 2 pairs × 2 = 128; U: 32 × 4 pairs × 2 = 256; head: 16 × 4 × 2 = 128 bytes.
        Assert.Contains("512 bytes of int8 weights", source);
        Assert.Contains("state 16 bytes (8 Q0.15 values)", source);
        Assert.Equal(source, NetModelEmitter.Emit(model, new NetEmitOptions { TypeName = "M", SourceName = "m.safetensors" }));
    }
}

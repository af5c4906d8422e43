using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Tests;

/// <summary>Which generated code a case exercises and how it is judged.</summary>
internal enum GeneratedCodeKind
{
    /// <summary>float32: within 1e-6 of GruReferenceEngine (and 1e-5 of PyTorch/ONNX Runtime for fixtures).</summary>
    Float,
    /// <summary>int8-weights: within 1e-5 of GruReferenceEngine, outputs and state.</summary>
    Int8Weights,
    /// <summary>integer-only int8: Int8ReferenceEngine's bits, outputs and Q0.15 state.</summary>
    Int8,
}

/// <summary>One generated-code check: a model, the sequence it runs, and (fixtures) PyTorch's outputs.</summary>
internal sealed record GeneratedCodeCase(string Name, GeneratedCodeKind Kind, GruModel Model, float[] Sequence, bool AllowUnsafe = false, ReferenceFixture? Fixture = null);

/// <summary>
/// The generated-code checks' cases, in one place: the xunit theories (TinyGru.CodeGen.Tests) build their models and
/// sequences here, and the NativeAOT harness (tests/TinyGru.AotChecks) runs <see cref="All"/> on ARM64 under emulation.
/// Models come from seeded <see cref="Random"/>s, so every process builds the same ones.
/// </summary>
internal static class GeneratedCodeCases
{
    public static readonly GateConvention[] Conventions = { GateConvention.ResetAfter, GateConvention.ResetBefore };

    /// <summary>Float sweep: (inputs, hidden, outputs, activation) for each convention.</summary>
    public static readonly (int Inputs, int[] Hidden, int Outputs, HeadActivation Activation)[] FloatShapes =
    {
        (1, new[] { 1 }, 1, HeadActivation.None),
        (3, new[] { 3 }, 2, HeadActivation.Softmax),
        (2, new[] { 7 }, 3, HeadActivation.Sigmoid),
        (5, new[] { 8 }, 4, HeadActivation.Tanh),
        (4, new[] { 9 }, 9, HeadActivation.None),
        (17, new[] { 31, 33 }, 7, HeadActivation.Softmax),
        (6, new[] { 64 }, 16, HeadActivation.None),
        (40, new[] { 127 }, 12, HeadActivation.None),
        (3, new[] { 16, 8, 5 }, 17, HeadActivation.None),
    };

    /// <summary>int8-weights sweep; the last item is the variant (0 plain, 1 no head, 2 normalization + output scaling).</summary>
    public static readonly (int Inputs, int[] Hidden, int Outputs, HeadActivation Activation, int Variant)[] Int8WeightsShapes =
    {
        (1, new[] { 1 }, 1, HeadActivation.None, 0),
        (3, new[] { 3 }, 2, HeadActivation.Softmax, 1),
        (2, new[] { 7 }, 3, HeadActivation.Sigmoid, 2),
        (5, new[] { 8 }, 4, HeadActivation.Tanh, 0),
        (4, new[] { 9 }, 9, HeadActivation.None, 1),
        (17, new[] { 31, 33 }, 7, HeadActivation.Softmax, 2),
        (6, new[] { 32 }, 5, HeadActivation.None, 0),
        (40, new[] { 64 }, 16, HeadActivation.None, 1),
        (12, new[] { 127 }, 12, HeadActivation.Tanh, 0),
        (3, new[] { 16, 8, 5 }, 17, HeadActivation.None, 1),
    };

    /// <summary>Integer-only int8 sweep, variants as for <see cref="Int8WeightsShapes"/>.</summary>
    public static readonly (int Inputs, int[] Hidden, int Outputs, HeadActivation Activation, int Variant)[] Int8Shapes =
    {
        (1, new[] { 1 }, 1, HeadActivation.None, 0),
        (3, new[] { 3 }, 2, HeadActivation.Softmax, 0),
        (2, new[] { 7 }, 3, HeadActivation.Sigmoid, 2),
        (5, new[] { 8 }, 4, HeadActivation.Tanh, 0),
        (4, new[] { 9 }, 9, HeadActivation.None, 1),
        (17, new[] { 31, 33 }, 7, HeadActivation.Softmax, 2),
        (6, new[] { 64 }, 16, HeadActivation.None, 0),
        (40, new[] { 127 }, 12, HeadActivation.Softmax, 0),
        (3, new[] { 16, 8, 5 }, 17, HeadActivation.None, 1),
    };

    /// <summary>The forward fixtures (PyTorch / ONNX spec) and the file each model is read from.</summary>
    public static readonly (string Name, string File)[] Fixtures =
    {
        ("gru_tiny", "gru_tiny.safetensors"),
        ("gru_small", "gru_small.safetensors"),
        ("gru_stacked", "gru_stacked.safetensors"),
        ("gru_reset_before", "gru_reset_before.onnx"),
    };

    /// <summary>
    /// The forward fixtures of the grown model description (issue 13) and the file each is read from: MLP heads and a
    /// token model (PyTorch 1.13, ONNX), Keras GRUs with sigmoid and Keras-2 hard-sigmoid gates (TensorFlow.js 4.22), and
    /// the Keras 3 reset-after .keras and legacy .h5 token model as `tinygru convert` writes them (the generator and these
    /// projects read no HDF5; ConvertedKerasFixturesAreCurrent pins the files to the reader).
    /// </summary>
    public static readonly (string Name, string File)[] ExtendedFixtures =
    {
        ("gru_mlp_head", "gru_mlp_head.onnx"),
        ("gru_mlp_softmax", "gru_mlp_softmax.onnx"),
        ("gru_embedding", "gru_embedding.onnx"),
        ("keras_gru_classic", "keras_gru_classic"),
        ("keras_gru_hard_sigmoid", "keras_gru_hard_sigmoid"),
        ("keras_reset_after", "keras_reset_after.converted.safetensors"),
        ("keras_embedding_legacy", "keras_embedding_legacy.converted.safetensors"),
    };

    /// <summary>
    /// Random models of the grown description: dense stacks (every activation, every final one), both hard sigmoids on
    /// register-resident and scratch layers, token models (V, E; 0 = feature input) folded and unfolded by the planner.
    /// </summary>
    public static readonly (string Name, GateConvention Convention, int Inputs, int[] Hidden, (int Width, HeadActivation Activation)[] Dense, GateActivation Gates, int Vocabulary)[] ExtendedShapes =
    {
        ("mlp_relu_softmax_keras3", GateConvention.ResetAfter, 3, new[] { 8 }, new[] { (12, HeadActivation.Relu), (4, HeadActivation.Softmax) }, GateActivation.HardSigmoidKeras3, 0),
        ("mlp_tanh_sigmoid_none_keras2", GateConvention.ResetBefore, 5, new[] { 20 }, new[] { (16, HeadActivation.Tanh), (8, HeadActivation.Sigmoid), (3, HeadActivation.None) }, GateActivation.HardSigmoidKeras2, 0),
        ("mlp_sigmoid_tanh_keras2_stacked", GateConvention.ResetAfter, 4, new[] { 16, 9 }, new[] { (7, HeadActivation.Sigmoid), (2, HeadActivation.Tanh) }, GateActivation.HardSigmoidKeras2, 0),
        ("mlp_relu_relu", GateConvention.ResetAfter, 2, new[] { 40 }, new[] { (33, HeadActivation.Relu), (5, HeadActivation.Relu) }, GateActivation.Sigmoid, 0),
        ("head_relu", GateConvention.ResetAfter, 3, new[] { 6 }, new[] { (4, HeadActivation.Relu) }, GateActivation.Sigmoid, 0),
        ("keras3_before", GateConvention.ResetBefore, 3, new[] { 8 }, new[] { (2, HeadActivation.None) }, GateActivation.HardSigmoidKeras3, 0),
        ("token_keras3_folded", GateConvention.ResetAfter, 8, new[] { 12 }, new[] { (3, HeadActivation.Softmax) }, GateActivation.HardSigmoidKeras3, 50),
        ("token_unfolded_mlp", GateConvention.ResetBefore, 4, new[] { 24, 8 }, new[] { (10, HeadActivation.Relu), (1, HeadActivation.Sigmoid) }, GateActivation.Sigmoid, 300),
        ("token_keras2_register", GateConvention.ResetAfter, 16, new[] { 8 }, new[] { (3, HeadActivation.None) }, GateActivation.HardSigmoidKeras2, 20),
    };

    /// <summary>
    /// A model of <see cref="ExtendedShapes"/> (PyTorch's initialization scale, twice that for int8-weights so gates
    /// saturate) and its sequence: 40 steps of inputs in ±2, or of token ids 0 … V − 1 (as floats).
    /// </summary>
    public static (GruModel Model, float[] Sequence) ExtendedSweep(int index, bool int8Weights)
    {
        var (_, convention, inputs, hidden, dense, gates, vocabulary) = ExtendedShapes[index];
        var rng = new Random(1300 + index);
        float scale = (int8Weights ? 2f : 1f) / MathF.Sqrt(hidden.Max());
        float[] R(int n) => Uniform(rng, n, scale);
        var layers = new List<GruLayerSpec>();
        int input = inputs;
        foreach (int h in hidden)
        {
            layers.Add(new GruLayerSpec(input, h, R(3 * h * input), R(3 * h * h), R(3 * h), R(3 * h)));
            input = h;
        }
        var denseLayers = new List<DenseHeadSpec>();
        foreach (var (width, activation) in dense)
        {
            denseLayers.Add(new DenseHeadSpec(input, width, R(width * input), R(width), activation));
            input = width;
        }
        var embedding = vocabulary == 0 ? null : new TokenEmbedding(vocabulary, inputs, Uniform(rng, vocabulary * inputs, 1));
        var model = new GruModel(convention, layers, denseLayers[^1], hiddenDenseLayers: denseLayers.Take(denseLayers.Count - 1).ToList(),
            embedding: embedding, gateActivation: gates);
        int steps = 40;
        var seq = vocabulary == 0 ? Uniform(rng, steps * inputs, 2) : Enumerable.Range(0, steps).Select(_ => (float)rng.Next(vocabulary)).ToArray();
        return (int8Weights ? ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights) : model, seq);
    }

    /// <summary>The cases of the grown model description: every extended fixture and shape, float32 and int8-weights.</summary>
    public static IEnumerable<GeneratedCodeCase> Extended()
    {
        foreach (var (name, file) in ExtendedFixtures)
        {
            var (model, fixture) = FloatFixture(name, file);
            yield return new GeneratedCodeCase("float_fixture_" + name, GeneratedCodeKind.Float, model, fixture.X, Fixture: fixture);
        }
        for (int i = 0; i < ExtendedShapes.Length; i++)
        {
            var (model, seq) = ExtendedSweep(i, int8Weights: false);
            yield return new GeneratedCodeCase("float_" + ExtendedShapes[i].Name, GeneratedCodeKind.Float, model, seq);
        }
        foreach (var (name, file) in ExtendedFixtures)
        {
            var (model, seq) = Int8WeightsFixture(name, file);
            yield return new GeneratedCodeCase("int8w_fixture_" + name, GeneratedCodeKind.Int8Weights, model, seq);
        }
        for (int i = 0; i < ExtendedShapes.Length; i++)
        {
            var (model, seq) = ExtendedSweep(i, int8Weights: true);
            yield return new GeneratedCodeCase("int8w_" + ExtendedShapes[i].Name, GeneratedCodeKind.Int8Weights, model, seq);
        }
    }

    /// <summary>
    /// Integer-only int8 of the grown description (issue 13, 8 cases so the ARM64 lane stays short): five fixtures
    /// (dense stack with a relu layer, token model, Keras 2 hard sigmoid, Keras 3 reset-after with a relu stack, the
    /// legacy .h5 token model; calibrated on their inputs) and three shapes
    /// (a tanh/sigmoid/none stack with Keras 2 gates reset-before, a token model with a relu layer, Keras 3 gates with a
    /// relu layer and softmax), their sequences as for int8-weights.
    /// </summary>
    public static IEnumerable<GeneratedCodeCase> Int8ExtendedCases()
    {
        foreach (var (name, file) in new[] { ExtendedFixtures[0], ExtendedFixtures[2], ExtendedFixtures[4], ExtendedFixtures[5], ExtendedFixtures[6] })
        {
            var (model, fixture) = FloatFixture(name, file);
            var q = model.IsTokenInput ? ModelQuantizer.Quantize(model, ModelPrecision.Int8)
                : ModelQuantizer.Quantize(model, ModelPrecision.Int8, CalibrationRange.Observe(model, Rows(fixture.X, fixture.InputSize)));
            var seq = Enumerable.Repeat(fixture.X, 100 / fixture.Steps + 1).SelectMany(x => x).ToArray();
            yield return new GeneratedCodeCase("int8_fixture_" + name, GeneratedCodeKind.Int8, q, seq);
        }
        foreach (int i in new[] { 1, 7, 0 })
        {
            var (model, seq) = ExtendedSweep(i, int8Weights: true);
            var q = ModelQuantizer.Quantize(model.WithoutQuantization(), ModelPrecision.Int8, new CalibrationRange(-2, 2, 1));
            yield return new GeneratedCodeCase("int8_" + ExtendedShapes[i].Name, GeneratedCodeKind.Int8, q, seq);
        }
    }

    /// <summary>
    /// Series transforms (issue 16) on 3 inputs → 2 outputs: plain differencing with a residual output, seasonal (m = 4,
    /// residual delay 1) with two residual outputs, only feature 1 differenced, and a residual forecast on levels (no state).
    /// </summary>
    public static readonly (string Name, bool[] Differenced, int[] Residual, int Season, int Delay)[] Transforms =
    {
        ("difference", new[] { true, true, true }, new[] { 0, -1 }, 0, 0),
        ("seasonal4", new[] { true, true, true }, new[] { 2, 0 }, 4, 1),
        ("partial", new[] { false, true, false }, new[] { -1, 1 }, 0, 0),
        ("residual_only", new[] { false, false, false }, new[] { 1, -1 }, 0, 0), // no history: no transform state
    };

    /// <summary>
    /// A model with transform <paramref name="index"/> of <see cref="Transforms"/> (normalization and output scaling too)
    /// in <paramref name="kind"/>'s precision, and 48 steps of a drifting series with a season of 4 and noise.
    /// </summary>
    public static (GruModel Model, float[] Sequence) TransformedSweep(int index, GeneratedCodeKind kind)
    {
        var (_, differenced, residual, season, delay) = Transforms[index];
        var rng = new Random(1600 + index * 10 + (int)kind);
        var convention = index % 2 == 0 ? GateConvention.ResetAfter : GateConvention.ResetBefore;
        int[] hidden = index == 1 ? new[] { 6, 9 } : new[] { 8 };
        var b = RandomModels.Create(rng, convention, 3, hidden, 2, HeadActivation.None, 2f / MathF.Sqrt(hidden.Max()));
        var model = RandomModels.Variant(b, rng, 2, outputScaleSpread: 3);
        const int steps = 48;
        var seq = new float[steps * 3];
        var level = new double[] { 10, -3, 0.5 };
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < 3; i++)
            {
                level[i] += 0.3 * (i + 1) + (rng.NextDouble() - 0.5);
                seq[t * 3 + i] = (float)(level[i] + 2 * Math.Sin(2 * Math.PI * t / 4 + i));
            }
        model = kind switch
        {
            GeneratedCodeKind.Float => model,
            GeneratedCodeKind.Int8Weights => ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights),
            _ => ModelQuantizer.Quantize(model, ModelPrecision.Int8, CalibrationRange.Observe(model, Rows(Uniform(rng, 20 * 3, 4), 3))),
        };
        return (model.WithSeriesTransform(new SeriesTransform(differenced, residual, season, delay)), seq);
    }

    private static float[] Uniform(Random rng, int count, double spread) =>
        Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * spread)).ToArray();

    private static IEnumerable<float[]> Rows(float[] seq, int inputs) =>
        Enumerable.Range(0, seq.Length / inputs).Select(t => seq.AsSpan(t * inputs, inputs).ToArray());

    /// <summary>A float sweep model (PyTorch's initialization scale) and 25 steps of inputs in ±2.</summary>
    public static (GruModel Model, float[] Sequence) FloatSweep(GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation)
    {
        var rng = new Random(inputs * 1000 + hidden.Sum() * 10 + outputs);
        var model = RandomModels.Create(rng, convention, inputs, hidden, outputs, activation, 1f / MathF.Sqrt(hidden.Max()));
        var seq = Enumerable.Range(0, 25 * inputs).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        return (model, seq);
    }

    /// <summary>An int8-weights sweep model (twice PyTorch's scale, so gates saturate too) and 60 steps.</summary>
    public static (GruModel Model, float[] Sequence) Int8WeightsSweep(GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation, int variant)
    {
        var rng = new Random(inputs * 1000 + hidden.Sum() * 10 + outputs + variant);
        var b = RandomModels.Create(rng, convention, inputs, hidden, outputs, activation, 2f / MathF.Sqrt(hidden.Max()));
        var model = RandomModels.Variant(b, rng, variant);
        var seq = Uniform(rng, 60 * inputs, variant == 2 ? 8 : 2);
        return (ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights), seq);
    }

    /// <summary>An integer-only int8 sweep model, calibrated on most of the input range so that some inputs saturate, and 120 steps.</summary>
    public static (GruModel Model, float[] Sequence) Int8Sweep(GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation, int variant)
    {
        var rng = new Random(inputs * 1000 + hidden.Sum() * 10 + outputs + variant);
        // Larger than PyTorch's initialization so that gates and the state reach the saturated ends of the tables.
        var b = RandomModels.Create(rng, convention, inputs, hidden, outputs, activation, 2f / MathF.Sqrt(hidden.Max()));
        var model = RandomModels.Variant(b, rng, variant, outputScaleSpread: 10);
        var seq = Uniform(rng, 120 * inputs, variant == 2 ? 8 : 2);
        var calibration = CalibrationRange.Observe(model, Rows(Uniform(rng, 20 * inputs, variant == 2 ? 6 : 1.5), inputs));
        return (ModelQuantizer.Quantize(model, ModelPrecision.Int8, calibration), seq);
    }

    /// <summary>A fixture's float model and its PyTorch/ONNX outputs.</summary>
    public static (GruModel Model, ReferenceFixture Fixture) FloatFixture(string name, string file) =>
        (ModelLoader.Load(ReferenceFixture.PathOf(file)), ReferenceFixture.Load(name));

    /// <summary>A fixture quantized to integer-only int8, calibrated on its inputs, and its sequence repeated to ≥ 100 steps.</summary>
    public static (GruModel Model, float[] Sequence) Int8Fixture(string name, string file)
    {
        var (model, fixture) = FloatFixture(name, file);
        var calibration = CalibrationRange.Observe(model, Rows(fixture.X, fixture.InputSize));
        var seq = Enumerable.Repeat(fixture.X, (100 + fixture.Steps - 1) / fixture.Steps + 1).SelectMany(x => x).ToArray();
        return (ModelQuantizer.Quantize(model, ModelPrecision.Int8, calibration), seq);
    }

    /// <summary>A fixture as int8-weights (as `tinygru quantize` does; gru_small's stored int8-weights file for gru_small) and its sequence repeated to ≥ 100 steps.</summary>
    public static (GruModel Model, float[] Sequence) Int8WeightsFixture(string name, string file)
    {
        var model = ModelLoader.Load(ReferenceFixture.PathOf(name == "gru_small" ? "gru_small_int8w.safetensors" : file));
        if (model.Precision != ModelPrecision.Int8Weights) model = ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights);
        var f = ReferenceFixture.Load(name);
        return (model, Enumerable.Repeat(f.X, 100 / f.Steps + 1).SelectMany(x => x).ToArray());
    }

    /// <summary>
    /// FNV-1a (64-bit) of the values' bits, as hex: compares runs across machines. Not SHA-256, whose .NET
    /// implementation needs OpenSSL, which the emulated ARM64 system does not have.
    /// </summary>
    public static string Digest(float[] values)
    {
        ulong hash = 14695981039346656037UL;
        foreach (float v in values)
        {
            uint bits = (uint)BitConverter.SingleToInt32Bits(v);
            for (int b = 0; b < 4; b++)
            {
                hash ^= (bits >> (8 * b)) & 0xFF;
                hash *= 1099511628211UL;
            }
        }
        return hash.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether an integer-only int8 model also gets the AllowUnsafe variant (8-lane gate update on the x86 SIMD paths).</summary>
    public static bool HasVectorGates(GruModel model) =>
        model.Convention == GateConvention.ResetAfter && model.Layers.Any(l => l.HiddenSize >= 8);

    private static string Shape(GateConvention c, int inputs, int[] hidden, int outputs, HeadActivation activation) =>
        $"{(c == GateConvention.ResetAfter ? "after" : "before")}_{inputs}x{string.Join("-", hidden)}x{outputs}_{activation.ToString().ToLowerInvariant()}";

    /// <summary>
    /// Shard <paramref name="index"/> of <paramref name="count"/>: every count-th case of <see cref="All"/> from the
    /// index-th. The ARM64 lane compiles its cases in shards, each one NativeAOT executable: one compilation of every
    /// case's generated code needed several times the compiler time (and 7 GB) of the same code in a few pieces.
    /// </summary>
    public static IEnumerable<GeneratedCodeCase> Shard(int index, int count) =>
        count < 1 || index < 0 || index >= count ? throw new ArgumentOutOfRangeException(nameof(index), $"shard {index} of {count}") : All().Where((_, i) => i % count == index);

    /// <summary>Parses "K/N" (shard K of N, from 0) for the lane's programs.</summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int k) && int.TryParse(parts[1], out int n) && n >= 1 && k >= 0 && k < n) return (k, n);
        throw new ArgumentException($"'{text}' is not a shard K/N with 0 ≤ K < N");
    }

    /// <summary>Every case, in a fixed order (the harness's generated code is emitted in this order and matched by name).</summary>
    public static IEnumerable<GeneratedCodeCase> All()
    {
        foreach (var (name, file) in Fixtures)
        {
            var (model, fixture) = FloatFixture(name, file);
            yield return new GeneratedCodeCase("float_fixture_" + name, GeneratedCodeKind.Float, model, fixture.X, Fixture: fixture);
        }
        foreach (var c in Conventions)
            foreach (var (i, h, o, a) in FloatShapes)
            {
                var (model, seq) = FloatSweep(c, i, h, o, a);
                yield return new GeneratedCodeCase("float_" + Shape(c, i, h, o, a), GeneratedCodeKind.Float, model, seq);
            }
        foreach (var (name, file) in Fixtures)
        {
            var (model, seq) = Int8WeightsFixture(name, file);
            yield return new GeneratedCodeCase("int8w_fixture_" + name, GeneratedCodeKind.Int8Weights, model, seq);
        }
        foreach (var c in Conventions)
            foreach (var (i, h, o, a, v) in Int8WeightsShapes)
            {
                var (model, seq) = Int8WeightsSweep(c, i, h, o, a, v);
                yield return new GeneratedCodeCase($"int8w_{Shape(c, i, h, o, a)}_v{v}", GeneratedCodeKind.Int8Weights, model, seq);
            }
        foreach (var (name, file) in Fixtures)
        {
            var (model, seq) = Int8Fixture(name, file);
            yield return new GeneratedCodeCase("int8_fixture_" + name, GeneratedCodeKind.Int8, model, seq);
            if (HasVectorGates(model)) yield return new GeneratedCodeCase("int8_fixture_" + name + "_unsafe", GeneratedCodeKind.Int8, model, seq, AllowUnsafe: true);
        }
        foreach (var c in Conventions)
            foreach (var (i, h, o, a, v) in Int8Shapes)
            {
                var (model, seq) = Int8Sweep(c, i, h, o, a, v);
                string name = $"int8_{Shape(c, i, h, o, a)}_v{v}";
                yield return new GeneratedCodeCase(name, GeneratedCodeKind.Int8, model, seq);
                if (HasVectorGates(model)) yield return new GeneratedCodeCase(name + "_unsafe", GeneratedCodeKind.Int8, model, seq, AllowUnsafe: true);
            }
        // The grown model description (issue 13), appended so that the earlier cases keep their numbers.
        foreach (var c in Extended()) yield return c;
        // Series transforms in generated code (issue 16), appended likewise.
        foreach (var (index, kind) in new[] { (1, GeneratedCodeKind.Float), (0, GeneratedCodeKind.Int8Weights), (1, GeneratedCodeKind.Int8) })
        {
            var (model, seq) = TransformedSweep(index, kind);
            string prefix = kind switch { GeneratedCodeKind.Float => "float", GeneratedCodeKind.Int8Weights => "int8w", _ => "int8" };
            yield return new GeneratedCodeCase($"{prefix}_transform_{Transforms[index].Name}", kind, model, seq);
        }
        // Integer-only int8 of the grown description (issue 13), appended likewise.
        foreach (var c in Int8ExtendedCases()) yield return c;
    }
}

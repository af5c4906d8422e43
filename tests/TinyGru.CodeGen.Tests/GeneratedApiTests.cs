using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// The generated API around Step: the classifying step, the static arg-max, the identity constants and the
/// IGruModel sizes, checked against the reference engines (themselves checked against PyTorch and ONNX Runtime).
/// </summary>
public class GeneratedApiTests
{
    private const string Probe = """
        public static int[] StepAndClassify(float[] seq, float[] probabilities)
        {
            var m = new M(); int t = seq.Length / M.InputSize; var classes = new int[t];
            for (int s = 0; s < t; s++)
                classes[s] = m.StepAndClassify(new System.ReadOnlySpan<float>(seq, s * M.InputSize, M.InputSize), new System.Span<float>(probabilities, s * M.OutputSize, M.OutputSize));
            return classes;
        }
        public static int ArgMax(float[] scores) => M.ArgMax(scores);
        public static int[] Sizes() { TinyGru.IGruModel m = new M(); return new[] { m.InputSize, m.OutputSize }; }
        """;

    private static GruModel Classifier(ModelPrecision precision, Random rng, float[] seq, int inputs)
    {
        var model = RandomModels.Create(rng, GateConvention.ResetAfter, inputs, [8], 4, HeadActivation.Softmax, scale: 0.8f);
        if (precision == ModelPrecision.Float32) return model;
        var rows = Enumerable.Range(0, seq.Length / inputs).Select(t => seq.AsSpan(t * inputs, inputs).ToArray());
        return ModelQuantizer.Quantize(model, precision, CalibrationRange.Observe(model, rows));
    }

    [Theory]
    [InlineData(ModelPrecision.Float32)]
    [InlineData(ModelPrecision.Int8Weights)]
    [InlineData(ModelPrecision.Int8)]
    public void StepAndClassify_fills_the_probabilities_and_returns_their_arg_max(ModelPrecision precision)
    {
        var rng = new Random(14);
        const int inputs = 3, steps = 40;
        var seq = Enumerable.Range(0, inputs * steps).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var model = Classifier(precision, rng, seq, inputs);
        var compiled = CompiledModel.Compile(model, extraProbe: Probe);

        var probabilities = new float[steps * 4];
        var classes = compiled.Call<int[]>("StepAndClassify", seq, probabilities);

        var engine = GruEngine.Create(model);
        var expected = new float[4];
        for (int t = 0; t < steps; t++)
        {
            engine.Step(seq.AsSpan(t * inputs, inputs), expected);
            for (int o = 0; o < 4; o++)
            {
                if (precision == ModelPrecision.Int8) Assert.Equal(expected[o], probabilities[t * 4 + o]);   // integer-only: bit-exact
                else Assert.Equal(expected[o], probabilities[t * 4 + o], 1e-5f);
            }
            int best = 0;
            for (int o = 1; o < 4; o++) if (probabilities[t * 4 + o] > probabilities[t * 4 + best]) best = o;
            Assert.Equal(best, classes[t]);
        }
        Assert.True(classes.Distinct().Count() > 1, "the random classifier should predict more than one class over 40 steps");
    }

    [Fact]
    public void ArgMax_takes_the_first_of_equal_scores_and_rejects_none()
    {
        var compiled = CompiledModel.Compile(RandomModels.Create(new Random(1), GateConvention.ResetAfter, 2, [4], 3, HeadActivation.Softmax), extraProbe: Probe);
        Assert.Equal(1, compiled.Call<int>("ArgMax", new[] { 0.1f, 0.4f, 0.4f, 0.1f }));
        Assert.Equal(0, compiled.Call<int>("ArgMax", new[] { 5f }));
        var e = Assert.Throws<System.Reflection.TargetInvocationException>(() => compiled.Call<int>("ArgMax", Array.Empty<float>()));
        Assert.IsType<ArgumentException>(e.InnerException);
    }

    [Fact]
    public void Regression_models_have_no_classifier_members()
    {
        var compiled = CompiledModel.Compile(RandomModels.Create(new Random(2), GateConvention.ResetAfter, 2, [4], 3, HeadActivation.None));
        Assert.Null(compiled.ModelType.GetMethod("StepAndClassify"));
        Assert.Null(compiled.ModelType.GetMethod("ArgMax"));
    }

    [Theory]
    [InlineData(ModelPrecision.Float32)]
    [InlineData(ModelPrecision.Int8)]
    public void Identity_constants_and_interface_sizes(ModelPrecision precision)
    {
        var rng = new Random(3);
        var seq = Enumerable.Range(0, 3 * 20).Select(_ => (float)rng.NextDouble()).ToArray();
        var plain = Classifier(precision, rng, seq, 3);
        var named = new GruModel(plain.Convention, plain.Layers, plain.Head, plain.InputNormalization, plain.OutputScaling,
            new ModelMetadata("gesture \"v2\"", ModelTask.Classification, null, null), plain.Quantization);
        foreach (var (model, name) in new[] { (plain, "test"), (named, "gesture \"v2\"") })
        {
            var compiled = CompiledModel.Compile(model, extraProbe: Probe);
            object? Constant(string field) => compiled.ModelType.GetField(field)!.GetRawConstantValue();
            Assert.Equal(name, Constant("ModelName"));           // the metadata name, else the file name without extension
            Assert.Equal("0", Constant("ModelSha256"));           // CompiledModel passes SourceHash = "0"
            string version = (string)Constant("TinyGruVersion")!;
            Assert.Equal(typeof(NetModelEmitter).Assembly.GetName().Version!.ToString(3), version.Split('-')[0]);
            Assert.DoesNotContain("+", version, StringComparison.Ordinal);   // no commit suffix: the text changes only with a release
            Assert.Equal([3, 4], compiled.Call<int[]>("Sizes"));
        }
    }

    [Fact]
    public void GruEngine_loads_any_format_and_reports_its_sizes()
    {
        var fixture = ReferenceFixture.Load("gru_small");
        foreach (var file in new[] { "gru_small.safetensors", "gru_small.onnx" })
        {
            IGruModel engine = GruEngine.Load(ReferenceFixture.PathOf(file));
            Assert.Equal(fixture.InputSize, engine.InputSize);
            Assert.Equal(fixture.Y.Length / fixture.Steps, engine.OutputSize);
            var y = new float[engine.OutputSize];
            for (int t = 0; t < fixture.Steps; t++)
            {
                engine.Step(fixture.X.AsSpan(t * fixture.InputSize, fixture.InputSize), y);
                for (int o = 0; o < y.Length; o++) Assert.Equal(fixture.Y[t * y.Length + o], y[o], 1e-5f);   // PyTorch 1.13's output
            }
        }
        var bad = Assert.Throws<ModelFormatException>(() => GruEngine.Load(new byte[] { 1, 2, 3 }, "broken.bin"));
        Assert.Contains("broken.bin", bad.Message, StringComparison.Ordinal);
    }
}

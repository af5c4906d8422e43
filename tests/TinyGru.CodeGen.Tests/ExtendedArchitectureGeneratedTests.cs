using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// Generated .NET code of the grown model description (issue 13): dense MLP heads, token (embedding) inputs folded and
/// unfolded, hard-sigmoid gates of both definitions, in float32 and int8-weights, on every SIMD path and the dispatcher.
/// Float code is within 1e-6 of GruReferenceEngine and 1e-5 of PyTorch / TensorFlow.js (scaled |Δ| / max(1, |y|));
/// int8-weights code within 1e-5 of the reference engine run on its q·scale weights.
/// </summary>
public class ExtendedArchitectureGeneratedTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in GeneratedCodeCases.Extended()) data.Add(c.Name);
        return data;
    }

    private static GeneratedCodeCase Case(string name) => GeneratedCodeCases.Extended().Single(c => c.Name == name);

    private static float[] Reference(GruModel model, float[] seq)
    {
        var y = new float[seq.Length / model.StepInputSize * model.OutputSize];
        new GruReferenceEngine(model).Run(seq, y);
        return y;
    }

    private void AssertEveryPath(GeneratedCodeCase c, bool? foldEmbedding = null)
    {
        var model = c.Model;
        var expected = Reference(model, c.Sequence);
        var compiled = CompiledModel.Compile(model, foldEmbedding: foldEmbedding);
        double tolerance = c.Kind == GeneratedCodeKind.Float ? 1e-6 : 1e-5;
        foreach (var path in compiled.Paths)
        {
            var actual = compiled.Run(path, c.Sequence, model.OutputSize, model.StepInputSize);
            double error = ReferenceFixture.MaxScaledError(expected, actual);
            output.WriteLine($"{c.Name} path '{path}': vs reference {error:G3}");
            Assert.True(error <= tolerance, $"{c.Name} path '{path}': max scaled |Δy| vs GruReferenceEngine = {error:G3}");
            if (c.Fixture is { } f)
            {
                double fixtureError = ReferenceFixture.MaxScaledError(f.Y, actual);
                Assert.True(fixtureError <= 1e-5, $"{c.Name} path '{path}': max scaled |Δy| vs the fixture = {fixtureError:G3}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryPathMatchesTheReference(string name) => AssertEveryPath(Case(name));

    [Theory]
    [InlineData("float_fixture_gru_embedding")]
    [InlineData("int8w_fixture_gru_embedding")]
    [InlineData("float_token_keras3_folded")]
    [InlineData("int8w_token_unfolded_mlp")]
    [InlineData("float_token_keras2_register")]
    public void TheOtherEmbeddingFormMatchesToo(string name)
    {
        // The planner's choice is exercised by the theory above; here the other form of the same model.
        var c = Case(name);
        bool planned = NetModelPlan.Create(c.Model).Embedding!.Folded;
        var source = CompiledModel.Compile(c.Model, foldEmbedding: !planned).Source;
        Assert.Equal(!planned, source.Contains("EmbeddingFoldedInput", StringComparison.Ordinal));
        AssertEveryPath(c, foldEmbedding: !planned);
    }

    [Fact]
    public void ThePlannerFoldsSmallTablesOnly()
    {
        // gru_embedding: V = 40, E = 8, H = 16: the [40, 48] float table is 2.7× E and W in float32 (folded), but 8.9×
        // their int8 bytes (not folded); the V = 300 model's table is 18× (not folded).
        var model = GeneratedCodeCases.FloatFixture("gru_embedding", "gru_embedding.onnx").Model;
        Assert.True(NetModelPlan.Create(model).Embedding!.Folded);
        Assert.False(NetModelPlan.Create(ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights)).Embedding!.Folded);
        Assert.False(NetModelPlan.Create(Case("float_token_unfolded_mlp").Model).Embedding!.Folded);
        // The sweep's names say what the planner chose.
        foreach (var c in GeneratedCodeCases.Extended().Where(c => c.Model.IsTokenInput && c.Kind == GeneratedCodeKind.Float && !c.Name.Contains("fixture")))
            Assert.Equal(!c.Name.Contains("unfolded"), NetModelPlan.Create(c.Model).Embedding!.Folded);
        Assert.True(KernelPlanner.FoldsEmbedding(4000, 1000));
        Assert.False(KernelPlanner.FoldsEmbedding(4001, 1000));
        Assert.False(KernelPlanner.FoldsEmbedding(KernelPlanner.FoldEmbeddingMaxBytes + 4, KernelPlanner.FoldEmbeddingMaxBytes));
    }

    private const string TokenProbe = """
        public static float[] ByToken(string path, int[] tokens) { var m = new M(); var outs = new float[tokens.Length * M.OutputSize];
          for (int s = 0; s < tokens.Length; s++) { var y = new System.Span<float>(outs, s * M.OutputSize, M.OutputSize);
            switch (path) { case "": m.Step(tokens[s], y); break; case "Scalar": m.StepScalar(tokens[s], y); break; default: throw new System.ArgumentException(path); } }
          return outs; }
        public static string StepToken(int token) { try { new M().Step(token, new float[M.OutputSize]); return "ok"; } catch (System.ArgumentOutOfRangeException e) { return e.Message; } }
        public static string StepScalarToken(int token) { try { new M().StepScalar(token, new float[M.OutputSize]); return "ok"; } catch (System.ArgumentOutOfRangeException e) { return e.Message; } }
        public static string StepFloat(float token) { try { new M().Step(new float[] { token }, new float[M.OutputSize]); return "ok"; } catch (System.ArgumentOutOfRangeException e) { return e.Message; } }
        public static long Allocated(int steps) { var m = new M(); var y = new float[M.OutputSize];
          for (int i = 0; i < 200; i++) m.Step(i % M.VocabularySize, y);
          long before = System.GC.GetAllocatedBytesForCurrentThread(); for (int i = 0; i < steps; i++) m.Step(i % M.VocabularySize, y); return System.GC.GetAllocatedBytesForCurrentThread() - before; }
        """;

    [Theory]
    [InlineData("float_fixture_gru_embedding")]
    [InlineData("int8w_fixture_gru_embedding")]
    [InlineData("float_token_unfolded_mlp")]
    public void TokenStepsTakeIdsCheckThemAndAllocateNothing(string name)
    {
        var c = Case(name);
        var compiled = CompiledModel.Compile(c.Model, extraProbe: TokenProbe);
        int v = c.Model.Embedding!.VocabularySize;
        Assert.Equal(1, (int)compiled.ModelType.GetField("InputSize")!.GetRawConstantValue()!);
        Assert.Equal(v, (int)compiled.ModelType.GetField("VocabularySize")!.GetRawConstantValue()!);

        // Step(int) is Step(float span) with the id as a whole float, and both are the reference engine's.
        var tokens = c.Sequence.Select(t => (int)t).ToArray();
        var expected = Reference(c.Model, c.Sequence);
        foreach (var path in new[] { "", "Scalar" })
            Assert.True(ReferenceFixture.MaxScaledError(expected, compiled.Call<float[]>("ByToken", path, tokens)) <= (c.Kind == GeneratedCodeKind.Float ? 1e-6 : 1e-5));

        // Out-of-range ids: the reference engine's message, naming the id and V.
        foreach (var method in new[] { "StepToken", "StepScalarToken" })
        {
            Assert.Equal("ok", compiled.Call<string>(method, v - 1));
            Assert.StartsWith($"token id {v} is outside the vocabulary of {v} ids (expected 0 to {v - 1})", compiled.Call<string>(method, v));
            Assert.StartsWith($"token id -1 is outside the vocabulary of {v} ids", compiled.Call<string>(method, -1));
            Assert.StartsWith($"token id {int.MinValue} is outside", compiled.Call<string>(method, int.MinValue));
        }
        Assert.Equal("ok", compiled.Call<string>("StepFloat", 0f));
        Assert.StartsWith($"token id 2.5 is not a whole number from 0 to {v - 1} (vocabulary of {v} ids)", compiled.Call<string>("StepFloat", 2.5f));
        Assert.StartsWith($"token id {v} is not a whole number", compiled.Call<string>("StepFloat", (float)v));
        Assert.StartsWith("token id NaN is not a whole number", compiled.Call<string>("StepFloat", float.NaN));

        long allocated = CompiledModel.LeastOfThree(() => compiled.Call<long>("Allocated", 2000));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void GeneratedCodeDocumentsTheNewParts()
    {
        var source = CompiledModel.Compile(Case("float_mlp_tanh_sigmoid_none_keras2").Model).Source;
        Assert.Contains("Head: 3 dense layers x_(d+1) = act_d(W_d·x_d + b_d): [16, 20] tanh → [8, 16] sigmoid → [3, 8] none.", source);
        Assert.Contains("r and z use the Keras 2 / TF.js hard sigmoid σ(x) = clip(0.2·x + 0.5, 0, 1).", source);
        Assert.Contains("// Dense layer 1: y = sigmoid(W·x + b)   [8, 16] · [16]", source);
        var token = CompiledModel.Compile(Case("float_fixture_gru_embedding").Model).Source;
        Assert.Contains("Token id 0 … 39 → embedding [40, 8] → GRU 16 → dense 4 (softmax) → output 4.", token);
        Assert.Contains("The embedding is folded: layer 0's W·E[t] + b_i for every id is a [40, 48] float32 table (7,680 bytes)", token);
    }
}

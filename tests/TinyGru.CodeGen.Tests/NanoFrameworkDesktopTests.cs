using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinyGru.CodeGen.NanoFramework;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// Check 3 of issue 6: every emitted nanoFramework file, compiled for desktop .NET (C# 9) with shims only for the
/// nanoFramework-specific ResourceUtility, runs the fixtures: float within 1e-4 of the reference engine, int8 bit for
/// bit with Int8ReferenceEngine (outputs and Classify), int8-weights within 1e-4. Desktop float arithmetic stands in for
/// the device's single-precision float; nothing here runs on nanoCLR.
/// </summary>
public class NanoFrameworkDesktopTests
{
    private static readonly NanoWeightPlacement[] Placements = { NanoWeightPlacement.Inline, NanoWeightPlacement.Arrays, NanoWeightPlacement.Resource };

    /// <summary>nanoFramework's ResourceUtility, as nf-interpreter implements the chunked read (tests/Shared/NanoFramework/ResourceUtility.cs, also compiled into the NativeAOT checks).</summary>
    private static readonly Lazy<string> Shim = new(() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Shared", "NanoFramework", "ResourceUtility.cs")));

    private const string Probe = @"
namespace Probe
{
    public enum BinaryResources : short { M_weights = 1 }
    public static class Runner
    {
        static M Create(byte[] resource)
        {
#if RESOURCE
            nanoFramework.Runtime.Native.ResourceUtility.Data = resource;
            return new M(new System.Resources.ResourceManager(""Probe.Resources"", typeof(Runner).Assembly), BinaryResources.M_weights);
#else
            return new M();
#endif
        }
        public static float[] Run(float[] seq, byte[] resource)
        {
            var m = Create(resource);
            int t = seq.Length / M.InputSize;
            var outs = new float[t * M.OutputSize];
            var x = new float[M.InputSize];
            var y = new float[M.OutputSize];
            for (int s = 0; s < t; s++)
            {
                System.Array.Copy(seq, s * M.InputSize, x, 0, M.InputSize);
                m.Step(x, y);
                System.Array.Copy(y, 0, outs, s * M.OutputSize, M.OutputSize);
                if (s == t / 2) { m.Reset(); m = Create(resource); m.Reset(); }
            }
            return outs;
        }
#if CLASSIFY
        public static int[] Classify(float[] seq, byte[] resource)
        {
            var m = Create(resource);
            int t = seq.Length / M.InputSize;
            var r = new int[t];
            var x = new float[M.InputSize];
            for (int s = 0; s < t; s++) { System.Array.Copy(seq, s * M.InputSize, x, 0, M.InputSize); r[s] = m.Classify(x); }
            return r;
        }
#endif
#if TOKENS
        public static float[] RunTokens(int[] tokens, byte[] resource)
        {
            var m = Create(resource);
            var outs = new float[tokens.Length * M.OutputSize];
            var y = new float[M.OutputSize];
            for (int s = 0; s < tokens.Length; s++) { m.Step(tokens[s], y); System.Array.Copy(y, 0, outs, s * M.OutputSize, M.OutputSize); }
            return outs;
        }
        public static string StepToken(int token, byte[] resource)
        {
            try { Create(resource).Step(token, new float[M.OutputSize]); return ""ok""; }
            catch (System.ArgumentOutOfRangeException e) { return e.Message.Split('\n')[0].Split(new[] { "" (Parameter"" }, System.StringSplitOptions.None)[0]; }
        }
#endif
        public static bool RejectsWrongLengths(byte[] resource)
        {
            var m = Create(resource);
            try { m.Step(new float[M.InputSize + 1], new float[M.OutputSize]); return false; }
            catch (System.ArgumentException) { return true; }
        }
        public static long Allocated(byte[] resource, int steps)
        {
            var m = Create(resource);
            var x = new float[M.InputSize];
            var y = new float[M.OutputSize];
            for (int i = 0; i < 20; i++) m.Step(x, y);
            long before = System.GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < steps; i++) m.Step(x, y);
            return System.GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }
}";

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

    internal sealed class Compiled
    {
        public required NanoEmitResult Result { get; init; }
        public required Type Runner { get; init; }
        public required byte[] Image { get; init; }
        public byte[] Resource => Result.Resources.Count > 0 ? Result.Resources[0].Bytes : Array.Empty<byte>();
        public T Call<T>(string method, params object[] args) => (T)Runner.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args)!;
        public float[] Run(float[] seq) => Call<float[]>("Run", seq, Resource);
        public int[] Classify(float[] seq) => Call<int[]>("Classify", seq, Resource);

        /// <summary>IL bytes of all method bodies of the generated type (the probe and the shim excluded).</summary>
        public long IlBytes()
        {
            using var pe = new PEReader(new MemoryStream(Image));
            var md = pe.GetMetadataReader();
            long total = 0;
            foreach (var h in md.TypeDefinitions)
            {
                var t = md.GetTypeDefinition(h);
                if (md.GetString(t.Name) != "M") continue;
                foreach (var mh in t.GetMethods())
                {
                    var m = md.GetMethodDefinition(mh);
                    if (m.RelativeVirtualAddress != 0) total += pe.GetMethodBody(m.RelativeVirtualAddress).Size;
                }
            }
            return total;
        }
    }

    internal static Compiled Compile(GruModel model, NanoWeightPlacement placement, NanoActivations activations = NanoActivations.MathTanh, string? ns = "Probe")
    {
        var result = NanoFrameworkEmitter.Emit(model, new NanoEmitOptions
        {
            Namespace = ns, TypeName = "M", SourceName = "test.safetensors", SourceHash = "0", Weights = placement, Activations = activations,
        });
        var symbols = new List<string>();
        if (result.Placement == NanoWeightPlacement.Resource) symbols.Add("RESOURCE");
        if (model.Head?.Activation == HeadActivation.Softmax) symbols.Add("CLASSIFY");
        if (model.IsTokenInput) symbols.Add("TOKENS");
        var options = new CSharpParseOptions(LanguageVersion.CSharp9, preprocessorSymbols: symbols);
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(result.Source, options), CSharpSyntaxTree.ParseText(Probe, options) };
        if (result.Placement == NanoWeightPlacement.Resource) trees.Add(CSharpSyntaxTree.ParseText(Shim.Value, options));
        var compilation = CSharpCompilation.Create("Nano" + Guid.NewGuid().ToString("N"), trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
        using var pe = new MemoryStream();
        var emit = compilation.Emit(pe);
        var problems = emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (!emit.Success || problems.Count > 0)
            throw new InvalidOperationException("generated nanoFramework code does not compile cleanly:\n" + string.Join("\n", problems.Take(20)));
        var image = pe.ToArray();
        var context = new AssemblyLoadContext(null, isCollectible: true);
        var assembly = context.LoadFromStream(new MemoryStream(image));
        return new Compiled { Result = result, Runner = assembly.GetType("Probe.Runner")!, Image = image };
    }

    private static float[] Reference(GruModel model, float[] seq)
    {
        int steps = seq.Length / model.StepInputSize;
        var outs = new float[steps * model.OutputSize];
        // The probe resets (and re-creates the model) after step T/2: the reference does the same.
        IGruModel engine = model.Precision == ModelPrecision.Int8 ? new Int8ReferenceEngine(model) : new GruReferenceEngine(model);
        for (int s = 0; s < steps; s++)
        {
            engine.Step(seq.AsSpan(s * model.StepInputSize, model.StepInputSize), outs.AsSpan(s * model.OutputSize, model.OutputSize));
            if (s == steps / 2) engine.Reset();
        }
        return outs;
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            if (!(d <= max)) { max = d; at = i; }
        }
        Assert.True(max <= tolerance, $"{what}: max |Δ| / max(1, |y|) = {max:G3} at {at} (expected {expected[at]:R}, got {actual[at]:R})");
    }

    private static void AssertBitExact(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: output {i} is {actual[i]:R}, Int8ReferenceEngine gives {expected[i]:R}");
    }

    /// <summary>Runs every placement (and for float both activation modes) against the reference; int8 bit for bit.</summary>
    private static void CheckAllPlacements(GruModel model, float[] seq, string name)
    {
        var expected = Reference(model, seq);
        int ran = 0;
        foreach (var placement in Placements)
        {
            if (!Fits(model, placement)) continue;
            ran++;
            var activations = model.Precision == ModelPrecision.Int8 ? new[] { NanoActivations.MathTanh } : new[] { NanoActivations.MathTanh, NanoActivations.Managed };
            foreach (var act in activations)
            {
                var compiled = Compile(model, placement, act);
                Assert.Equal(placement, compiled.Result.Placement);
                string what = $"{name} {placement} {act}";
                var actual = compiled.Run(seq);
                if (model.Precision == ModelPrecision.Int8)
                {
                    AssertBitExact(expected, actual, what);
                    if (model.Head?.Activation == HeadActivation.Softmax)
                    {
                        var classes = compiled.Classify(seq);
                        var fresh = new Int8ReferenceEngine(model);
                        for (int s = 0; s < classes.Length; s++)
                            Assert.Equal(fresh.Classify(seq.AsSpan(s * model.StepInputSize, model.StepInputSize)), classes[s]);
                    }
                }
                else
                {
                    AssertClose(expected, actual, 1e-4, what);
                    if (model.Head?.Activation == HeadActivation.Softmax)
                    {
                        var classes = compiled.Classify(seq);
                        // The most probable class: softmax outputs before any output scaling.
                        var engine = new GruReferenceEngine(model.WithScaling(model.InputNormalization, null));
                        var y = new float[model.OutputSize];
                        for (int s = 0; s < classes.Length; s++)
                        {
                            engine.Step(seq.AsSpan(s * model.StepInputSize, model.StepInputSize), y);
                            var sorted = y.OrderByDescending(v => v).ToArray();
                            if (sorted.Length > 1 && sorted[0] - sorted[1] < 1e-4) continue; // a near tie may go either way
                            Assert.Equal(Array.IndexOf(y, sorted[0]), classes[s]);
                        }
                    }
                }
                Assert.True(compiled.Call<bool>("RejectsWrongLengths", compiled.Resource));
            }
        }
        Assert.True(ran > 0, name + ": no placement fits");
    }

    /// <summary>False (after checking the error names the limit) when the forced placement exceeds a nanoFramework limit.</summary>
    private static bool Fits(GruModel model, NanoWeightPlacement placement)
    {
        try
        {
            NanoFrameworkEmitter.Emit(model, new NanoEmitOptions { Weights = placement });
            return true;
        }
        catch (NanoEmitException e)
        {
            Assert.Contains("with --weights " + NanoFrameworkEmitter.Name(placement), e.Message);
            Assert.True(placement != NanoWeightPlacement.Resource || model.ParameterCount > 100_000, e.Message);
            return false;
        }
    }

    private static IEnumerable<float[]> Rows(float[] seq, int inputs) =>
        Enumerable.Range(0, seq.Length / inputs).Select(t => seq.AsSpan(t * inputs, inputs).ToArray());

    private static GruModel LoadFixtureModel(string name)
    {
        string file = File.Exists(ReferenceFixture.PathOf(name + ".safetensors")) ? name + ".safetensors" : name + ".onnx";
        return ModelLoader.Load(ReferenceFixture.PathOf(file));
    }

    public static TheoryData<string> Demo() => new(DemoModels.Names);

    /// <summary>Check 3 on the models <c>tinygru demo</c> trains (float and int8), in every placement that fits.</summary>
    [Theory]
    [MemberData(nameof(Demo))]
    public void DemoModelsMatchTheirReferenceEngineInEveryPlacement(string name)
    {
        var (model, inputs) = DemoModels.Get(name);
        CheckAllPlacements(model, inputs, name);
    }

    public static TheoryData<string> Fixtures() => new() { "gru_tiny", "gru_small", "gru_stacked", "gru_reset_before" };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FloatFixturesMatchTheReferenceAndPyTorchInEveryPlacement(string name)
    {
        var fixture = ReferenceFixture.Load(name);
        var model = LoadFixtureModel(name);
        CheckAllPlacements(model, fixture.X, name);
        // Against PyTorch's y directly (no reset: the probe resets halfway, so compare the first half).
        foreach (var placement in Placements.Where(p => Fits(model, p)))
        {
            var actual = Compile(model, placement).Run(fixture.X);
            int half = (fixture.Steps / 2 + 1) * fixture.OutputSize;
            AssertClose(fixture.Y.Take(half).ToArray(), actual.Take(half).ToArray(), 1e-4, $"{name} {placement} vs PyTorch");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FixturesQuantizedToInt8AreBitExactInEveryPlacement(string name)
    {
        var fixture = ReferenceFixture.Load(name);
        var model = LoadFixtureModel(name);
        var int8 = ModelQuantizer.Quantize(model, ModelPrecision.Int8, CalibrationRange.Observe(model, Rows(fixture.X, fixture.InputSize)));
        CheckAllPlacements(int8, fixture.X, name + " int8");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FixturesQuantizedToInt8WeightsMatchInEveryPlacement(string name)
    {
        var fixture = ReferenceFixture.Load(name);
        var model = ModelQuantizer.Quantize(LoadFixtureModel(name), ModelPrecision.Int8Weights);
        CheckAllPlacements(model, fixture.X, name + " int8-weights");
    }

    public static TheoryData<string> Extended()
    {
        var data = new TheoryData<string>();
        foreach (var c in GeneratedCodeCases.Extended()) data.Add(c.Name);
        return data;
    }

    /// <summary>
    /// The grown model description (issue 13): dense MLP heads, token models, hard-sigmoid gates, float32 and
    /// int8-weights, in every placement and activation mode, against the reference engine; the fixtures against PyTorch
    /// and TensorFlow.js too.
    /// </summary>
    [Theory]
    [MemberData(nameof(Extended))]
    public void GrownModelsMatchInEveryPlacement(string name)
    {
        var c = GeneratedCodeCases.Extended().Single(x => x.Name == name);
        CheckAllPlacements(c.Model, c.Sequence, name);
        if (c.Fixture is { } fixture)
            foreach (var placement in Placements.Where(p => Fits(c.Model, p)))
            {
                var actual = Compile(c.Model, placement).Run(fixture.X);
                int half = (fixture.Steps / 2 + 1) * fixture.OutputSize;
                AssertClose(fixture.Y.Take(half).ToArray(), actual.Take(half).ToArray(), 1e-4, $"{name} {placement} vs the fixture");
            }
    }

    public static TheoryData<string> Int8Extended()
    {
        var data = new TheoryData<string>();
        foreach (var c in GeneratedCodeCases.Int8ExtendedCases()) data.Add(c.Name);
        foreach (var name in SyntheticInt8.Keys) data.Add(name);
        return data;
    }

    /// <summary>Hidden none/relu layers and Keras 3 gates (the shapes the int8 cases above do not cover).</summary>
    private static readonly Dictionary<string, Func<GruModel>> SyntheticInt8 = new()
    {
        ["synthetic_relu_none_keras3_after"] = () => SyntheticInt8Model(GateConvention.ResetAfter, GateActivation.HardSigmoidKeras3, new[] { HeadActivation.Relu, HeadActivation.None }, 0, 21),
        ["synthetic_tokens_none_tanh_before"] = () => SyntheticInt8Model(GateConvention.ResetBefore, GateActivation.Sigmoid, new[] { HeadActivation.None, HeadActivation.Tanh }, 17, 22),
    };

    private static GruModel SyntheticInt8Model(GateConvention convention, GateActivation gates, HeadActivation[] activations, int vocabulary, int seed)
    {
        var rng = new Random(seed);
        var b = RandomModels.Create(rng, convention, 3, new[] { 10 }, 3, HeadActivation.Softmax, 0.6f);
        var m = RandomModels.Extended(b, rng, activations.Select((_, i) => 7 + 2 * i).ToArray(), activations, gates, vocabulary, scale: 0.6f);
        return ModelQuantizer.Quantize(m, ModelPrecision.Int8, new CalibrationRange(-2, 2, 1));
    }

    /// <summary>
    /// Integer-only int8 of the grown description (issue 13): dense stacks, token models, both hard sigmoids, in every
    /// placement, bit for bit Int8ReferenceEngine (outputs and Classify), allocating nothing per step.
    /// </summary>
    [Theory]
    [MemberData(nameof(Int8Extended))]
    public void GrownModelsInInt8AreBitExactInEveryPlacement(string name)
    {
        GruModel model;
        float[] seq;
        if (SyntheticInt8.TryGetValue(name, out var make))
        {
            model = make();
            var rng = new Random(name.Length);
            seq = model.IsTokenInput
                ? Enumerable.Range(0, 40).Select(_ => (float)rng.Next(model.Embedding!.VocabularySize)).ToArray()
                : Enumerable.Range(0, 40 * model.InputSize).Select(_ => (float)(rng.NextDouble() * 5 - 2.5)).ToArray();
        }
        else
        {
            var c = GeneratedCodeCases.Int8ExtendedCases().Single(x => x.Name == name);
            (model, seq) = (c.Model, c.Sequence);
        }
        CheckAllPlacements(model, seq, name);
        var compiled = Compile(model, NanoWeightPlacement.Arrays);
        if (model.GateActivation != GateActivation.Sigmoid) Assert.Contains("private static int HardSigmoid(int x)", compiled.Result.Source);
        Assert.Equal(0, compiled.Call<long>("Allocated", compiled.Resource, 500));
    }

    public static TheoryData<int, int> Transformed()
    {
        var data = new TheoryData<int, int>();
        for (int t = 0; t < GeneratedCodeCases.Transforms.Length; t++)
            foreach (var kind in new[] { GeneratedCodeKind.Float, GeneratedCodeKind.Int8Weights, GeneratedCodeKind.Int8 })
                data.Add(t, (int)kind);
        return data;
    }

    /// <summary>
    /// Series transforms (issue 16): plain, seasonal and partial differencing with residual outputs, in the three
    /// precisions and every placement, against the reference engines (int8 bit for bit), allocating nothing per step.
    /// </summary>
    [Theory]
    [MemberData(nameof(Transformed))]
    public void TransformedModelsMatchInEveryPlacement(int transform, int kind)
    {
        var (model, seq) = GeneratedCodeCases.TransformedSweep(transform, (GeneratedCodeKind)kind);
        CheckAllPlacements(model, seq, $"transform {GeneratedCodeCases.Transforms[transform].Name} {(GeneratedCodeKind)kind}");
        var compiled = Compile(model, NanoWeightPlacement.Arrays);
        Assert.Contains(model.SeriesTransform!.History > 0 ? "private void SeriesApply(float[] raw, float[] network)" : "private void SeriesAddBack(float[] raw, float[] output)", compiled.Result.Source);
        Assert.Equal(0, compiled.Call<long>("Allocated", compiled.Resource, 500));
    }

    [Theory]
    [InlineData(NanoWeightPlacement.Inline)]
    [InlineData(NanoWeightPlacement.Arrays)]
    [InlineData(NanoWeightPlacement.Resource)]
    public void TokenStepsCheckTheIdInEveryPlacement(NanoWeightPlacement placement)
    {
        foreach (var name in new[] { "float_fixture_gru_embedding", "int8w_token_unfolded_mlp", "int8_fixture_gru_embedding" })
        {
            var model = GeneratedCodeCases.Extended().Concat(GeneratedCodeCases.Int8ExtendedCases()).Single(x => x.Name == name).Model;
            int v = model.Embedding!.VocabularySize;
            var compiled = Compile(model, placement);
            string source = compiled.Result.Source;
            Assert.Contains("public void Step(int token, float[] output)", source);
            Assert.Contains($"\" is outside the vocabulary of {v} ids (expected 0 to {v - 1})\"", source);
            Assert.Contains($"the token id is not a whole number from 0 to {v - 1} (vocabulary of {v} ids)", source);
            // Step(int) and Step(float[]) agree with the reference engine's Step(int) on every id, first and last included.
            var tokens = new[] { 0, v - 1, 3, v / 2 };
            var expected = new float[tokens.Length * model.OutputSize];
            if (model.Precision == ModelPrecision.Int8)
            {
                var engine8 = new Int8ReferenceEngine(model);
                for (int s = 0; s < tokens.Length; s++) engine8.Step(tokens[s], expected.AsSpan(s * model.OutputSize, model.OutputSize));
            }
            else
            {
                var engine = new GruReferenceEngine(model);
                for (int s = 0; s < tokens.Length; s++) engine.Step(tokens[s], expected.AsSpan(s * model.OutputSize, model.OutputSize));
            }
            var actual = compiled.Call<float[]>("RunTokens", tokens, compiled.Resource);
            if (model.Precision == ModelPrecision.Int8) AssertBitExact(expected, actual, $"{name} {placement} Step(int)");
            else AssertClose(expected, actual, 1e-4, $"{name} {placement} Step(int)");
            Assert.Equal($"token id {v} is outside the vocabulary of {v} ids (expected 0 to {v - 1})", compiled.Call<string>("StepToken", v, compiled.Resource));
            Assert.Equal($"token id -1 is outside the vocabulary of {v} ids (expected 0 to {v - 1})", compiled.Call<string>("StepToken", -1, compiled.Resource));
            Assert.Equal("ok", compiled.Call<string>("StepToken", v - 1, compiled.Resource));
        }
    }

    [Theory]
    [InlineData("gru_small_int8.safetensors", "gru_small")]
    [InlineData("gru_reset_before_int8.safetensors", "gru_reset_before")]
    [InlineData("gru_small_int8w.safetensors", "gru_small")]
    public void CommittedQuantizedFixtures(string file, string inputs)
    {
        var model = ModelLoader.Load(ReferenceFixture.PathOf(file));
        CheckAllPlacements(model, ReferenceFixture.Load(inputs).X, file);
    }

    public static TheoryData<GateConvention, int, int[], int, HeadActivation, int> Shapes()
    {
        var data = new TheoryData<GateConvention, int, int[], int, HeadActivation, int>();
        foreach (var c in new[] { GateConvention.ResetAfter, GateConvention.ResetBefore })
        {
            // last: 0 plain, 1 no head, 2 normalization + output scaling + labels
            data.Add(c, 1, new[] { 1 }, 1, HeadActivation.None, 0);
            data.Add(c, 3, new[] { 5 }, 4, HeadActivation.Softmax, 2);
            data.Add(c, 2, new[] { 7 }, 3, HeadActivation.Sigmoid, 0);
            data.Add(c, 5, new[] { 8 }, 4, HeadActivation.Tanh, 2);
            data.Add(c, 4, new[] { 9 }, 9, HeadActivation.None, 1);
            data.Add(c, 6, new[] { 12, 10 }, 5, HeadActivation.Softmax, 0);
            data.Add(c, 3, new[] { 6, 4, 5 }, 3, HeadActivation.None, 2);
        }
        return data;
    }

    private static GruModel RandomModel(Random rng, GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation, int variant, float scale)
    {
        var b = RandomModels.Create(rng, convention, inputs, hidden, outputs, activation, scale);
        return RandomModels.Variant(b, rng, variant, metadata:
            new ModelMetadata("random \"model\"\u2028line\u0085next\nend", ModelTask.Classification, Enumerable.Range(0, outputs).Select(i => "class \"" + i + "\"").ToArray(), null));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RandomModelsInEveryPrecisionAndPlacement(GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation, int variant)
    {
        var rng = new Random(inputs * 1000 + hidden.Sum() * 10 + outputs + variant);
        var model = RandomModel(rng, convention, inputs, hidden, outputs, activation, variant, 2f / MathF.Sqrt(hidden.Max()));
        var seq = Enumerable.Range(0, 40 * inputs).Select(_ => (float)(rng.NextDouble() * 6 - 3) * (variant == 2 ? 3 : 1)).ToArray();
        CheckAllPlacements(model, seq, "float");
        CheckAllPlacements(ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights), seq, "int8-weights");
        var calibration = CalibrationRange.Observe(model, Rows(seq.Take(seq.Length * 3 / 4).ToArray(), inputs));
        CheckAllPlacements(ModelQuantizer.Quantize(model, ModelPrecision.Int8, calibration), seq, "int8");
    }

    [Fact]
    public void LabelsBecomeConstantsAndTheGlobalNamespaceWorks()
    {
        var model = RandomModel(new Random(4), GateConvention.ResetAfter, 3, new[] { 5 }, 4, HeadActivation.Softmax, 2, 0.5f);
        var compiled = Compile(model, NanoWeightPlacement.Arrays, ns: null);
        var type = compiled.Runner.Assembly.GetType("M")!;
        for (int i = 0; i < 4; i++) Assert.Equal("class \"" + i + "\"", type.GetField("Label" + i)!.GetRawConstantValue());
        Assert.Equal("class \"2\"", type.GetMethod("GetLabel")!.Invoke(null, new object[] { 2 }));
        Assert.Equal(4, type.GetField("OutputSize")!.GetRawConstantValue());
        Assert.Equal(1, type.GetField("LayerCount")!.GetRawConstantValue());
    }

    [Theory]
    [InlineData(NanoWeightPlacement.Inline)]
    [InlineData(NanoWeightPlacement.Arrays)]
    public void StepAllocatesNothing(NanoWeightPlacement placement)
    {
        var model = RandomModels.Create(new Random(8), GateConvention.ResetBefore, 4, new[] { 9, 7 }, 3, HeadActivation.Softmax);
        var compiled = Compile(model, placement);
        Assert.Equal(0, CompiledModel.LeastOfThree(() => compiled.Call<long>("Allocated", Array.Empty<byte>(), 1000)));
        var int8 = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        var compiled8 = Compile(int8, placement);
        Assert.Equal(0, CompiledModel.LeastOfThree(() => compiled8.Call<long>("Allocated", Array.Empty<byte>(), 1000)));
    }

    [Fact]
    public void ManagedActivationsStayWithinTheirStatedBound()
    {
        var model = RandomModels.Create(new Random(2), GateConvention.ResetAfter, 2, new[] { 3 }, 2, HeadActivation.Softmax);
        var compiled = Compile(model, NanoWeightPlacement.Arrays, NanoActivations.Managed);
        Assert.DoesNotContain("System.Math.", compiled.Result.Source);
        var type = compiled.Runner.Assembly.GetType("Probe.M")!;
        var tanh = type.GetMethod("Tanh", BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<Func<float, float>>();
        var sigmoid = type.GetMethod("Sigmoid", BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<Func<float, float>>();
        var exp = type.GetMethod("Exp", BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<Func<float, float>>();
        double maxTanh = 0, maxSigmoid = 0, maxExp = 0;
        for (int i = -2_000_000; i <= 2_000_000; i++)
        {
            float x = i * 1e-5f; // −20 … 20
            maxTanh = Math.Max(maxTanh, Math.Abs(tanh(x) - Math.Tanh(x)));
            maxSigmoid = Math.Max(maxSigmoid, Math.Abs(sigmoid(x) - 1 / (1 + Math.Exp(-x))));
            if (x <= 0) maxExp = Math.Max(maxExp, Math.Abs(exp(x) - Math.Exp(x)));
        }
        Assert.True(maxTanh <= NanoFrameworkEmitter.ManagedMaxError, $"tanh: {maxTanh:G3}");
        Assert.True(maxSigmoid <= NanoFrameworkEmitter.ManagedMaxError, $"σ: {maxSigmoid:G3}");
        Assert.True(maxExp <= NanoFrameworkEmitter.ManagedMaxError, $"exp: {maxExp:G3}");
        Assert.Equal(1f, tanh(50f));
        Assert.Equal(-1f, tanh(-1e30f));
        Assert.Equal(0f, exp(-200f));
        Assert.True(float.IsNaN(tanh(float.NaN)));
        Assert.Contains($"Max absolute error {NanoFrameworkEmitter.ManagedMaxError:0e0}", compiled.Result.Source);
    }

    [Fact]
    public void MathTanhModeUsesOneMathTanhPerActivationAndIntegerModelsNoMathAtAll()
    {
        var model = RandomModels.Create(new Random(6), GateConvention.ResetAfter, 3, new[] { 4 }, 2, HeadActivation.Sigmoid);
        string source = Compile(model, NanoWeightPlacement.Arrays).Result.Source;
        Assert.Contains("return 0.5f * (float)System.Math.Tanh(0.5 * x) + 0.5f;", source);
        Assert.Contains("return (float)System.Math.Tanh((double)x);", source);
        var int8 = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        foreach (var placement in Placements)
        {
            string s = Compile(int8, placement).Result.Source;
            Assert.DoesNotContain("Math.", s);
            // The only float code: the input quantization, QuantizeInput and WriteOutput.
            var layer = s.Substring(s.IndexOf("private void Layer0", StringComparison.Ordinal));
            layer = layer.Substring(0, layer.IndexOf("private void WriteOutput", StringComparison.Ordinal));
            Assert.DoesNotContain("float", layer);
        }
    }

    [Fact]
    public void FootprintEstimatesTrackTheCompiledIlAndAreInTheHeader()
    {
        foreach (var precision in new[] { ModelPrecision.Float32, ModelPrecision.Int8Weights, ModelPrecision.Int8 })
        foreach (var convention in new[] { GateConvention.ResetAfter, GateConvention.ResetBefore })
        foreach (var hidden in new[] { new[] { 4 }, new[] { 16, 12 } })
        {
            var b = RandomModels.Create(new Random(12), convention, 6, hidden, 6, HeadActivation.Softmax);
            var model = precision == ModelPrecision.Int8 ? ModelQuantizer.Quantize(b, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1)) : b;
            foreach (var placement in Placements)
            foreach (var act in new[] { NanoActivations.MathTanh, NanoActivations.Managed })
            {
                var compiled = Compile(model, placement, act);
                long actual = compiled.IlBytes(), estimated = compiled.Result.Footprint.IlBytes;
                Assert.True(estimated >= actual * 0.85 && estimated <= actual * 1.15, $"{precision} {convention} {placement} {act}: estimated {estimated} IL bytes, Roslyn emitted {actual}");
                string source = compiled.Result.Source;
                Assert.Contains($"IL ≈ {compiled.Result.Footprint.IlBytes:N0} bytes", source);
                Assert.Contains($"placement {NanoFrameworkEmitter.Name(placement)}", source);
                Assert.Contains("sha256 0", source);
            }
        }
    }

    /// <summary>The per-method limits nanoFramework stores in one byte, on Roslyn's IL of the largest inline models that fit.</summary>
    [Theory]
    [InlineData(ModelPrecision.Float32, NanoWeightPlacement.Inline)]
    [InlineData(ModelPrecision.Int8, NanoWeightPlacement.Inline)]
    [InlineData(ModelPrecision.Int8Weights, NanoWeightPlacement.Arrays)]
    [InlineData(ModelPrecision.Float32, NanoWeightPlacement.Resource)]
    public void EveryMethodStaysWithinTheOneByteLimits(ModelPrecision precision, NanoWeightPlacement placement)
    {
        var b = RandomModels.Create(new Random(21), GateConvention.ResetBefore, 12, new[] { precision == ModelPrecision.Int8 ? 38 : 32 }, 8, HeadActivation.Softmax);
        var model = precision == ModelPrecision.Float32 ? b : ModelQuantizer.Quantize(b, precision, new CalibrationRange(-1, 1, 1));
        var compiled = Compile(model, placement, NanoActivations.Managed);
        Assert.True(compiled.Result.Footprint.IlBytes > (placement == NanoWeightPlacement.Inline ? 40_000 : 1_000));
        using var pe = new PEReader(new MemoryStream(compiled.Image));
        var md = pe.GetMetadataReader();
        var type = md.TypeDefinitions.Select(md.GetTypeDefinition).Single(t => md.GetString(t.Name) == "M");
        int methods = 0;
        foreach (var mh in type.GetMethods())
        {
            var m = md.GetMethodDefinition(mh);
            methods++;
            string name = md.GetString(m.Name);
            Assert.True(m.GetParameters().Count <= 255, name);
            if (m.RelativeVirtualAddress == 0) continue;
            var body = pe.GetMethodBody(m.RelativeVirtualAddress);
            Assert.True(body.MaxStack <= 16, $"{name}: max stack {body.MaxStack}");
            int locals = body.LocalSignature.IsNil ? 0 : md.GetBlobReader(md.GetStandaloneSignature(body.LocalSignature).Signature) is var r && r.ReadSignatureHeader().Kind == SignatureKind.LocalVariables ? r.ReadCompressedInteger() : 0;
            Assert.True(locals <= 16, $"{name}: {locals} locals");
            Assert.True(body.Size <= 8_000, $"{name}: {body.Size} IL bytes");
        }
        Assert.Equal(compiled.Result.Footprint.Methods, methods);
    }

    [Fact]
    public void AutoPicksInlineForSmallArraysForMediumResourceForLargeModels()
    {
        var small = RandomModels.Create(new Random(1), GateConvention.ResetAfter, 3, new[] { 8 }, 4, HeadActivation.None);
        var medium = RandomModels.Create(new Random(1), GateConvention.ResetAfter, 8, new[] { 48 }, 4, HeadActivation.None);
        var large = RandomModels.Create(new Random(1), GateConvention.ResetAfter, 16, new[] { 160 }, 4, HeadActivation.None);
        Assert.Equal(NanoWeightPlacement.Inline, NanoFrameworkEmitter.Emit(small, new NanoEmitOptions()).Placement);
        Assert.Equal(NanoWeightPlacement.Arrays, NanoFrameworkEmitter.Emit(medium, new NanoEmitOptions()).Placement);
        var r = NanoFrameworkEmitter.Emit(large, new NanoEmitOptions());
        Assert.Equal(NanoWeightPlacement.Resource, r.Placement);
        Assert.Single(r.Resources);
        Assert.Equal(4 * (3 * 160 * 16 + 3 * 160 * 160 + 4 * 160), r.Resources[0].Bytes.Length);
        Assert.Empty(NanoFrameworkEmitter.Emit(medium, new NanoEmitOptions()).Resources);
    }

    [Fact]
    public void ATooLargeModelGivesAClearErrorWithItsSizes()
    {
        var huge = new GruModel(GateConvention.ResetAfter, new[]
        {
            new GruLayerSpec(8, 400, new float[3 * 400 * 8], new float[3 * 400 * 400], new float[1200], new float[1200]),
            new GruLayerSpec(400, 400, new float[3 * 400 * 400], new float[3 * 400 * 400], new float[1200], new float[1200]),
        });
        var e = Assert.Throws<NanoEmitException>(() => NanoFrameworkEmitter.Emit(huge, new NanoEmitOptions { SourceName = "huge.safetensors" }));
        Assert.StartsWith("huge.safetensors: the model (1,454,400 parameters) does not fit nanoFramework in any weight placement", e.Message);
        Assert.Contains("resource: 5,798,400 bytes of weights exceed the 1,048,576-byte resource limit", e.Message);
        Assert.Contains("inline: ≈", e.Message);
        var forced = Assert.Throws<NanoEmitException>(() => NanoFrameworkEmitter.Emit(huge, new NanoEmitOptions { SourceName = "huge.safetensors", Weights = NanoWeightPlacement.Arrays }));
        Assert.Contains("with --weights arrays", forced.Message);
        Assert.Contains("array-initializer data", forced.Message);
    }

    [Fact]
    public void OutputIsDeterministicAndSelfContained()
    {
        var model = RandomModels.Create(new Random(3), GateConvention.ResetBefore, 3, new[] { 8 }, 4, HeadActivation.Softmax);
        foreach (var placement in Placements)
        {
            var o = new NanoEmitOptions { Namespace = "A.B", TypeName = "Gesture", SourceName = "g.safetensors", SourceHash = "ab", Weights = placement };
            var a = NanoFrameworkEmitter.Emit(model, o);
            var b = NanoFrameworkEmitter.Emit(model, o);
            Assert.Equal(a.Source, b.Source);
            Assert.DoesNotContain("TinyGru.", a.Source.Replace("TinyGru's", ""));
            Assert.DoesNotContain("<T>", a.Source);
            Assert.DoesNotContain("var ", a.Source);
            Assert.DoesNotContain("$\"", a.Source);
            Assert.Contains("public sealed class Gesture", a.Source);
            Assert.DoesNotContain("\r", a.Source);
        }
    }
}

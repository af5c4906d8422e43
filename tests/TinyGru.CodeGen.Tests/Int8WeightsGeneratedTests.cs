using System.Globalization;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// int8-weights generated code embeds sbyte weights with float32 row scales and dequantizes in the kernels: on every
/// path it stays within 1e-5 of GruReferenceEngine (which computes with q·scale), allocates nothing, and embeds about
/// a quarter of the float code's bytes, as its documentation says.
/// </summary>
public class Int8WeightsGeneratedTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    /// <summary>Probe methods: a path's run returning the final state, and the allocation count over a number of steps.</summary>
    private static string Probe(GruModel model)
    {
        string paths = string.Concat(NetModelEmitter.PathSuffixes(model).Select(p => $"case \"{p}\": m.Step{p}(x, y); break;\n"));
        return "public static float[] RunWithState(string path, float[] seq, float[] outs) { var m = new M(); int t = seq.Length / M.InputSize;\n" +
               "for (int s = 0; s < t; s++) { var x = new System.ReadOnlySpan<float>(seq, s * M.InputSize, M.InputSize); var y = new System.Span<float>(outs, s * M.OutputSize, M.OutputSize);\n" +
               "switch (path) { case \"\": m.Step(x, y); break;\n" + paths + "default: throw new System.ArgumentException(path); } }\n" +
               "var state = new float[M.StateSize]; m.CopyStateTo(state); return state; }\n" +
               "public static long Allocated(float[] x, int steps) { var m = new M(); var y = new float[M.OutputSize];\n" +
               "for (int i = 0; i < 200; i++) m.Step(x, y);\n" +
               "long before = System.GC.GetAllocatedBytesForCurrentThread(); for (int i = 0; i < steps; i++) m.Step(x, y); return System.GC.GetAllocatedBytesForCurrentThread() - before; }\n";
    }

    /// <summary>Runs every emitted path and the dispatcher; asserts y at every step and the final state within 1e-5 of the reference engine.</summary>
    private CompiledModel AssertMatchesReference(GruModel model, float[] seq)
    {
        Assert.Equal(ModelPrecision.Int8Weights, model.Precision);
        int outputs = model.OutputSize, steps = seq.Length / model.InputSize;
        var reference = new GruReferenceEngine(model);
        var expected = new float[steps * outputs];
        reference.Run(seq, expected);
        var expectedState = model.Layers.SelectMany((_, k) => reference.HiddenState(k).ToArray()).ToArray();

        var compiled = CompiledModel.Compile(model, extraProbe: Probe(model));
        // The int8 form is what is embedded: no float weight matrix is left in the source.
        Assert.Contains("private static global::System.ReadOnlySpan<sbyte> Layer0InputWeights", compiled.Source);
        Assert.DoesNotContain("global::System.ReadOnlySpan<float> Layer0InputWeights", compiled.Source);
        Assert.True(compiled.Paths.Count >= 2, "the scalar path and the dispatcher run");
        foreach (var path in compiled.Paths)
        {
            var actual = new float[expected.Length];
            var state = compiled.Call<float[]>("RunWithState", path, seq, actual);
            Assert.Equal(expectedState.Length, state.Length);
            int worstOutput = Worst(expected, actual), worstState = Worst(expectedState, state);
            float outputError = Math.Abs(expected[worstOutput] - actual[worstOutput]), stateError = Math.Abs(expectedState[worstState] - state[worstState]);
            output.WriteLine($"path '{path}': max |Δy| = {outputError:G3}, max |Δh| = {stateError:G3}");
            Assert.True(outputError <= Tolerance,
                $"path '{path}': output {worstOutput % outputs} at step {worstOutput / outputs} is {actual[worstOutput]:R}, the reference engine gives {expected[worstOutput]:R}");
            Assert.True(stateError <= Tolerance, $"path '{path}': final state {worstState} is {state[worstState]:R}, the reference engine gives {expectedState[worstState]:R}");
        }
        return compiled;
    }

    /// <summary>Index of the largest |expected − actual|.</summary>
    private static int Worst(float[] expected, float[] actual)
    {
        int worst = 0;
        for (int i = 1; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= Math.Abs(expected[worst] - actual[worst]))) worst = i;
        return worst;
    }

    private static float[] Inputs(Random rng, int count, double spread) =>
        Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * spread)).ToArray();

    public static TheoryData<GateConvention, int, int[], int, HeadActivation, int> Shapes()
    {
        var data = new TheoryData<GateConvention, int, int[], int, HeadActivation, int>();
        foreach (var c in GeneratedCodeCases.Conventions)
            foreach (var (i, h, o, a, v) in GeneratedCodeCases.Int8WeightsShapes) data.Add(c, i, h, o, a, v);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryPathMatchesTheReferenceEngine(GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation, int variant)
    {
        var (model, seq) = GeneratedCodeCases.Int8WeightsSweep(convention, inputs, hidden, outputs, activation, variant);
        AssertMatchesReference(model, seq);
    }

    [Theory]
    [InlineData("gru_small")]
    [InlineData("gru_tiny")]
    [InlineData("gru_stacked")]
    [InlineData("gru_reset_before")]
    public void FixturesMatchTheReferenceEngine(string fixture)
    {
        // gru_small is read from its stored int8-weights file; the other fixtures are quantized as `tinygru quantize` does.
        var (model, seq) = GeneratedCodeCases.Int8WeightsFixture(fixture, GeneratedCodeCases.Fixtures.Single(f => f.Name == fixture).File);
        AssertMatchesReference(model, seq);
    }

    [Theory]
    [InlineData(OptimizationLevel.Release)]
    [InlineData(OptimizationLevel.Debug)]
    public void StepAllocatesNothing(OptimizationLevel optimization)
    {
        var rng = new Random(79);
        // A register-resident layer, a scratch layer and a head, with normalization (stack scratch for the input).
        var b = RandomModels.Create(rng, GateConvention.ResetAfter, 6, new[] { 16, 33 }, 5, HeadActivation.Softmax, 0.3f);
        var model = ModelQuantizer.Quantize(new GruModel(b.Convention, b.Layers, b.Head, new InputNormalization(Inputs(rng, 6, 1), Enumerable.Repeat(2f, 6).ToArray())),
            ModelPrecision.Int8Weights);
        var compiled = CompiledModel.Compile(model, extraProbe: Probe(model), optimization: optimization);
        var x = Inputs(rng, 6, 1);
        Assert.Equal(0, CompiledModel.LeastOfThree(() => compiled.Call<long>("Allocated", x, 10_000)));
    }

    /// <summary>Bytes of every embedded array in <paramref name="source"/>, by name, counted from the literals themselves.</summary>
    private static Dictionary<string, (string Type, long Bytes)> EmbeddedArrays(string source)
    {
        var arrays = new Dictionary<string, (string, long)>();
        var lines = source.Split('\n');
        var header = new Regex(@"^\s*private static global::System\.ReadOnlySpan<(float|sbyte)> (\w+)$");
        var number = new Regex(@"^-?\d+$");
        for (int i = 0; i < lines.Length; i++)
        {
            var m = header.Match(lines[i]);
            if (!m.Success) continue;
            long count = 0;
            int j = i + 1;
            for (; !lines[j].TrimStart().StartsWith("})", StringComparison.Ordinal) && lines[j].Trim() != "];"; j++)
            {
                // Large arrays are one string literal of the data's bytes: "….Slice(0, N);" gives N elements.
                var slice = Regex.Match(lines[j], @"Cast<char, (?:float|sbyte)>\(.*\)\.Slice\(0, (\d+)\);\s*$");
                if (slice.Success)
                {
                    count = long.Parse(slice.Groups[1].Value, CultureInfo.InvariantCulture) * (m.Groups[1].Value == "float" ? 4 : 1);
                    break;
                }
                string values = lines[j].Split("//")[0];
                count += values.Split(',').Select(v => v.Trim()).Count(v => number.IsMatch(v));
            }
            // float arrays are written as their little-endian bytes; sbyte arrays one value per byte.
            arrays.Add(m.Groups[2].Value, (m.Groups[1].Value, count));
            i = j;
        }
        return arrays;
    }

    private static long Number(Match m, int group) => long.Parse(m.Groups[group].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Fact]
    public void EmbedsAQuarterOfTheFloatBytesAndDocumentsThem()
    {
        // The medium benchmark case: 16 inputs, two layers of H = 64, 10 outputs.
        var rng = new Random(64);
        var b = RandomModels.Create(rng, GateConvention.ResetAfter, 16, new[] { 64, 64 }, 10, HeadActivation.None, 0.3f);
        var model = ModelQuantizer.Quantize(b, ModelPrecision.Int8Weights);
        var options = new NetEmitOptions { TypeName = "M", SourceName = "m.safetensors" };
        string source = NetModelEmitter.Emit(model, options);
        string floatSource = NetModelEmitter.Emit(model.WithoutQuantization(), options);
        var int8 = EmbeddedArrays(source);
        var floats = EmbeddedArrays(floatSource);

        long int8Weights = int8.Values.Where(a => a.Type == "sbyte").Sum(a => a.Bytes);
        long scales = int8.Where(a => a.Key.EndsWith("RowScales", StringComparison.Ordinal)).Sum(a => a.Value.Bytes);
        long otherFloats = int8.Where(a => a.Value.Type == "float" && !a.Key.EndsWith("RowScales", StringComparison.Ordinal)).Sum(a => a.Value.Bytes);
        long total = int8.Values.Sum(a => a.Bytes), floatTotal = floats.Values.Sum(a => a.Bytes);
        // (the narrower paths' own copies end in their width: Layer0InputWeights256)
        long floatWeights = floats.Where(a => Regex.IsMatch(a.Key, "Weights(256|128)?$")).Sum(a => a.Value.Bytes);
        Assert.True(floatWeights >= 3.9 * int8Weights, $"float weights {floatWeights} bytes, int8 weights {int8Weights} bytes");
        Assert.True(floatTotal >= 3 * total, $"float code embeds {floatTotal} bytes, int8-weights code {total} bytes");

        // Every figure the documentation gives is what the code embeds.
        var doc = Regex.Match(source, @"embedded as ([\d,]+) bytes of int8 \(sbyte\) weights, layers and head, plus ([\d,]+) bytes of float32 row scales and ([\d,]+) bytes of float32 biases: ([\d,]+) bytes with vector padding, against ([\d,]+) for the float32 code");
        Assert.True(doc.Success, "the XML doc states the embedded bytes");
        Assert.Equal(int8Weights, Number(doc, 1));
        Assert.Equal(scales, Number(doc, 2));
        Assert.Equal(otherFloats, Number(doc, 3));
        Assert.Equal(total, Number(doc, 4));
        Assert.Equal(floatTotal, Number(doc, 5));
        // The float code of the same model documents its own embedding the same way.
        Assert.Contains($"({floatTotal.ToString("N0", CultureInfo.InvariantCulture)} bytes embedded with vector padding)", floatSource);
        Assert.Equal(source, NetModelEmitter.Emit(model, options));
    }

    [Fact]
    public void PortableWideningIsExactForEveryInt8Value()
    {
        var b = RandomModels.Create(new Random(5), GateConvention.ResetAfter, 3, new[] { 17 }, 2, HeadActivation.None);
        var type = CompiledModel.Compile(ModelQuantizer.Quantize(b, ModelPrecision.Int8Weights)).ModelType;
        var values = Enumerable.Range(-128, 256).Select(v => (sbyte)v).ToArray();
        foreach (var (suffix, width) in new[] { ("512", 16), ("256", 8), ("128", 4) })
        {
            var portable = type.GetMethod($"Int8ToSingle{suffix}", BindingFlags.NonPublic | BindingFlags.Static)!;
            for (int start = 0; start < values.Length; start += width)
            {
                var lanes = Enumerable.Range(0, 16).Select(i => values[(start + i) % values.Length]).ToArray();
                object result = portable.Invoke(null, new object[] { Vector128.Create(lanes) })!;
                float[] actual = result switch
                {
                    Vector512<float> v => Enumerable.Range(0, 16).Select(i => v[i]).ToArray(),
                    Vector256<float> v => Enumerable.Range(0, 8).Select(i => v[i]).ToArray(),
                    Vector128<float> v => Enumerable.Range(0, 4).Select(i => v[i]).ToArray(),
                    _ => throw new InvalidOperationException(result.GetType().Name),
                };
                Assert.Equal(lanes.Take(width).Select(q => (float)q), actual);
            }
        }
    }
}

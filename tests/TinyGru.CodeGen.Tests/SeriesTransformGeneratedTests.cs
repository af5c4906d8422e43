using System.Runtime.Intrinsics.X86;
using TinyGru.Model;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// Series transforms baked into generated .NET code (issue 16): on every path the outputs of GruReferenceEngine
/// (float ≤ 1e-6 relative, int8-weights ≤ 1e-5) or Int8ReferenceEngine's bits, through a Reset and a
/// CopyStateTo/SetState round trip into a fresh instance mid-sequence, with the copied state equal to the reference
/// engine's hidden state followed by SeriesTransformState.CopyTo's, and no allocation per step.
/// </summary>
public class SeriesTransformGeneratedTests
{
    private const int ResetAt = 13, CopyAt = 22; // the copy is 9 steps after the reset: the ring of m + 1 = 5 is full and wrapped

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        for (int t = 0; t < GeneratedCodeCases.Transforms.Length; t++)
            foreach (var kind in new[] { GeneratedCodeKind.Float, GeneratedCodeKind.Int8Weights, GeneratedCodeKind.Int8 })
                data.Add(t, (int)kind);
        return data;
    }

    /// <summary>Probe: a run on one path with a Reset and a state round trip into a fresh instance; returns the state copied.</summary>
    private static string Probe(GruModel model, bool int8)
    {
        bool stateful = model.SeriesTransform!.History > 0;
        string paths = string.Concat(NetModelEmitter.PathSuffixes(model).Select(p => $"case \"{p}\": m.Step{p}(x, y); break;\n"));
        string copy = int8 && !stateful
            ? "var st = new short[M.StateSize]; m.CopyStateTo(st); var n = Dirty(seq); n.SetState(st); m = n; copied = System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(st, v => (float)v));\n"
            : int8
            ? "var st = new short[M.StateSize]; m.CopyStateTo(st); var ss = new float[M.SeriesStateSize]; m.CopySeriesStateTo(ss);\n" +
              "var n = Dirty(seq); n.SetState(st); n.SetSeriesState(ss); m = n; copied = System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Concat(System.Linq.Enumerable.Select(st, v => (float)v), ss));\n"
            : "var st = new float[M.StateSize]; m.CopyStateTo(st); var n = Dirty(seq); n.SetState(st); m = n; copied = st;\n";
        string set = int8 ? "SetSeriesState" : "SetState";
        string size = int8 ? "M.SeriesStateSize" : "M.StateSize";
        return "public static float[] RunTrip(string path, float[] seq, float[] outs, int resetAt, int copyAt) { var m = new M(); float[] copied = null; int t = seq.Length / M.InputSize;\n" +
               "for (int s = 0; s < t; s++) { if (s == resetAt) m.Reset(); if (s == copyAt) {\n" + copy + "}\n" +
               "var x = new System.ReadOnlySpan<float>(seq, s * M.InputSize, M.InputSize); var y = new System.Span<float>(outs, s * M.OutputSize, M.OutputSize);\n" +
               "switch (path) { case \"\": m.Step(x, y); break;\n" + paths + "default: throw new System.ArgumentException(path); } }\n" +
               "return copied; }\n" +
               // SetState must restore everything whatever the instance held: the target has stepped 3 times (its ring's newest slot is not 0).
               "static M Dirty(float[] seq) { var n = new M(); var y = new float[M.OutputSize]; for (int s = 0; s < 3; s++) n.Step(new System.ReadOnlySpan<float>(seq, s * M.InputSize, M.InputSize), y); return n; }\n" +
               (!stateful ? "" : $"public static string SetFilled(float filled) {{ var m = new M(); var st = new float[{size}]; st[st.Length - 1] = filled; try {{ m.{set}(st); return null; }} catch (System.ArgumentException e) {{ return e.Message; }} }}\n" +
               $"public static string SetLength(int length) {{ var m = new M(); try {{ m.{set}(new float[length]); return null; }} catch (System.ArgumentException e) {{ return e.Message; }} }}\n") +
               "public static long Allocated(float[] x, int steps) { var m = new M(); var y = new float[M.OutputSize];\n" +
               "for (int i = 0; i < 200; i++) m.Step(x, y);\n" +
               "long before = System.GC.GetAllocatedBytesForCurrentThread(); for (int i = 0; i < steps; i++) m.Step(x, y); return System.GC.GetAllocatedBytesForCurrentThread() - before; }\n";
    }

    /// <summary>The reference engine's outputs with the same Reset, and its state (hidden, then the transform's) at the copy step.</summary>
    private static (float[] Outputs, float[] State) Reference(GruModel model, float[] seq, bool int8)
    {
        int inputs = model.InputSize, outputs = model.OutputSize, steps = seq.Length / inputs;
        IGruModel engine = int8 ? new Int8ReferenceEngine(model) : new GruReferenceEngine(model);
        var series = int8 ? ((Int8ReferenceEngine)engine).SeriesState : ((GruReferenceEngine)engine).SeriesState;
        var y = new float[steps * outputs];
        float[] state = Array.Empty<float>();
        for (int s = 0; s < steps; s++)
        {
            if (s == ResetAt) engine.Reset();
            if (s == CopyAt)
            {
                var hidden = model.Layers.SelectMany((_, k) => int8
                    ? ((Int8ReferenceEngine)engine).HiddenState(k).ToArray().Select(v => (float)v)
                    : ((GruReferenceEngine)engine).HiddenState(k).ToArray()).ToArray();
                var transform = new float[model.SeriesTransform?.StateSize ?? 0];
                series?.CopyTo(transform);
                state = hidden.Concat(transform).ToArray();
            }
            engine.Step(seq.AsSpan(s * inputs, inputs), y.AsSpan(s * outputs, outputs));
        }
        return (y, state);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryPathMatchesTheReferenceEngineThroughResetAndStateRoundTrip(int transform, int kindValue)
    {
        var kind = (GeneratedCodeKind)kindValue;
        bool int8 = kind == GeneratedCodeKind.Int8;
        var (model, seq) = GeneratedCodeCases.TransformedSweep(transform, kind);
        var compiled = CompiledModel.Compile(model, extraProbe: Probe(model, int8));
        Assert.Contains(model.SeriesTransform!.History > 0 ? "private void SeriesApply(" : "private void SeriesAddBack(", compiled.Source);
        var (expected, expectedState) = Reference(model, seq, int8);
        // The transform matters: without it the same network gives other outputs.
        var plain = Reference(model.WithSeriesTransform(null), seq, int8);
        Assert.NotEqual(expected, plain.Outputs);

        int ran = 0;
        foreach (var path in compiled.Paths)
        {
            if (int8 && (path == "512" && !Avx512BW.IsSupported || path == "256" && !Avx2.IsSupported)) continue;
            var actual = new float[expected.Length];
            var state = compiled.Call<float[]>("RunTrip", path, seq, actual, ResetAt, CopyAt);
            ran++;
            Assert.Equal(expectedState.Length, state.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                if (int8) Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"path '{path}' output {i}: {actual[i]:R}, reference {expected[i]:R}");
                else
                {
                    double error = Math.Abs(expected[i] - actual[i]) / (kind == GeneratedCodeKind.Float ? Math.Max(1f, Math.Abs(expected[i])) : 1f);
                    Assert.True(error <= (kind == GeneratedCodeKind.Float ? 1e-6 : 1e-5), $"path '{path}' output {i} (step {i / model.OutputSize}): {actual[i]:R}, reference {expected[i]:R}");
                }
            }
            int hidden = model.StateSize;
            for (int i = 0; i < state.Length; i++)
            {
                // The transform state holds raw inputs: exact on every target; hidden states as the outputs.
                bool exact = int8 || i >= hidden;
                Assert.True(exact ? state[i] == expectedState[i] : Math.Abs(state[i] - expectedState[i]) <= 1e-5, $"path '{path}' state {i}: {state[i]:R}, reference {expectedState[i]:R}");
            }
        }
        Assert.True(ran >= 2);
    }

    [Theory]
    [InlineData(0, (int)GeneratedCodeKind.Float)]
    [InlineData(1, (int)GeneratedCodeKind.Int8)]
    public void SetStateChecksTheFilledCountAsTheReferenceDoes(int transform, int kindValue)
    {
        var kind = (GeneratedCodeKind)kindValue;
        bool int8 = kind == GeneratedCodeKind.Int8;
        var (model, _) = GeneratedCodeCases.TransformedSweep(transform, kind);
        var compiled = CompiledModel.Compile(model, extraProbe: Probe(model, int8));
        var t = model.SeriesTransform!;
        string? ReferenceMessage(float filled)
        {
            var s = new float[t.StateSize];
            s[^1] = filled;
            try { new SeriesTransformState(t).SetFrom(s); return null; }
            catch (ArgumentException e) { return e.Message; }
        }
        foreach (float filled in new[] { -1f, 0.5f, t.History + 1f, float.NaN })
        {
            string? message = compiled.Call<string?>("SetFilled", filled);
            Assert.NotNull(message);
            Assert.Equal(ReferenceMessage(filled), message);
        }
        Assert.Null(compiled.Call<string?>("SetFilled", (float)t.History));
        int size = int8 ? t.StateSize : model.StateSize + t.StateSize;
        Assert.Equal(size, (int)compiled.ModelType.GetField(int8 ? "SeriesStateSize" : "StateSize")!.GetValue(null)!);
        Assert.NotNull(compiled.Call<string?>("SetLength", size - 1));
    }

    [Theory]
    [InlineData((int)GeneratedCodeKind.Float)]
    [InlineData((int)GeneratedCodeKind.Int8Weights)]
    [InlineData((int)GeneratedCodeKind.Int8)]
    public void StepAllocatesNothing(int kindValue)
    {
        var kind = (GeneratedCodeKind)kindValue;
        var (model, seq) = GeneratedCodeCases.TransformedSweep(1, kind);
        var compiled = CompiledModel.Compile(model, extraProbe: Probe(model, kind == GeneratedCodeKind.Int8));
        Assert.Equal(0, CompiledModel.LeastOfThree(() => compiled.Call<long>("Allocated", seq.Take(3).ToArray(), 1000)));
    }

    [Fact]
    public void TypeDocumentationStatesTheTransformAndItsState()
    {
        var (model, _) = GeneratedCodeCases.TransformedSweep(1, GeneratedCodeKind.Float);
        string source = NetModelEmitter.Emit(model, new NetEmitOptions { TypeName = "M", SourceName = "m.safetensors", SourceHash = "0" });
        Assert.Contains("/// <para>Series transform (docs/forecasting.md): inputs seasonally differenced", source);
        Assert.Contains("Its state is the last 5 raw inputs [5, 3], most recent first", source);
        Assert.Contains("After Reset the first 5 steps see a change of 0", source);
    }
}

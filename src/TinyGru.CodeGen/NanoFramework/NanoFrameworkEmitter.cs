using System.Globalization;
using System.Text;
using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.CodeGen.NanoFramework;

/// <summary>
/// Emits one self-contained C# 9 file for .NET nanoFramework v1 (no generics, spans, unsafe code, LINQ or tuples): a
/// <c>sealed class</c> with <c>Step(float[], float[])</c>, <c>Reset()</c> and, for softmax heads, <c>Classify(float[])</c>.
/// Float and int8-weights models compute in float; int8 (integer-only) models perform exactly the integer operations of
/// <see cref="FixedPoint"/> on the numbers of <see cref="FixedPointGruModel"/>, so they match Int8ReferenceEngine bit for bit.
/// Weights are unrolled literals (Inline), static arrays (Arrays) or a binary resource (Resource); see docs/nanoframework.md.
/// </summary>
public static class NanoFrameworkEmitter
{
    /// <summary>IL bytes the metadata processor allows per assembly ("Byte code table overflow" beyond).</summary>
    public const long AssemblyIlLimit = 65536;

    /// <summary>Largest estimated IL of a generated model in any placement: 64 KB minus 8 KB left for the application.</summary>
    public const long ModelIlLimit = AssemblyIlLimit - 8192;

    /// <summary>Auto chooses Inline up to this estimated IL (a third of the assembly limit).</summary>
    public const long AutoInlineIlBudget = 24576;

    /// <summary>Array-initializer data is addressed with 16-bit offsets.</summary>
    public const long InitializerLimit = 65535;

    /// <summary>Free managed heap of an ESP32 without PSRAM.</summary>
    public const long DeviceHeapBytes = 111 * 1024;

    /// <summary>Largest RAM a generated model may take in any placement: the heap minus 16 KB for the application.</summary>
    public const long ModelRamLimit = DeviceHeapBytes - 16 * 1024;

    /// <summary>Auto chooses Arrays only when the model's RAM stays within this (about half of the free heap).</summary>
    public const long AutoArraysRamBudget = 56 * 1024;

    /// <summary>Largest weight resource: well inside the 1,792 KB deployment area of 4 MB flash parts.</summary>
    public const long ResourceLimit = 1024 * 1024;

    /// <summary>Methods allowed per type.</summary>
    public const int MethodLimit = 255;

    /// <summary>Unrolled weight terms per generated method (keeps every method a few KB of IL).</summary>
    public const int InlineTermsPerMethod = 384;

    /// <summary>Unrolled terms per statement (bounds expression depth).</summary>
    private const int TermsPerStatement = 24;

    /// <summary>Largest slice the Resource placement reads per ResourceUtility.GetObject call (whole rows; at least one row).</summary>
    public const int ResourceReadBytes = 1024;

    private static string I(long v) => CSharpLiterals.Int(v);
    private static string F(float v) => CSharpLiterals.Float(v);
    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Text safe inside a // comment: every character C# treats as a line break becomes a space.</summary>
    private static string Comment(string text) =>
        text.Replace('\r', ' ').Replace('\n', ' ').Replace('\u2028', ' ').Replace('\u2029', ' ').Replace('\u0085', ' ');

    /// <summary>One weight matrix of the model: float values, or int8 values with per-row scales (int8-weights) or requantization (int8).</summary>
    private sealed class Mat
    {
        public string Name = "";
        public int Rows, Cols;
        public float[]? F;
        public sbyte[]? Q;
        public float[]? Scales;
        public long ResourceOffset;
        public int ElementBytes => F is null ? 1 : 4;
        public long Bytes => (long)Rows * Cols * ElementBytes;
    }

    /// <summary>dst[dstOff + r] = bias[r] + M[row0 + r]·src for r &lt; rows (int8: requant(M·src) + bias).</summary>
    private sealed class Pass
    {
        public Mat M = null!;
        public int Row0, Rows;
        public string Src = "", Dst = "";
        public int DstOff;
        public string Table = "";       // name of the bias (float) / requantization (int8) array for Arrays and Resource
        public float[] FloatBias = Array.Empty<float>();      // [Rows]
        public Requantization[] Rq = Array.Empty<Requantization>(); // [Rows]
        public int[] IntBias = Array.Empty<int>();            // [Rows]
        public string Method = "";      // inline chunk method prefix
    }

    private enum Kind { Float, Int8Weights, Int8 }

    private sealed class Ctx
    {
        public GruModel Model = null!;
        public FixedPointGruModel? Fp;
        public Kind Kind;
        public NanoWeightPlacement Placement;
        public NanoActivations Activations;
        public List<Mat> Mats = new();
        public List<Pass> Passes = new();
        public Mat? Embedding;    // token models: E [V, E] (float, or int8 with one scale per token row)
        public long Il;           // estimated IL bytes
        public long Ops;          // estimated IL ops per step
        public int Methods;
        public long Initializer;  // bytes of array-initializer data
        public long StaticArrays; // number of static arrays
        public long BufferBytes;  // instance buffers
        public int InstanceArrays;
        public bool IsInt => Kind == Kind.Int8;
        public string T => IsInt ? "int" : "float";
    }

    /// <summary>Emits the nanoFramework source of <paramref name="model"/>; throws <see cref="NanoEmitException"/> when it cannot fit.</summary>
    public static NanoEmitResult Emit(GruModel model, NanoEmitOptions options)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        if (options is null) throw new ArgumentNullException(nameof(options));
        var kind = model.Precision switch
        {
            ModelPrecision.Int8 => Kind.Int8,
            ModelPrecision.Int8Weights => Kind.Int8Weights,
            _ => Kind.Float,
        };
        var fp = kind == Kind.Int8 ? FixedPointGruModel.Create(model) : null;

        if (options.Weights != NanoWeightPlacement.Auto)
        {
            var ctx = Build(model, fp, kind, options, options.Weights, out string source, out var resources);
            var problem = Problem(ctx, hard: true);
            if (problem is not null)
                throw new NanoEmitException($"{options.SourceName}: the model does not fit nanoFramework with --weights {Name(options.Weights)}: {problem}");
            return Result(ctx, source, resources);
        }

        var reasons = new List<string>();
        foreach (var p in new[] { NanoWeightPlacement.Inline, NanoWeightPlacement.Arrays, NanoWeightPlacement.Resource })
        {
            var ctx = Build(model, fp, kind, options, p, out string source, out var resources);
            var problem = Problem(ctx, hard: p == NanoWeightPlacement.Resource);
            if (problem is null) return Result(ctx, source, resources);
            reasons.Add($"{Name(p)}: {problem}");
        }
        throw new NanoEmitException($"{options.SourceName}: the model ({N(model.ParameterCount)} parameters) does not fit nanoFramework in any weight placement; " + string.Join("; ", reasons));
    }

    /// <summary>"inline", "arrays", "resource" or "auto".</summary>
    public static string Name(NanoWeightPlacement p) => p switch
    {
        NanoWeightPlacement.Inline => "inline",
        NanoWeightPlacement.Arrays => "arrays",
        NanoWeightPlacement.Resource => "resource",
        _ => "auto",
    };

    /// <summary>The footprint report as lines (printed by the CLI and written in the header).</summary>
    public static IReadOnlyList<string> Report(NanoEmitResult result)
    {
        var f = result.Footprint;
        var lines = new List<string>
        {
            $"placement {Name(result.Placement)}",
            $"IL ≈ {N(f.IlBytes)} bytes (assembly limit {N(AssemblyIlLimit)}), {f.Methods} methods (limit {MethodLimit} per type)",
            $"array-initializer data {N(f.InitializerBytes)} bytes (limit ≈ {N(InitializerLimit)})",
            $"RAM ≈ {N(f.RamBytes)} bytes (ESP32 without PSRAM: ≈ {N(DeviceHeapBytes)} bytes of free heap)",
            $"flash ≈ {N(f.FlashBytes)} bytes (IL + initializer data + resource {N(f.ResourceBytes)} bytes; metadata not counted)",
            $"≈ {N(f.IlOpsPerStep)} IL instructions executed per Step",
        };
        return lines;
    }

    private static NanoEmitResult Result(Ctx ctx, string source, IReadOnlyList<(string Name, byte[] Bytes)> resources) =>
        new(source, Footprint(ctx), ctx.Placement, resources);

    private static NanoFootprint Footprint(Ctx c)
    {
        long resource = c.Placement == NanoWeightPlacement.Resource ? c.Mats.Sum(m => m.Bytes) : 0;
        // Heap: every static array is copied to RAM at boot, plus the instance buffers; 16 bytes of header per array.
        long transient = c.Placement == NanoWeightPlacement.Resource ? Math.Max(ResourceReadBytes, c.Mats.Max(m => (long)m.Cols * m.ElementBytes)) + 16 : 0;
        long ram = c.Initializer + 16 * c.StaticArrays + c.BufferBytes + 16L * c.InstanceArrays + transient;
        return new NanoFootprint(c.Il, c.Initializer, ram, c.Il + c.Initializer + resource, resource, c.Ops, c.Methods);
    }

    private static string? Problem(Ctx c, bool hard)
    {
        var f = Footprint(c);
        if (f.IlBytes > ModelIlLimit) return $"≈ {N(f.IlBytes)} bytes of IL exceed the {N(ModelIlLimit)} bytes a model may take of the 64 KB per assembly";
        if (f.Methods > MethodLimit) return $"{f.Methods} methods exceed {MethodLimit} per type";
        if (f.InitializerBytes > InitializerLimit) return $"{N(f.InitializerBytes)} bytes of array-initializer data exceed ≈ {N(InitializerLimit)}";
        if (f.RamBytes > ModelRamLimit) return $"≈ {N(f.RamBytes)} bytes of RAM exceed the {N(ModelRamLimit)} bytes a model may take of ESP32's ≈ {N(DeviceHeapBytes)} free heap";
        if (f.ResourceBytes > ResourceLimit) return $"{N(f.ResourceBytes)} bytes of weights exceed the {N(ResourceLimit)}-byte resource limit";
        if (hard) return null;
        if (c.Placement == NanoWeightPlacement.Inline && f.IlBytes > AutoInlineIlBudget)
            return $"≈ {N(f.IlBytes)} bytes of IL exceed the {N(AutoInlineIlBudget)} bytes Auto allows unrolled code";
        if (c.Placement == NanoWeightPlacement.Arrays && f.RamBytes > AutoArraysRamBudget)
            return $"≈ {N(f.RamBytes)} bytes of RAM exceed the {N(AutoArraysRamBudget)} bytes Auto allows static arrays";
        return null;
    }

    // ------------------------------------------------------------------------------------------------ plan

    private static Ctx Build(GruModel model, FixedPointGruModel? fp, Kind kind, NanoEmitOptions options, NanoWeightPlacement placement,
        out string source, out IReadOnlyList<(string Name, byte[] Bytes)> resources)
    {
        var c = new Ctx { Model = model, Fp = fp, Kind = kind, Placement = placement, Activations = options.Activations };
        bool after = model.Convention == GateConvention.ResetAfter;
        var q = model.Quantization;
        // A token model reads row t of E into x (never folded here: a [V, 3H] table would multiply the device's RAM or flash).
        if (model.Embedding is { } emb) c.Embedding = NewMat(c, "E", emb.VocabularySize, emb.EmbeddingSize, emb.Table, q?.Embedding);
        for (int k = 0; k < model.Layers.Count; k++)
        {
            var l = model.Layers[k];
            int h = l.HiddenSize;
            var w = NewMat(c, $"W{k}", 3 * h, l.InputSize, l.InputWeights, q?.Layers[k].InputWeights);
            var u = NewMat(c, $"U{k}", 3 * h, h, l.RecurrentWeights, q?.Layers[k].RecurrentWeights);
            if (kind == Kind.Int8)
            {
                var fl = fp!.Layers[k];
                var nb = new int[3 * h];
                if (after) for (int j = 0; j < h; j++) nb[2 * h + j] = fl.RecurrentNBias[j];
                c.Passes.Add(IntPass(w, 0, 3 * h, "x", "px", 0, fl.InputRequantization, fl.GateBias, $"Q{k}x"));
                if (after) c.Passes.Add(IntPass(u, 0, 3 * h, "h", "ph", 0, fl.RecurrentRequantization, nb, $"Q{k}h"));
                else
                {
                    c.Passes.Add(IntPass(u, 0, 2 * h, "h", "ph", 0, fl.RecurrentRequantization, nb, $"Q{k}h"));
                    c.Passes.Add(IntPass(u, 2 * h, h, "r", "ph", 2 * h, fl.RecurrentRequantization, nb, $"Q{k}h"));
                }
            }
            else
            {
                c.Passes.Add(FloatPass(w, 0, 3 * h, "x", "gx", 0, l.InputBias, $"B{k}x"));
                if (after) c.Passes.Add(FloatPass(u, 0, 3 * h, "h", "gh", 0, l.RecurrentBias, $"B{k}h"));
                else
                {
                    c.Passes.Add(FloatPass(u, 0, 2 * h, "h", "gh", 0, l.RecurrentBias, $"B{k}h"));
                    c.Passes.Add(FloatPass(u, 2 * h, h, "rh", "gh", 2 * h, l.RecurrentBias, $"B{k}h"));
                }
            }
        }
        // Hidden dense layers: _d{d} = W_d·(previous) + b_d; their activations run in Forward.
        for (int d = 0; d < model.HiddenDenseLayers.Count; d++)
        {
            var dense = model.HiddenDenseLayers[d];
            var m = NewMat(c, $"D{d}", dense.OutputSize, dense.InputSize, dense.Weight, q?.HiddenDense[d]);
            string src = d == 0 ? $"_h{model.Layers.Count - 1}" : $"_d{d - 1}";
            if (kind == Kind.Int8)
                c.Passes.Add(IntPass(m, 0, dense.OutputSize, src, $"_d{d}", 0, fp!.Dense[d].Requantization, fp.Dense[d].Bias, $"Qd{d}"));
            else c.Passes.Add(FloatPass(m, 0, dense.OutputSize, src, $"_d{d}", 0, dense.Bias, $"Bd{d}"));
        }
        if (model.Head is { } head)
        {
            var m = NewMat(c, "Wy", head.OutputSize, head.InputSize, head.Weight, q?.Head);
            if (kind == Kind.Int8) c.Passes.Add(IntPass(m, 0, head.OutputSize, "h", "y", 0, fp!.HeadRequantization!, fp.HeadBias!, "Qy"));
            else c.Passes.Add(FloatPass(m, 0, head.OutputSize, "h", "y", 0, head.Bias, "By"));
        }

        var res = new List<(string, byte[])>();
        if (placement == NanoWeightPlacement.Resource)
        {
            var bytes = new List<byte>();
            foreach (var m in c.Mats)
            {
                m.ResourceOffset = bytes.Count;
                if (m.F is not null) foreach (var v in m.F) bytes.AddRange(LittleEndian(v));
                else foreach (var v in m.Q!) bytes.Add(unchecked((byte)v));
            }
            res.Add((options.TypeName + "_weights", bytes.ToArray()));
        }
        resources = res;
        source = Write(c, options);
        return c;
    }

    private static byte[] LittleEndian(float v)
    {
        var b = BitConverter.GetBytes(v);
        if (!BitConverter.IsLittleEndian) Array.Reverse(b);
        return b;
    }

    private static Mat NewMat(Ctx c, string name, int rows, int cols, float[] values, QuantizedMatrix? q)
    {
        var m = new Mat { Name = name, Rows = rows, Cols = cols };
        if (c.Kind == Kind.Float) m.F = values;
        else
        {
            m.Q = q!.Values;
            if (c.Kind == Kind.Int8Weights) m.Scales = q.RowScales;
        }
        c.Mats.Add(m);
        return m;
    }

    private static Pass FloatPass(Mat m, int row0, int rows, string src, string dst, int dstOff, float[] bias, string table) => new()
    {
        M = m, Row0 = row0, Rows = rows, Src = src, Dst = dst, DstOff = dstOff, Table = table,
        FloatBias = bias.Skip(row0).Take(rows).ToArray(),
    };

    private static Pass IntPass(Mat m, int row0, int rows, string src, string dst, int dstOff, Requantization[] rq, int[] bias, string table) => new()
    {
        M = m, Row0 = row0, Rows = rows, Src = src, Dst = dst, DstOff = dstOff, Table = table,
        Rq = rq.Skip(row0).Take(rows).ToArray(), IntBias = bias.Skip(row0).Take(rows).ToArray(),
    };

    // ------------------------------------------------------------------------------------------------ source

    private static string Write(Ctx c, NanoEmitOptions o)
    {
        var m = c.Model;
        var body = new IndentedWriter();
        body.Indent();
        if (o.Namespace is not null) body.Indent();
        var statics = new IndentedWriter();
        statics.Indent();
        if (o.Namespace is not null) statics.Indent();

        WriteConstants(c, body, o);
        WriteFields(c, body);
        WriteApi(c, body, o);
        if (c.Model.SeriesTransform is not null)
        {
            NetSeriesTransformEmitter.EmitMethods(body, c.Model, nanoFramework: true);
            c.Il += 30L * c.Model.InputSize + 30L * c.Model.OutputSize + 60;
            c.Methods += 2;
        }
        WriteForward(c, body);
        for (int k = 0; k < m.Layers.Count; k++) WriteLayer(c, body, k);
        WriteOutput(c, body);
        WritePassHelpers(c, body);
        WriteInline(c, body);
        WriteArithmetic(c, body);
        WriteStaticData(c, statics);

        var w = new StringBuilder();
        string nl = "\n";
        w.Append("// <auto-generated/>").Append(nl);
        foreach (var line in Header(c, o)) w.Append("// ").Append(line).Append(nl);
        w.Append(nl);
        string indent = "";
        if (o.Namespace is not null)
        {
            w.Append("namespace ").Append(o.Namespace).Append(nl).Append('{').Append(nl);
            indent = "    ";
        }
        foreach (var line in TypeDoc(c, o)) w.Append(indent).Append(line).Append(nl);
        w.Append(indent).Append(o.Partial ? "sealed partial class " : "public sealed class ").Append(o.TypeName).Append(nl).Append(indent).Append('{').Append(nl);
        w.Append(body.ToString());
        string st = statics.ToString();
        if (st.Length > 0) w.Append(st);
        else if (w.Length >= 2 && w[w.Length - 1] == '\n' && w[w.Length - 2] == '\n') w.Length--; // no blank line before the closing brace
        w.Append(indent).Append('}').Append(nl);
        if (o.Namespace is not null) w.Append('}').Append(nl);
        return w.ToString();
    }

    private static string PrecisionText(Ctx c) => c.Kind switch
    {
        Kind.Int8 => "int8 (integer-only, docs/quantization.md): int8 weights and inputs, Q0.15 state, int32 accumulators, table activations; bit for bit TinyGru's Int8ReferenceEngine",
        Kind.Int8Weights => "int8-weights: int8 weights with one float32 scale per row, float32 arithmetic and state",
        _ => "float32",
    };

    private static string ConventionText(GruModel m) => m.Convention == GateConvention.ResetAfter
        ? "reset-after: n = tanh(Wn·x + b_in + r ⊙ (Un·h + b_hn)) (PyTorch nn.GRU, ONNX linear_before_reset=1)"
        : "reset-before: n = tanh(Wn·x + b_in + Un·(r ⊙ h) + b_hn) (ONNX linear_before_reset=0, Keras reset_after=False)";

    private static IEnumerable<string> Header(Ctx c, NanoEmitOptions o)
    {
        var m = c.Model;
        var f = Footprint(c);
        yield return $"Generated by TinyGru for .NET nanoFramework v1 (C# 9) from {Comment(o.SourceName)} (sha256 {Comment(o.SourceHash)}). Do not edit: change the model and regenerate.";
        string input = m.Embedding is { } e ? $"token id 0 … {e.VocabularySize - 1} → embedding [{e.VocabularySize}, {e.EmbeddingSize}]" : $"input {m.InputSize}";
        yield return $"Model{(m.Metadata.Name is null ? "" : " \"" + Comment(m.Metadata.Name) + "\"")}: {input} → GRU {string.Join(" → ", m.Layers.Select(l => l.HiddenSize))}" +
                     string.Concat(m.DenseLayers.Select(d => $" → dense {d.OutputSize} ({TinyGruModelFile.ActivationName(d.Activation)})")) + $" → output {m.OutputSize}; {N(m.ParameterCount)} parameters.";
        yield return $"Precision {PrecisionText(c)}.";
        yield return $"Gates r, z, n; {ConventionText(m)}; h' = (1 − z) ⊙ n + z ⊙ h; state starts at zero.";
        if (m.GateActivation != GateActivation.Sigmoid)
            yield return m.GateActivation == GateActivation.HardSigmoidKeras2
                ? "r and z use the Keras 2 / TF.js hard sigmoid σ(x) = clip(0.2·x + 0.5, 0, 1)."
                : "r and z use the Keras 3 hard sigmoid σ(x) = clip(x/6 + 0.5, 0, 1) = relu6(x + 3) / 6.";
        if (m.HiddenDenseLayers.Count > 0 && c.Kind == Kind.Int8)
            yield return "Hidden dense layers in integers: tanh/sigmoid ones output Q0.15, relu/none ones an int16 unit of their own scale (a bound from the weights, so nothing overflows).";
        if (m.HiddenDenseLayers.Count > 0)
            yield return $"Head: {m.DenseLayers.Count} dense layers x_(d+1) = act_d(W_d·x_d + b_d): {string.Join(" → ", m.DenseLayers.Select(d => $"[{d.OutputSize}, {d.InputSize}] {TinyGruModelFile.ActivationName(d.Activation)}"))}.";
        if (m.Embedding is { } te)
            yield return $"Token input: Step(int token, float[] output) takes one id 0 … {te.VocabularySize - 1} (Step(float[], float[]) the id as a whole float); other ids throw ArgumentOutOfRangeException. " +
                         $"Row t of E [{te.VocabularySize}, {te.EmbeddingSize}] is layer 0's input ({(c.Placement == NanoWeightPlacement.Resource ? "read from the resource" : "a static array")}{(c.Kind == Kind.Int8Weights ? ", int8 with one scale per row" : c.Kind == Kind.Int8 ? ", int8 with one scale for the table and zero point 0: the int8 input" : "")}).";
        if (c.Kind != Kind.Int8)
            yield return c.Activations == NanoActivations.MathTanh
                ? "Activations: tanh(x) = (float)Math.Tanh(x), σ(x) = 0.5·tanh(x/2) + 0.5, one Math.Tanh(double) call each (needs nanoFramework.System.Math)."
                : $"Activations: managed float approximation, no System.Math call (max abs error {ManagedErrorText} for tanh and σ).";
        yield return $"Weights: {Name(c.Placement)} — " + c.Placement switch
        {
            NanoWeightPlacement.Inline => "unrolled code with literal weights (no weight RAM).",
            NanoWeightPlacement.Arrays => "static readonly arrays (copied from flash into the heap at boot).",
            _ => $"binary resource {o.TypeName}_weights (stays in flash), read in slices of at most {ResourceReadBytes} bytes with ResourceUtility.GetObject.",
        };
        yield return "Footprint (estimated):";
        foreach (var line in Report(new NanoEmitResult("", f, c.Placement, Array.Empty<(string, byte[])>()))) yield return "  " + line;
    }

    private static IEnumerable<string> TypeDoc(Ctx c, NanoEmitOptions o)
    {
        var m = c.Model;
        yield return "/// <summary>";
        yield return $"/// GRU model generated by TinyGru from {Comment(CSharpLiterals.XmlText(o.SourceName))}: Step(input, output) advances one timestep; Reset() zeroes the state.";
        if (c.Placement == NanoWeightPlacement.Resource)
            yield return $"/// Construct it with the project's resource manager and the id of the binary resource holding {CSharpLiterals.XmlText(o.TypeName)}_weights, e.g. new {o.TypeName}(Resources.ResourceManager, Resources.BinaryResources.{o.TypeName}_weights).";
        if (m.SeriesTransform is { } st)
            yield return $"/// Series transform (docs/forecasting.md): {CSharpLiterals.XmlText(st.Describe())}. Step takes raw series values, feeds the network their transform and adds each residual output's base; " +
                         (st.History == 0 ? "it keeps no state." : $"its state, the last {st.History} raw inputs and how many are filled, lives in arrays beside the hidden state and Reset clears it: the first {st.History} steps after Reset see a change of 0 for differenced features.");
        yield return "/// All buffers are allocated in the constructor; Step allocates nothing" + (c.Placement == NanoWeightPlacement.Resource ? " but the byte[] slices ResourceUtility.GetObject returns." : ".");
        yield return "/// </summary>";
    }

    private static void WriteConstants(Ctx c, IndentedWriter w, NanoEmitOptions o)
    {
        var m = c.Model;
        NetModelEmitter.EmitSizeConstants(w, m);
        NetModelEmitter.EmitIdentityConstants(w, m, o.SourceName, o.SourceHash);
        var labels = m.Metadata.ClassLabels;
        if (labels.Count > 0)
        {
            w.Line();
            NetModelEmitter.EmitLabelConstants(w, labels);
            w.Line("/// <summary>The class label of output <paramref name=\"classIndex\"/>.</summary>");
            using (w.Block("public static string GetLabel(int classIndex)"))
            {
                using (w.Block("switch (classIndex)"))
                {
                    for (int i = 0; i < labels.Count; i++) w.Line($"case {I(i)}: return Label{I(i)};");
                    w.Line("default: throw new System.ArgumentOutOfRangeException(\"classIndex\");");
                }
            }
            c.Il += 12 + 8L * labels.Count;
            c.Methods++;
        }
        w.Line();
    }

    private static int MaxH(GruModel m) => m.Layers.Max(l => l.HiddenSize);

    private static void Buffer(Ctx c, IndentedWriter w, string type, string name, int length, string doc)
    {
        w.Line($"private readonly {type}[] {name}; // {doc}");
        c.BufferBytes += (type == "sbyte" ? 1 : 4) * (long)length;
        c.InstanceArrays++;
    }

    private static void WriteFields(Ctx c, IndentedWriter w)
    {
        var m = c.Model;
        string t = c.T;
        bool after = m.Convention == GateConvention.ResetAfter;
        int maxH = MaxH(m);
        for (int k = 0; k < m.Layers.Count; k++)
            Buffer(c, w, t, $"_h{k}", m.Layers[k].HiddenSize, $"hidden state of layer {k} [{m.Layers[k].HiddenSize}]" + (c.IsInt ? ", Q0.15" : ""));
        if (c.IsInt)
        {
            Buffer(c, w, "int", "_x", m.InputSize, "quantized input minus the zero point [I]");
            Buffer(c, w, "int", "_px", 3 * maxH, "requant(W·x) + gate bias [3H], Q.12");
            Buffer(c, w, "int", "_ph", 3 * maxH, "requant(U·h) (+ b_hn) [3H], Q.12");
            Buffer(c, w, "int", "_r", maxH, "reset gate (reset-before: r ⊙ h) [H], Q0.15");
            Buffer(c, w, "int", "_z", maxH, "update gate [H], Q0.15");
            for (int d = 0; d < m.HiddenDenseLayers.Count; d++)
                Buffer(c, w, "int", $"_d{d}", m.HiddenDenseLayers[d].OutputSize, $"output of dense layer {d} [{m.HiddenDenseLayers[d].OutputSize}], " +
                    (c.Fp!.Dense[d].OutputIsQ15 ? "Q0.15" : "int16 range in the layer's own unit"));
            Buffer(c, w, "int", "_y", m.OutputSize, "head output [O], Q.12 (the last state without a head)");
        }
        else
        {
            if (m.InputNormalization is not null) Buffer(c, w, "float", "_x", m.InputSize, "normalized input [I]");
            else if (m.Embedding is not null) Buffer(c, w, "float", "_x", m.InputSize, "the token's embedding row [E]");
            for (int d = 0; d < m.HiddenDenseLayers.Count; d++)
                Buffer(c, w, "float", $"_d{d}", m.HiddenDenseLayers[d].OutputSize, $"output of dense layer {d} [{m.HiddenDenseLayers[d].OutputSize}]");
            Buffer(c, w, "float", "_gx", 3 * maxH, "W·x + b_i [3H]");
            Buffer(c, w, "float", "_gh", 3 * maxH, "U·h + b_h [3H]");
            if (!after) Buffer(c, w, "float", "_rh", maxH, "r ⊙ h [H]");
            Buffer(c, w, "float", "_y", m.OutputSize, "head output before its activation [O]");
        }
        if (m.SeriesTransform is { History: > 0 } st)
        {
            // Series transform (docs/forecasting.md): applied in float around the network, as SeriesTransformState does.
            Buffer(c, w, "float", "_seriesHistory", st.History * m.InputSize, $"ring of the last {st.History} raw inputs [{st.History}, {m.InputSize}]; slot _seriesNewest holds the most recent, slot (_seriesNewest + j) mod {st.History} the one j steps earlier");
            Buffer(c, w, "float", "_network", m.InputSize, "the transformed input the network sees [I]");
            w.Line("private int _seriesNewest;");
            w.Line($"private int _seriesFilled; // how many earlier raw inputs the ring holds (0 … {st.History})");
        }
        if (c.Placement == NanoWeightPlacement.Resource)
        {
            w.Line("private readonly System.Resources.ResourceManager _resources;");
            w.Line("private readonly System.Enum _weightsId;");
        }
        w.Line();
    }

    private static void WriteApi(Ctx c, IndentedWriter w, NanoEmitOptions o)
    {
        var m = c.Model;
        string t = c.T;
        bool after = m.Convention == GateConvention.ResetAfter;
        int maxH = MaxH(m);
        void Allocate()
        {
            for (int k = 0; k < m.Layers.Count; k++) w.Line($"_h{k} = new {t}[{I(m.Layers[k].HiddenSize)}];");
            if (c.IsInt)
            {
                w.Line($"_x = new int[{I(m.InputSize)}];");
                w.Line($"_px = new int[{I(3 * maxH)}];");
                w.Line($"_ph = new int[{I(3 * maxH)}];");
                w.Line($"_r = new int[{I(maxH)}];");
                w.Line($"_z = new int[{I(maxH)}];");
                for (int d = 0; d < m.HiddenDenseLayers.Count; d++) w.Line($"_d{d} = new int[{I(m.HiddenDenseLayers[d].OutputSize)}];");
            }
            else
            {
                if (m.InputNormalization is not null || m.Embedding is not null) w.Line($"_x = new float[{I(m.InputSize)}];");
                for (int d = 0; d < m.HiddenDenseLayers.Count; d++) w.Line($"_d{d} = new float[{I(m.HiddenDenseLayers[d].OutputSize)}];");
                w.Line($"_gx = new float[{I(3 * maxH)}];");
                w.Line($"_gh = new float[{I(3 * maxH)}];");
                if (!after) w.Line($"_rh = new float[{I(maxH)}];");
            }
            w.Line($"_y = new {t}[{I(m.OutputSize)}];");
            if (m.SeriesTransform is { History: > 0 } st)
            {
                w.Line($"_seriesHistory = new float[{I(st.History * m.InputSize)}];");
                w.Line($"_network = new float[{I(m.InputSize)}];");
            }
            c.Il += 10L * c.InstanceArrays + 4;
        }
        if (c.Placement == NanoWeightPlacement.Resource)
        {
            w.Line($"/// <summary>Creates the model in the zero state; <paramref name=\"resources\"/> and <paramref name=\"weightsId\"/> name the binary resource {o.TypeName}_weights ({N(c.Mats.Sum(x => x.Bytes))} bytes).</summary>");
            using (w.Block($"public {o.TypeName}(System.Resources.ResourceManager resources, System.Enum weightsId)"))
            {
                w.Line("if (resources == null) throw new System.ArgumentNullException(\"resources\");");
                w.Line("if (weightsId == null) throw new System.ArgumentNullException(\"weightsId\");");
                w.Line("_resources = resources;");
                w.Line("_weightsId = weightsId;");
                Allocate();
            }
            c.Il += 40;
        }
        else
        {
            w.Line("/// <summary>Creates the model in the zero state.</summary>");
            using (w.Block($"public {o.TypeName}()")) Allocate();
        }
        c.Methods++;
        w.Line();

        bool apply = m.SeriesTransform is { History: > 0 }, addBack = m.SeriesTransform is { IsResidual: true };
        w.Line(m.SeriesTransform is null ? "/// <summary>Sets every hidden state to zero.</summary>" : "/// <summary>Sets every hidden state to zero and forgets the series transform's earlier inputs.</summary>");
        using (w.Block("public void Reset()"))
        {
            for (int k = 0; k < m.Layers.Count; k++) w.Line($"for (int i = 0; i < {I(m.Layers[k].HiddenSize)}; i++) _h{k}[i] = {(c.IsInt ? "0" : "0f")};");
            if (apply)
            {
                w.Line($"for (int i = 0; i < {I(m.SeriesTransform!.History * m.InputSize)}; i++) _seriesHistory[i] = 0f;");
                w.Line("_seriesNewest = 0;");
                w.Line("_seriesFilled = 0;");
                c.Il += 40;
            }
        }
        c.Il += 2 + 22L * m.Layers.Count;
        c.Methods++;
        w.Line();

        string msg = $"expected input of length {m.StepInputSize} and output of length {m.OutputSize}";
        if (m.Embedding is { } e)
        {
            WriteTokenApi(c, w, e, msg);
            // Classify below reads the id from a float like Step(float[], float[]).
        }
        else
        {
            w.Line("/// <summary>Advances one timestep: <paramref name=\"input\"/> [InputSize] in the user's units → <paramref name=\"output\"/> [OutputSize].</summary>");
            using (w.Block("public void Step(float[] input, float[] output)"))
            {
                w.Line("if (input == null || output == null || input.Length != InputSize || output.Length != OutputSize)");
                w.Line($"    throw new System.ArgumentException({CSharpLiterals.String(msg)});");
                if (apply) w.Line("SeriesApply(input, _network); // x → the transformed input, and remembered");
                w.Line(apply ? "Forward(_network);" : "Forward(input);");
                w.Line("WriteOutput(output);");
                if (addBack) w.Line("SeriesAddBack(input, output); // residual: y + base");
            }
            c.Il += 45 + (apply ? 12 : 0) + (addBack ? 8 : 0);
            c.Ops += 25;
            c.Methods++;
            w.Line();
        }

        if (m.Head?.Activation == HeadActivation.Softmax)
        {
            w.Line("/// <summary>Advances one timestep and returns the index of the most probable class" + (c.IsInt ? ", comparing the Q.12 logits (the first of equal ones)." : " (the largest logit, the first of equal ones)."));
            if (m.Metadata.ClassLabels.Count > 0) w.Line("/// GetLabel(index) names it.");
            w.Line("/// </summary>");
            using (w.Block("public int Classify(float[] input)"))
            {
                w.Line("if (input == null || input.Length != InputSize)");
                w.Line($"    throw new System.ArgumentException({CSharpLiterals.String($"expected input of length {m.StepInputSize}")});");
                if (apply) w.Line("SeriesApply(input, _network);");
                w.Line(m.Embedding is null ? (apply ? "Forward(_network);" : "Forward(input);") : "Forward(TokenOf(input[0]));");
                w.Line($"{t}[] y = _y;");
                w.Line("int best = 0;");
                w.Line("for (int o = 1; o < OutputSize; o++) if (y[o] > y[best]) best = o;");
                w.Line("return best;");
            }
            c.Il += 60;
            c.Methods++;
            w.Line();

            w.Line("/// <summary>The index of the largest of <paramref name=\"scores\"/> (the first of equal ones): the class of a probability vector.</summary>");
            using (w.Block("public static int ArgMax(float[] scores)"))
            {
                w.Line("if (scores == null || scores.Length == 0) throw new System.ArgumentException(\"expected at least one score\");");
                w.Line("int best = 0;");
                w.Line("for (int o = 1; o < scores.Length; o++) if (scores[o] > scores[best]) best = o;");
                w.Line("return best;");
            }
            w.Line();
            w.Line("/// <summary>Advances one timestep (as Step), writes the class probabilities [OutputSize] into <paramref name=\"probabilities\"/> and returns the most probable class (ArgMax).</summary>");
            using (w.Block("public int StepAndClassify(float[] input, float[] probabilities)"))
            {
                w.Line("Step(input, probabilities);");
                w.Line("return ArgMax(probabilities);");
            }
            c.Il += 45 + 12;
            c.Methods += 2;
            w.Line();
        }
    }

    /// <summary>
    /// A token model's public steps: Step(int token, float[]) checks the id (ArgumentOutOfRangeException naming it and V,
    /// the reference engine's wording) and Step(float[], float[]) takes it as a whole float (as the reference engine's TokenOf).
    /// </summary>
    private static void WriteTokenApi(Ctx c, IndentedWriter w, TokenEmbedding e, string msg)
    {
        var m = c.Model;
        int v = e.VocabularySize;
        w.Line("/// <summary>Advances one timestep with token id <paramref name=\"token\"/> (0 … VocabularySize − 1) → <paramref name=\"output\"/> [OutputSize]; other ids throw ArgumentOutOfRangeException.</summary>");
        using (w.Block("public void Step(int token, float[] output)"))
        {
            w.Line("if (output == null || output.Length != OutputSize)");
            w.Line($"    throw new System.ArgumentException({CSharpLiterals.String($"expected output of length {m.OutputSize}")});");
            w.Line("CheckToken(token);");
            w.Line("Forward(token);");
            w.Line("WriteOutput(output);");
        }
        w.Line();
        w.Line("/// <summary>Advances one timestep with the token id as a float: <paramref name=\"input\"/> [1] holds a whole number 0 … VocabularySize − 1.</summary>");
        using (w.Block("public void Step(float[] input, float[] output)"))
        {
            w.Line("if (input == null || output == null || input.Length != InputSize || output.Length != OutputSize)");
            w.Line($"    throw new System.ArgumentException({CSharpLiterals.String(msg)});");
            w.Line("Step(TokenOf(input[0]), output);");
        }
        w.Line();
        w.Line("/// <summary>Throws ArgumentOutOfRangeException unless 0 ≤ <paramref name=\"token\"/> &lt; VocabularySize (nothing is read outside the table).</summary>");
        using (w.Block("private static void CheckToken(int token)"))
        {
            w.Line("if (token < 0 || token >= VocabularySize)");
            w.Line($"    throw new System.ArgumentOutOfRangeException(\"token\", \"token id \" + token.ToString() + {CSharpLiterals.String($" is outside the vocabulary of {v} ids (expected 0 to {v - 1})")});");
        }
        w.Line();
        w.Line("/// <summary>The token id a float stands for: a whole number 0 … VocabularySize − 1, else ArgumentOutOfRangeException.</summary>");
        using (w.Block("private static int TokenOf(float value)"))
        {
            w.Line("if (!(value >= 0f) || value >= VocabularySize || value != (float)(int)value)");
            w.Line($"    throw new System.ArgumentOutOfRangeException(\"input\", {CSharpLiterals.String($"the token id is not a whole number from 0 to {v - 1} (vocabulary of {v} ids)")});");
            w.Line("return (int)value;");
        }
        w.Line();
        c.Il += 45 + 30 + 40 + 45;
        c.Ops += 40;
        c.Methods += 4;
    }

    private static void WriteForward(Ctx c, IndentedWriter w)
    {
        var m = c.Model;
        using (w.Block(m.Embedding is null ? "private void Forward(float[] input)" : "private void Forward(int token)"))
        {
            string x;
            if (c.Embedding is { } e)
            {
                int cols = e.Cols;
                w.Line("// x = E[t]: the token's embedding row" + (c.Kind == Kind.Int8Weights ? ", q · row scale" : c.IsInt ? ", int8 with one scale for the table and zero point 0" : ""));
                w.Line($"{c.T}[] x = _x;");
                if (c.Kind == Kind.Int8Weights) w.Line("float s = SE[token];");
                if (c.Placement == NanoWeightPlacement.Resource)
                {
                    long rowBytes = (long)cols * e.ElementBytes;
                    w.Line($"byte[] row = (byte[])nanoFramework.Runtime.Native.ResourceUtility.GetObject(_resources, _weightsId, {I(e.ResourceOffset)} + token * {I(rowBytes)}, {I(rowBytes)});");
                    w.Line(c.Kind switch
                    {
                        Kind.Int8Weights => $"for (int i = 0; i < {I(cols)}; i++) x[i] = (sbyte)row[i] * s;",
                        Kind.Int8 => $"for (int i = 0; i < {I(cols)}; i++) x[i] = (sbyte)row[i];",
                        _ => $"for (int i = 0; i < {I(cols)}; i++) x[i] = System.BitConverter.ToSingle(row, 4 * i);",
                    });
                    c.Ops += 60 + 12L * cols;
                }
                else
                {
                    w.Line($"int at = token * {I(cols)};");
                    w.Line(c.Kind == Kind.Int8Weights
                        ? $"for (int i = 0; i < {I(cols)}; i++) x[i] = E[at + i] * s;"
                        : $"for (int i = 0; i < {I(cols)}; i++) x[i] = E[at + i];");
                    c.Ops += 10 + 10L * cols;
                }
                c.Il += 60;
                x = "x";
            }
            else if (c.IsInt)
            {
                var fp = c.Fp!;
                w.Line("// xq = clamp(round((x − mean) · 1/(std·s_x)) + zp, −128, 127); the first layer sees xq − zp");
                w.Line("int[] x = _x;");
                int zp = fp.InputZeroPoint;
                for (int i = 0; i < m.InputSize; i++)
                    w.Line($"x[{I(i)}] = QuantizeInput((input[{I(i)}] - {F(fp.InputMean[i])}) * {F(fp.InputMultiplier[i])}, {I(zp)}) {(zp < 0 ? "+ " + I(-(long)zp) : "- " + I(zp))};");
                c.Il += 24L * m.InputSize;
                c.Ops += 40L * m.InputSize;
                x = "x";
            }
            else if (m.InputNormalization is { } norm)
            {
                w.Line("// x' = (x − mean) / std");
                w.Line("float[] x = _x;");
                for (int i = 0; i < m.InputSize; i++)
                    w.Line($"x[{I(i)}] = (input[{I(i)}] - {F(norm.Mean[i])}) / {F(norm.Std[i])};");
                c.Il += 20L * m.InputSize;
                c.Ops += 8L * m.InputSize;
                x = "x";
            }
            else x = "input";
            for (int k = 0; k < m.Layers.Count; k++)
            {
                w.Line($"Layer{k}({x});");
                x = $"_h{k}";
            }
            for (int d = 0; d < m.HiddenDenseLayers.Count; d++)
            {
                var dense = m.HiddenDenseLayers[d];
                string act = TinyGruModelFile.ActivationName(dense.Activation);
                w.Line($"// dense layer {d}: y = {(dense.Activation == HeadActivation.None ? "W·x + b" : act + "(W·x + b)")}   [{dense.OutputSize}, {dense.InputSize}]");
                EmitPass(c, w, c.Passes.Single(p => p.M.Name == $"D{d}"));
                string y = $"_d{d}", O = I(dense.OutputSize);
                if (c.IsInt)
                    switch (dense.Activation)   // Q.12 → Q0.15 (tanh, sigmoid); saturate the int16-range output unit (relu, none)
                    {
                        case HeadActivation.Relu: w.Line($"for (int i = 0; i < {O}; i++) {{ int v = {y}[i]; {y}[i] = v > 32767 ? 32767 : v < 0 ? 0 : v; }}"); break;
                        case HeadActivation.Tanh: w.Line($"for (int i = 0; i < {O}; i++) {y}[i] = Tanh({y}[i]);"); break;
                        case HeadActivation.Sigmoid: w.Line($"for (int i = 0; i < {O}; i++) {y}[i] = Sigmoid({y}[i]);"); break;
                        default: w.Line($"for (int i = 0; i < {O}; i++) {{ int v = {y}[i]; {y}[i] = v > 32767 ? 32767 : v < -32767 ? -32767 : v; }}"); break;
                    }
                else switch (dense.Activation)
                {
                    case HeadActivation.Relu: w.Line($"for (int i = 0; i < {O}; i++) if ({y}[i] < 0f) {y}[i] = 0f;"); break;
                    case HeadActivation.Tanh: w.Line($"for (int i = 0; i < {O}; i++) {y}[i] = Tanh({y}[i]);"); break;
                    case HeadActivation.Sigmoid: w.Line($"for (int i = 0; i < {O}; i++) {y}[i] = Sigmoid({y}[i]);"); break;
                }
                c.Il += 30;
                c.Ops += 12L * dense.OutputSize;
                x = y;
            }
            if (m.Head is not null)
            {
                w.Line("// y = Wy·h + by" + (c.IsInt ? " (requantized to Q.12)" : ""));
                w.Line($"{c.T}[] h = {x};");
                w.Line($"{c.T}[] y = _y;");
                EmitPass(c, w, c.Passes[c.Passes.Count - 1]);
            }
            else
            {
                w.Line($"{c.T}[] h = {x};");
                w.Line($"for (int i = 0; i < {I(m.OutputSize)}; i++) _y[i] = h[i];");
                c.Ops += 10L * m.OutputSize;
            }
            c.Il += 30 + 8L * m.Layers.Count;
        }
        c.Methods++;
        w.Line();
    }

    private static void WriteLayer(Ctx c, IndentedWriter w, int k)
    {
        var m = c.Model;
        int h = m.Layers[k].HiddenSize;
        bool after = m.Convention == GateConvention.ResetAfter;
        var passes = c.Passes.Where(p => p.M.Name == $"W{k}" || p.M.Name == $"U{k}").ToList();
        string H = I(h), H2 = I(2 * h);
        w.Line($"/// <summary>GRU layer {k}: {m.Layers[k].InputSize} inputs → {h} hidden.</summary>");
        if (c.IsInt)
        {
            using (w.Block($"private void Layer{k}(int[] x)"))
            {
                w.Line($"int[] h = _h{k};");
                w.Line("int[] px = _px;");
                w.Line("int[] ph = _ph;");
                w.Line("int[] r = _r;");
                w.Line("int[] z = _z;");
                w.Line("// px = requant(W·x) + b   [3H] (b = b_i + b_h for r and z; b_in, or b_in + b_hn for reset-before, for n)");
                EmitPass(c, w, passes[0]);
                w.Line(after ? "// ph = requant(U·h), + b_hn for the n rows   [3H]" : "// ph = requant(U·h) for the r and z rows   [2H]");
                EmitPass(c, w, passes[1]);
                using (w.Block($"for (int j = 0; j < {H}; j++)"))
                {
                    string gate = GateFunction(m);
                    w.Line($"r[j] = {gate}(px[j] + ph[j]);                       // r = σ(Wr·x + Ur·h + br)");
                    w.Line($"z[j] = {gate}(px[{H} + j] + ph[{H} + j]);           // z = σ(Wz·x + Uz·h + bz)");
                }
                c.Ops += 80L * h;
                if (!after)
                {
                    w.Line($"for (int j = 0; j < {H}; j++) r[j] = (r[j] * h[j] + 16384) >> 15; // r ⊙ h, Q0.15");
                    w.Line("// ph_n = requant(Un·(r ⊙ h))   [H]");
                    EmitPass(c, w, passes[2]);
                    c.Ops += 16L * h;
                }
                using (w.Block($"for (int j = 0; j < {H}; j++)"))
                {
                    if (after)
                    {
                        w.Line($"int u = ph[{H2} + j];");
                        w.Line("if (u > 65535) u = 65535; else if (u < -65535) u = -65535;");
                        w.Line($"int n = Tanh(px[{H2} + j] + ((r[j] * u + 16384) >> 15));          // n = tanh(Wn·x + bin + r ⊙ (Un·h + bhn))");
                    }
                    else w.Line($"int n = Tanh(px[{H2} + j] + ph[{H2} + j]);                   // n = tanh(Wn·x + Un·(r ⊙ h) + bn)");
                    w.Line("h[j] = n + ((z[j] * (h[j] - n) + 16384) >> 15);                  // h' = n + z ⊙ (h − n)");
                }
                c.Ops += 60L * h;
            }
        }
        else
        {
            string Gate = GateFunction(m);
            using (w.Block($"private void Layer{k}(float[] x)"))
            {
                w.Line($"float[] h = _h{k};");
                w.Line("float[] gx = _gx;");
                w.Line("float[] gh = _gh;");
                w.Line("// gx = W·x + b_i   [3H] (gate blocks r, z, n)");
                EmitPass(c, w, passes[0]);
                if (after)
                {
                    w.Line("// gh = U·h + b_h   [3H]");
                    EmitPass(c, w, passes[1]);
                    using (w.Block($"for (int j = 0; j < {H}; j++)"))
                    {
                        w.Line($"float r = {Gate}(gx[j] + gh[j]);                          // r = σ(Wr·x + br_i + Ur·h + br_h)");
                        w.Line($"float z = {Gate}(gx[{H} + j] + gh[{H} + j]);              // z = σ(Wz·x + bz_i + Uz·h + bz_h)");
                        w.Line($"float n = Tanh(gx[{H2} + j] + r * gh[{H2} + j]);          // n = tanh(Wn·x + bn_i + r ⊙ (Un·h + bn_h))");
                        w.Line("h[j] = n + z * (h[j] - n);                                 // h' = (1 − z) ⊙ n + z ⊙ h");
                    }
                    c.Ops += 90L * h;
                }
                else
                {
                    w.Line("float[] rh = _rh;");
                    w.Line("// gh = U·h + b_h for the r and z rows   [2H]");
                    EmitPass(c, w, passes[1]);
                    using (w.Block($"for (int j = 0; j < {H}; j++)"))
                    {
                        w.Line($"float r = {Gate}(gx[j] + gh[j]);                          // r = σ(Wr·x + br_i + Ur·h + br_h)");
                        w.Line($"gh[{H} + j] = {Gate}(gx[{H} + j] + gh[{H} + j]);          // z = σ(Wz·x + bz_i + Uz·h + bz_h)");
                        w.Line("rh[j] = r * h[j];");
                    }
                    w.Line("// gh_n = Un·(r ⊙ h) + b_hn   [H]");
                    EmitPass(c, w, passes[2]);
                    using (w.Block($"for (int j = 0; j < {H}; j++)"))
                    {
                        w.Line($"float n = Tanh(gx[{H2} + j] + gh[{H2} + j]);              // n = tanh(Wn·x + bn_i + Un·(r ⊙ h) + bn_h)");
                        w.Line($"h[j] = n + gh[{H} + j] * (h[j] - n);                      // h' = (1 − z) ⊙ n + z ⊙ h");
                    }
                    c.Ops += 100L * h;
                }
            }
        }
        c.Il += 60 + (after ? 110 : 170) + (c.IsInt ? (after ? 100 : 20) : 0);
        c.Methods++;
        w.Line();
    }

    private static void WriteOutput(Ctx c, IndentedWriter w)
    {
        var m = c.Model;
        int o = m.OutputSize;
        string O = I(o);
        using (w.Block("private void WriteOutput(float[] output)"))
        {
            w.Line($"{c.T}[] y = _y;");
            if (c.IsInt)
            {
                if (m.Head is null)
                    w.Line($"for (int i = 0; i < {O}; i++) output[i] = y[i] * (1f / 32768);          // Q0.15 state");
                else switch (m.Head.Activation)
                {
                    case HeadActivation.Softmax:
                        w.Line("// softmax: exp(y − max y) by table (Q0.15), normalized in float");
                        w.Line("int max = int.MinValue;");
                        w.Line($"for (int i = 0; i < {O}; i++) if (y[i] > max) max = y[i];");
                        w.Line("int sum = 0;                                                  // ≤ O·32767 < 2^31");
                        w.Line($"for (int i = 0; i < {O}; i++) sum += Exp(y[i] - max);");
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = Exp(y[i] - max) / (float)sum;");
                        break;
                    case HeadActivation.Sigmoid:
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = Sigmoid(y[i]) * (1f / 32768);");
                        break;
                    case HeadActivation.Tanh:
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = Tanh(y[i]) * (1f / 32768);");
                        break;
                    case HeadActivation.Relu:
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = (y[i] > 0 ? y[i] : 0) * (1f / 4096);    // relu on Q.12");
                        break;
                    default:
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = y[i] * (1f / 4096);            // Q.12");
                        break;
                }
            }
            else
            {
                switch (m.Head?.Activation ?? HeadActivation.None)
                {
                    case HeadActivation.Softmax:
                        w.Line("// softmax: exp(y − max y) / Σ exp(y − max y)");
                        w.Line("float max = y[0];");
                        w.Line($"for (int i = 1; i < {O}; i++) if (y[i] > max) max = y[i];");
                        w.Line("float sum = 0f;");
                        w.Line($"for (int i = 0; i < {O}; i++) {{ float e = Exp(y[i] - max); output[i] = e; sum += e; }}");
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = output[i] / sum;");
                        break;
                    case HeadActivation.Sigmoid:
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = Sigmoid(y[i]);");
                        break;
                    case HeadActivation.Tanh:
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = Tanh(y[i]);");
                        break;
                    case HeadActivation.Relu:
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = y[i] > 0f ? y[i] : 0f;");
                        break;
                    default:
                        w.Line($"for (int i = 0; i < {O}; i++) output[i] = y[i];");
                        break;
                }
            }
            if (m.OutputScaling is { } s)
            {
                w.Line("// output = y · scale + offset");
                for (int i = 0; i < o; i++) w.Line($"output[{I(i)}] = output[{I(i)}] * {F(s.Scale[i])} + {F(s.Offset[i])};");
                c.Il += 20L * o;
                c.Ops += 10L * o;
            }
        }
        c.Il += 90;
        c.Ops += 60L * o;
        c.Methods++;
        w.Line();
    }

    // ------------------------------------------------------------------------------------------------ matrix passes

    private static bool UseHelpers(Ctx c) => c.Placement != NanoWeightPlacement.Inline;

    private static int PassIndex(Ctx c, Pass p) => c.Passes.IndexOf(p);

    /// <summary>Writes the statement(s) computing one pass inside a layer or Forward (locals x/h/r/rh, px/ph/gx/gh/y in scope).</summary>
    private static void EmitPass(Ctx c, IndentedWriter w, Pass p)
    {
        var m = p.M;
        string dst = p.Dst;
        long macs = (long)p.Rows * m.Cols;
        if (c.Placement == NanoWeightPlacement.Inline)
        {
            p.Method = $"{m.Name}_{I(p.Row0)}";
            foreach (var name in InlineChunks(c, p).Select(ch => ch.Name)) w.Line($"{name}({p.Src}, {dst});");
            c.Il += 8L * InlineChunks(c, p).Count;
            return;
        }
        string wOff = I((long)p.Row0 * m.Cols);
        string tableOff = I(p.Row0);
        if (c.Placement == NanoWeightPlacement.Arrays)
        {
            string args = c.Kind switch
            {
                Kind.Int8 => $"{m.Name}, {wOff}, {I(m.Cols)}, {p.Table}, {tableOff}, {p.Src}, {dst}, {I(p.DstOff)}, {I(p.Rows)}",
                Kind.Int8Weights => $"{m.Name}, {wOff}, {I(m.Cols)}, S{m.Name}, {I(p.Row0)}, {p.Table}, {tableOff}, {p.Src}, {dst}, {I(p.DstOff)}, {I(p.Rows)}",
                _ => $"{m.Name}, {wOff}, {I(m.Cols)}, {p.Table}, {tableOff}, {p.Src}, {dst}, {I(p.DstOff)}, {I(p.Rows)}",
            };
            w.Line($"MatVec({args});");
            c.Ops += 18 * macs + 25L * p.Rows;
        }
        else
        {
            long byteOff = m.ResourceOffset + (long)p.Row0 * m.Cols * m.ElementBytes;
            string args = c.Kind switch
            {
                Kind.Int8Weights => $"{I(byteOff)}, {I(m.Cols)}, S{m.Name}, {I(p.Row0)}, {p.Table}, {tableOff}, {p.Src}, {dst}, {I(p.DstOff)}, {I(p.Rows)}",
                _ => $"{I(byteOff)}, {I(m.Cols)}, {p.Table}, {tableOff}, {p.Src}, {dst}, {I(p.DstOff)}, {I(p.Rows)}",
            };
            w.Line($"MatVecResource({args});");
            c.Ops += (m.F is null ? 20 : 26) * macs + 30L * p.Rows + 40L * Reads(m, p.Rows);
        }
        c.Il += 30;
    }

    private static long Reads(Mat m, int rows)
    {
        long rowBytes = (long)m.Cols * m.ElementBytes;
        long perRead = Math.Max(1, ResourceReadBytes / rowBytes);
        return (rows + perRead - 1) / perRead;
    }

    private sealed class Chunk
    {
        public string Name = "";
        public int First, Count; // rows of the pass
    }

    private static List<Chunk> InlineChunks(Ctx c, Pass p)
    {
        var chunks = new List<Chunk>();
        var m = p.M;
        int first = 0, terms = 0;
        for (int r = 0; r < p.Rows; r++)
        {
            terms += Math.Max(1, NonZero(m, p.Row0 + r));
            if (terms >= InlineTermsPerMethod || r == p.Rows - 1)
            {
                chunks.Add(new Chunk { Name = $"{p.Method}_{I(chunks.Count)}", First = first, Count = r - first + 1 });
                first = r + 1;
                terms = 0;
            }
        }
        return chunks;
    }

    private static int NonZero(Mat m, int row)
    {
        int n = 0;
        for (int i = 0; i < m.Cols; i++)
            if (m.F is not null ? m.F[row * m.Cols + i] != 0 : m.Q![row * m.Cols + i] != 0) n++;
        return n;
    }

    private static void WriteInline(Ctx c, IndentedWriter w)
    {
        if (c.Placement != NanoWeightPlacement.Inline) return;
        foreach (var p in c.Passes)
        {
            var m = p.M;
            foreach (var ch in InlineChunks(c, p))
            {
                int last = p.Row0 + ch.First + ch.Count - 1;
                w.Line($"/// <summary>{m.Name} rows {p.Row0 + ch.First}…{last}: {p.Dst}[{p.DstOff + ch.First}…{p.DstOff + ch.First + ch.Count - 1}] = " +
                       (c.IsInt ? "requant(row·v) + b" : c.Kind == Kind.Int8Weights ? "b + scale·(row·v)" : "b + row·v") + ".</summary>");
                using (w.Block($"private static void {ch.Name}({c.T}[] v, {c.T}[] d)"))
                {
                    w.Line($"{c.T} a;");
                    for (int rr = ch.First; rr < ch.First + ch.Count; rr++)
                    {
                        int row = p.Row0 + rr;
                        var terms = new List<string>();
                        for (int i = 0; i < m.Cols; i++)
                        {
                            string? term = Term(c, m, row, i);
                            if (term is not null) terms.Add(term);
                        }
                        if (terms.Count == 0) w.Line(c.IsInt ? "a = 0;" : "a = 0f;");
                        for (int s = 0; s < terms.Count; s += TermsPerStatement)
                        {
                            var part = terms.Skip(s).Take(TermsPerStatement).ToList();
                            string expr = string.Concat(part.Select((t, j) => j == 0 ? (t.StartsWith("-", StringComparison.Ordinal) ? "-" + t.Substring(1) : t) : (t.StartsWith("-", StringComparison.Ordinal) ? " - " + t.Substring(1) : " + " + t)));
                            w.Line(s == 0 ? $"a = {expr};" : $"a += {expr};");
                            c.Il += 3;
                        }
                        string dst = $"d[{I(p.DstOff + rr)}]";
                        if (c.IsInt)
                        {
                            var q = p.Rq[rr];
                            w.Line($"{dst} = Requantize(a, {I(q.PreShift)}, {I(q.Multiplier)}, {I(q.Shift)}) + {I(p.IntBias[rr])};");
                            c.Il += 22;
                            c.Ops += 40;
                        }
                        else if (c.Kind == Kind.Int8Weights)
                        {
                            w.Line($"{dst} = {F(p.FloatBias[rr])} + {F(m.Scales![row])} * a;");
                            c.Il += 18;
                            c.Ops += 8;
                        }
                        else
                        {
                            w.Line($"{dst} = {F(p.FloatBias[rr])} + a;");
                            c.Il += 13;
                            c.Ops += 6;
                        }
                        foreach (var t in terms)
                        {
                            // ldarg v, ldc.i4 index, ldelem, ldc weight, mul, add/sub
                            int index = IndexOf(t);
                            c.Il += (index <= 8 ? 1 : index <= 127 ? 2 : 5) + 4 + (c.IsInt ? WeightIl(t) : 5);
                            c.Ops += 6;
                        }
                    }
                }
                c.Il += 4;
                c.Methods++;
                w.Line();
            }
        }
    }

    private static int IndexOf(string term)
    {
        int a = term.LastIndexOf('[') + 1, b = term.LastIndexOf(']');
        return int.Parse(term.Substring(a, b - a), CultureInfo.InvariantCulture);
    }

    private static int WeightIl(string term)
    {
        int star = term.IndexOf('*');
        if (star < 0) return 0;
        int q = int.Parse(term.Substring(0, star).Trim(), CultureInfo.InvariantCulture);
        return q >= -1 && q <= 8 ? 1 : 2;
    }

    /// <summary>One unrolled term of row·v, or null for a zero weight.</summary>
    private static string? Term(Ctx c, Mat m, int row, int i)
    {
        int at = row * m.Cols + i;
        string v = $"v[{I(i)}]";
        if (m.F is not null)
        {
            float x = m.F[at];
            return x == 0 ? null : $"{F(x)} * {v}";
        }
        int q = m.Q![at];
        if (q == 0) return null;
        if (c.IsInt) return q == 1 ? v : q == -1 ? "-" + v : $"{I(q)} * {v}";
        return $"{I(q)}f * {v}";
    }

    private static void WritePassHelpers(Ctx c, IndentedWriter w)
    {
        if (!UseHelpers(c)) return;
        bool resource = c.Placement == NanoWeightPlacement.Resource;
        if (!resource)
        {
            switch (c.Kind)
            {
                case Kind.Int8:
                    w.Line("/// <summary>d[dOff + r] = requant(W[r]·v) + b[r] for r &lt; rows; q holds preShift, multiplier, shift and bias per row.</summary>");
                    using (w.Block("private static void MatVec(sbyte[] w, int wOff, int cols, int[] q, int qOff, int[] v, int[] d, int dOff, int rows)"))
                    {
                        using (w.Block("for (int r = 0; r < rows; r++)"))
                        {
                            w.Line("int acc = 0;                                      // |acc| ≤ cols·127·32767 ≤ 512·127·32767 = 2,130,641,408 < 2^31");
                            w.Line("for (int i = 0; i < cols; i++) acc += w[wOff + i] * v[i];");
                            w.Line("int k = 4 * (qOff + r);");
                            w.Line("d[dOff + r] = Requantize(acc, q[k], q[k + 1], q[k + 2]) + q[k + 3];");
                            w.Line("wOff += cols;");
                        }
                    }
                    break;
                case Kind.Int8Weights:
                    w.Line("/// <summary>d[dOff + r] = b[bOff + r] + s[sOff + r]·(W[r]·v) for r &lt; rows (int8 weights, float arithmetic).</summary>");
                    using (w.Block("private static void MatVec(sbyte[] w, int wOff, int cols, float[] s, int sOff, float[] b, int bOff, float[] v, float[] d, int dOff, int rows)"))
                    {
                        using (w.Block("for (int r = 0; r < rows; r++)"))
                        {
                            w.Line("float acc = 0f;");
                            w.Line("for (int i = 0; i < cols; i++) acc += w[wOff + i] * v[i];");
                            w.Line("d[dOff + r] = b[bOff + r] + s[sOff + r] * acc;");
                            w.Line("wOff += cols;");
                        }
                    }
                    break;
                default:
                    w.Line("/// <summary>d[dOff + r] = b[bOff + r] + W[r]·v for r &lt; rows.</summary>");
                    using (w.Block("private static void MatVec(float[] w, int wOff, int cols, float[] b, int bOff, float[] v, float[] d, int dOff, int rows)"))
                    {
                        using (w.Block("for (int r = 0; r < rows; r++)"))
                        {
                            w.Line("float acc = 0f;");
                            w.Line("for (int i = 0; i < cols; i++) acc += w[wOff + i] * v[i];");
                            w.Line("d[dOff + r] = b[bOff + r] + acc;");
                            w.Line("wOff += cols;");
                        }
                    }
                    break;
            }
            c.Il += 75;
        }
        else
        {
            int elem = c.Kind == Kind.Float ? 4 : 1;
            string sig = c.Kind switch
            {
                Kind.Int8 => "int byteOff, int cols, int[] q, int qOff, int[] v, int[] d, int dOff, int rows",
                Kind.Int8Weights => "int byteOff, int cols, float[] s, int sOff, float[] b, int bOff, float[] v, float[] d, int dOff, int rows",
                _ => "int byteOff, int cols, float[] b, int bOff, float[] v, float[] d, int dOff, int rows",
            };
            w.Line($"/// <summary>Like a matrix-vector product over the weight resource: reads whole rows, at most {ResourceReadBytes} bytes (at least one row) per ResourceUtility.GetObject call.</summary>");
            using (w.Block($"private void MatVecResource({sig})"))
            {
                w.Line($"int rowBytes = {(elem == 4 ? "4 * cols" : "cols")};");
                w.Line($"int perRead = {I(ResourceReadBytes)} / rowBytes;");
                w.Line("if (perRead < 1) perRead = 1;");
                w.Line("byte[] s8 = null;");
                w.Line("int at = 0;");
                using (w.Block("for (int r = 0; r < rows; r++)"))
                {
                    using (w.Block("if (r % perRead == 0)"))
                    {
                        w.Line("int n = rows - r;");
                        w.Line("if (n > perRead) n = perRead;");
                        w.Line("s8 = (byte[])nanoFramework.Runtime.Native.ResourceUtility.GetObject(_resources, _weightsId, byteOff + r * rowBytes, n * rowBytes);");
                        w.Line("at = 0;");
                    }
                    switch (c.Kind)
                    {
                        case Kind.Int8:
                            w.Line("int acc = 0;                                      // |acc| ≤ cols·127·32767 ≤ 512·127·32767 = 2,130,641,408 < 2^31");
                            w.Line("for (int i = 0; i < cols; i++) acc += (sbyte)s8[at + i] * v[i];");
                            w.Line("at += cols;");
                            w.Line("int k = 4 * (qOff + r);");
                            w.Line("d[dOff + r] = Requantize(acc, q[k], q[k + 1], q[k + 2]) + q[k + 3];");
                            break;
                        case Kind.Int8Weights:
                            w.Line("float acc = 0f;");
                            w.Line("for (int i = 0; i < cols; i++) acc += (sbyte)s8[at + i] * v[i];");
                            w.Line("at += cols;");
                            w.Line("d[dOff + r] = b[bOff + r] + s[sOff + r] * acc;");
                            break;
                        default:
                            w.Line("float acc = 0f;");
                            w.Line("for (int i = 0; i < cols; i++) { acc += System.BitConverter.ToSingle(s8, at) * v[i]; at += 4; }");
                            w.Line("d[dOff + r] = b[bOff + r] + acc;");
                            break;
                    }
                }
            }
            c.Il += 150;
        }
        c.Methods++;
        w.Line();
    }

    // ------------------------------------------------------------------------------------------------ arithmetic

    /// <summary>The stated bound of the managed float approximation (tanh and σ), checked by the tests on a dense grid.</summary>
    public const double ManagedMaxError = 3e-7;

    private static string ManagedErrorText => ManagedMaxError.ToString("0e0", CultureInfo.InvariantCulture);

    /// <summary>The name of the float gate function: Sigmoid, or HardSigmoid for the hard-sigmoid gates.</summary>
    private static string GateFunction(GruModel m) => m.GateActivation == GateActivation.Sigmoid ? "Sigmoid" : "HardSigmoid";

    /// <summary>The hard sigmoid of a float model's gates, as the reference engine computes it (no System.Math).</summary>
    private static void WriteHardSigmoid(Ctx c, IndentedWriter w)
    {
        var m = c.Model;
        if (m.GateActivation == GateActivation.HardSigmoidKeras2)
        {
            w.Line("/// <summary>Hard sigmoid (Keras 2 / TF.js): clip(0.2·x + 0.5, 0, 1).</summary>");
            w.Line("private static float HardSigmoid(float x) { float g = 0.2f * x + 0.5f; return g < 0f ? 0f : g > 1f ? 1f : g; }");
        }
        else
        {
            w.Line("/// <summary>Hard sigmoid (Keras 3): clip(x/6 + 0.5, 0, 1) = relu6(x + 3) / 6.</summary>");
            w.Line("private static float HardSigmoid(float x) { float g = x + 3f; return g < 0f ? 0f : g > 6f ? 1f : g / 6f; }");
        }
        w.Line();
        c.Il += 30;
        c.Methods++;
    }

    private static void WriteArithmetic(Ctx c, IndentedWriter w)
    {
        var m = c.Model;
        if (!c.IsInt && m.GateActivation != GateActivation.Sigmoid) WriteHardSigmoid(c, w);
        if (c.IsInt)
        {
            w.Line("/// <summary>acc (int32) → Q.12: t = clamp(acc &gt;&gt; pre, ±524287); (t · m + 2^(s−1)) &gt;&gt; s. |t · m| ≤ 524287 · 4095 &lt; 2^31 − 2^12.</summary>");
            using (w.Block("private static int Requantize(int acc, int pre, int m, int s)"))
            {
                w.Line("int t = acc >> pre;");
                w.Line("if (t > 524287) t = 524287; else if (t < -524287) t = -524287;");
                w.Line("return (t * m + (1 << (s - 1))) >> s;");
            }
            w.Line();
            w.Line("/// <summary>tanh of a Q.12 value as Q0.15: the 513-entry table over [0, 8], linear interpolation, odd symmetry, 32767 beyond 8.</summary>");
            using (w.Block("private static int Tanh(int x)"))
            {
                w.Line("int a = x < 0 ? -x : x;");
                w.Line("int y;");
                w.Line("if (a >= 32768) y = 32767;");
                using (w.Block("else"))
                {
                    w.Line("int i = a >> 6, f = a & 63;");
                    w.Line("int t0 = TanhTable[i];");
                    w.Line("y = t0 + (((TanhTable[i + 1] - t0) * f + 32) >> 6);");
                }
                w.Line("return x < 0 ? -y : y;");
            }
            w.Line();
            w.Line("/// <summary>σ of a Q.12 value as Q0.15: (tanh(x/2) + 1) / 2.</summary>");
            w.Line("private static int Sigmoid(int x) { return (Tanh(x >> 1) + 32768) >> 1; }");
            w.Line();
            if (m.GateActivation != GateActivation.Sigmoid)
            {
                int slope = c.Fp!.GateSlope, hl = FixedPoint.HardSigmoidInputLimit;
                w.Line($"/// <summary>The {(m.GateActivation == GateActivation.HardSigmoidKeras2 ? "Keras 2 hard sigmoid clip(0.2x + 0.5, 0, 1)" : "Keras 3 hard sigmoid clip(x/6 + 0.5, 0, 1)")} of a Q.12 value as Q0.15: " +
                       $"clamp(16384 + ((clamp(x, ±{I(hl)}) · {I(slope)} + 2^14) &gt;&gt; 15), 0, 32767).</summary>");
                using (w.Block("private static int HardSigmoid(int x)"))
                {
                    w.Line($"int p = x > {I(hl)} ? {I(hl)} : x < -{I(hl)} ? -{I(hl)} : x;");
                    w.Line($"int y = 16384 + ((p * {I(slope)} + 16384) >> 15);");
                    w.Line("return y > 32767 ? 32767 : y < 0 ? 0 : y;");
                }
                w.Line();
                c.Il += 40;
                c.Methods++;
            }
            c.Il += 24 + 60 + 16;
            c.Methods += 3;
            if (m.Head?.Activation == HeadActivation.Softmax)
            {
                w.Line("/// <summary>exp of a Q.12 value x ≤ 0 as Q0.15: table over [−8, 0], 0 below −8.</summary>");
                using (w.Block("private static int Exp(int x)"))
                {
                    w.Line("int a = -x;");
                    w.Line("if (a >= 32768) return 0;");
                    w.Line("int i = a >> 6, f = a & 63;");
                    w.Line("int t0 = ExpTable[i];");
                    w.Line("return t0 + (((ExpTable[i + 1] - t0) * f + 32) >> 6);");
                }
                w.Line();
                c.Il += 45;
                c.Methods++;
            }
            w.Line("/// <summary>int8 input: round half away from zero, add the zero point, saturate to [−128, 127]; NaN → −128.</summary>");
            using (w.Block("private static int QuantizeInput(float u, int zeroPoint)"))
            {
                w.Line("if (!(u > -255f)) u = -255f;");
                w.Line("if (u > 255f) u = 255f;");
                w.Line("int q = u >= 0f ? (int)(u + 0.5f) : -(int)(0.5f - u);");
                w.Line("q += zeroPoint;");
                w.Line("return q > 127 ? 127 : q < -128 ? -128 : q;");
            }
            w.Line();
            c.Il += 70 + 200;
            c.Methods++;
            return;
        }

        bool softmax = m.Head?.Activation == HeadActivation.Softmax;
        if (c.Activations == NanoActivations.MathTanh)
        {
            w.Line("/// <summary>σ(x) = 0.5·tanh(x/2) + 0.5: one Math.Tanh(double) call.</summary>");
            w.Line("private static float Sigmoid(float x) { return 0.5f * (float)System.Math.Tanh(0.5 * x) + 0.5f; }");
            w.Line();
            // nanoFramework.System.Math declares double overloads only (float ones were [Obsolete(error)], then removed):
            // the argument is widened explicitly so the call binds to Tanh(double) against every package version.
            w.Line("/// <summary>tanh(x): one Math.Tanh(double) call.</summary>");
            w.Line("private static float Tanh(float x) { return (float)System.Math.Tanh((double)x); }");
            w.Line();
            c.Il += 40;
            c.Methods += 2;
            if (softmax)
            {
                w.Line("/// <summary>exp(x) for the softmax: one Math.Exp(double) call.</summary>");
                w.Line("private static float Exp(float x) { return (float)System.Math.Exp((double)x); }");
                w.Line();
                c.Il += 12;
                c.Methods++;
            }
            return;
        }

        w.Line("/// <summary>σ(x) = 0.5·tanh(x/2) + 0.5 with the managed tanh below (no System.Math).</summary>");
        w.Line("private static float Sigmoid(float x) { return 0.5f * Tanh(0.5f * x) + 0.5f; }");
        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// Managed float tanh, no System.Math: tanh|x| = 1 − 2 / (e^(2|x|) + 1) with the managed exp below; 1 beyond |x| = 9 (1 − tanh 9 &lt; 3e-8).");
        w.Line($"/// Max absolute error {ManagedErrorText} (tanh and σ; TinyGru's tests check it on a dense grid).");
        w.Line("/// </summary>");
        using (w.Block("private static float Tanh(float x)"))
        {
            w.Line("float a = x < 0f ? -x : x;");
            w.Line("if (!(a < 9f)) return a >= 9f ? (x < 0f ? -1f : 1f) : x; // NaN stays NaN");
            w.Line("float t = 1f - 2f / (ExpPositive(2f * a) + 1f);");
            w.Line("return x < 0f ? -t : t;");
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// e^y for 0 ≤ y ≤ 88, managed: y = k·ln 2 + f with |f| ≤ ln 2 / 2 (ln 2 split in two parts), e^f by its degree-7 Taylor polynomial");
        w.Line("/// (relative error &lt; 2e-8 before rounding), times 2^k built from exact powers of two.");
        w.Line("/// </summary>");
        using (w.Block("private static float ExpPositive(float y)"))
        {
            w.Line("int k = (int)(y * 1.44269504f + 0.5f);");
            w.Line("float f = (y - k * 0.693359375f) + k * 2.12194440e-4f;");
            w.Line("float e = 1f + f * (1f + f * (0.5f + f * (0.166666667f + f * (0.0416666667f + f * (0.00833333333f + f * (0.00138888889f + f * 0.000198412698f))))));");
            w.Line("if ((k & 64) != 0) e *= 18446744073709551616f;");
            w.Line("if ((k & 32) != 0) e *= 4294967296f;");
            w.Line("if ((k & 16) != 0) e *= 65536f;");
            w.Line("if ((k & 8) != 0) e *= 256f;");
            w.Line("if ((k & 4) != 0) e *= 16f;");
            w.Line("if ((k & 2) != 0) e *= 4f;");
            w.Line("if ((k & 1) != 0) e *= 2f;");
            w.Line("return e;");
        }
        w.Line();
        c.Il += 25 + 50 + 190 + 120;
        c.Methods += 3;
        if (softmax)
        {
            w.Line("/// <summary>e^x for x ≤ 0 (the softmax's x − max): 1 / e^−x, 0 below −87.</summary>");
            w.Line("private static float Exp(float x) { return x < -87f ? 0f : 1f / ExpPositive(-x); }");
            w.Line();
            c.Il += 25;
            c.Methods++;
        }
    }

    // ------------------------------------------------------------------------------------------------ static data

    private static void WriteStaticData(Ctx c, IndentedWriter w)
    {
        var m = c.Model;
        void Array<T>(string type, string name, IReadOnlyList<T> values, Func<T, string> format, int perLine, int elementBytes, string doc)
        {
            w.Line($"// {doc}");
            w.Line($"private static readonly {type}[] {name} =");
            w.Line("{");
            w.Indent();
            foreach (var row in CSharpLiterals.Rows(values, perLine))
                w.Line(string.Join(", ", row.Select(format)) + ",");
            w.Outdent();
            w.Line("};");
            c.Initializer += (long)values.Count * elementBytes;
            c.StaticArrays++;
            c.Il += 20;
        }

        if (c.IsInt)
        {
            Array("short", "TanhTable", FixedPointTables.Tanh, v => I(v), 16, 2, "tanh(i/64)·32768 for i = 0 … 512 (FixedPointTables.Tanh)");
            if (m.Head?.Activation == HeadActivation.Softmax)
                Array("short", "ExpTable", FixedPointTables.Exp, v => I(v), 16, 2, "exp(−i/64)·32768 for i = 0 … 512, entry 0 capped at 32767 (FixedPointTables.Exp)");
        }
        if (UseHelpers(c))
        {
            var tables = new HashSet<string>();
            foreach (var p in c.Passes)
            {
                if (!tables.Add(p.Table)) continue;
                var all = c.Passes.Where(x => x.Table == p.Table).OrderBy(x => x.Row0).ToList();
                if (c.IsInt)
                {
                    var packed = new List<int>();
                    foreach (var x in all)
                        for (int r = 0; r < x.Rows; r++) { var q = x.Rq[r]; packed.Add(q.PreShift); packed.Add(q.Multiplier); packed.Add(q.Shift); packed.Add(x.IntBias[r]); }
                    Array("int", p.Table, packed, v => I(v), 16, 4, $"{p.M.Name} per row: preShift, multiplier, shift, bias (Q.12)");
                }
                else
                    Array("float", p.Table, all.SelectMany(x => x.FloatBias).ToList(), F, 8, 4, $"{p.M.Name} bias per row");
            }
            if (c.Kind == Kind.Int8Weights)
                foreach (var mat in c.Mats)
                    Array("float", "S" + mat.Name, mat.Scales!, F, 8, 4, $"{mat.Name} scale per row (weight = q · scale)");
            if (c.Placement == NanoWeightPlacement.Arrays)
                foreach (var mat in c.Mats)
                {
                    // GRU matrices (W{k}, U{k}) are in gate blocks; dense layers (D{d}, Wy) plain; the embedding by token id.
                    string layout = mat == c.Embedding ? ", one row per token id"
                        : mat.Name != "Wy" && (mat.Name[0] == 'W' || mat.Name[0] == 'U') ? ", gate blocks r, z, n" : "";
                    if (mat.F is not null) Array("float", mat.Name, mat.F, F, 8, 4, $"{mat.Name} [{mat.Rows}, {mat.Cols}] row-major{layout}");
                    else Array("sbyte", mat.Name, mat.Q!, v => I(v), 24, 1, $"{mat.Name} [{mat.Rows}, {mat.Cols}] int8 row-major{layout}");
                }
        }
        else if (c.Embedding is { } e)
        {
            // Inline placement: the embedding is looked up, not multiplied, so it stays a table (and its row scales).
            if (e.F is not null) Array("float", e.Name, e.F, F, 8, 4, $"{e.Name} [{e.Rows}, {e.Cols}] row-major, one row per token id");
            else
            {
                Array("sbyte", e.Name, e.Q!, v => I(v), 24, 1, $"{e.Name} [{e.Rows}, {e.Cols}] int8 row-major, one row per token id");
                if (e.Scales is not null) Array("float", "S" + e.Name, e.Scales, F, 8, 4, $"{e.Name} scale per row (value = q · scale)");
            }
        }
        if (c.StaticArrays > 0)
        {
            c.Methods++; // the static constructor
            c.Il += 8;
        }
    }
}

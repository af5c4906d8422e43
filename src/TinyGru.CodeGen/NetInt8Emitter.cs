using System.Globalization;
using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.CodeGen;

/// <summary>
/// Emits the integer-only code of a <see cref="ModelPrecision.Int8"/> model: the operations of
/// <see cref="FixedPoint"/> on the numbers of <see cref="FixedPointGruModel"/>, so that the generated Step produces the
/// bits <c>Int8ReferenceEngine</c> produces. Weights are int8 in the <see cref="Int8Matrix"/> layout; the matrix
/// passes have a scalar form and 128/256/512-bit forms (sign-extend to int16, multiply-add adjacent pairs into int32;
/// 128-bit on x86 and ARM64);
/// requantization, the table activations and the state update are scalar integer code shared by every path.
/// </summary>
internal static class NetInt8Emitter
{
    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";
    private const string MemoryMarshal = "global::System.Runtime.InteropServices.MemoryMarshal";
    private const string X86 = "global::System.Runtime.Intrinsics.X86";
    private const string Intrinsics = "global::System.Runtime.Intrinsics";
    private const string Span = "global::System.Span<float>";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";
    private const string Inline = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]";

    /// <summary>
    /// Path suffixes, widest first, and the condition the dispatcher tests. The widths ask
    /// <c>VectorN.IsHardwareAccelerated</c> first, like the float dispatcher, so that the same runtime switches
    /// (<c>DOTNET_PreferredVectorBitWidth</c>, <c>DOTNET_EnableHWIntrinsic</c>, docs/arm64.md) move both; the 512- and
    /// 256-bit kernels are x86-only (vpmovsxbw/vpmaddwd), the 128-bit one runs on SSE2 and on ARM64 AdvSimd.
    /// </summary>
    internal static readonly (string Suffix, string Condition)[] Paths =
    {
        ("512", Intrinsics + ".Vector512.IsHardwareAccelerated && " + X86 + ".Avx512BW.IsSupported"),
        ("256", Intrinsics + ".Vector256.IsHardwareAccelerated && " + X86 + ".Avx2.IsSupported"),
        ("128", Intrinsics + ".Vector128.IsHardwareAccelerated"),
        ("Scalar", ""),
    };

    /// <summary>Largest number of embedded int8 weight bytes (padding included): the float target's 2^20 floats in bytes.</summary>
    public const long MaxEmbeddedBytes = 4 * NetModelEmitter.MaxEmbeddedFloats;

    private static string I(long v) => CSharpLiterals.Int(v);

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private sealed class Layer
    {
        public FixedPointLayer Fp { get; set; } = null!;
        public Int8Matrix W { get; set; } = null!;
        /// <summary>Reset-after: all 3H rows of U. Reset-before: the r and z rows.</summary>
        public Int8Matrix U { get; set; } = null!;
        /// <summary>Reset-before only: U_n.</summary>
        public Int8Matrix? Un { get; set; }
        public int H => Fp.HiddenSize;
        public int StateLength => (H + 1) / 2 * 2;
    }

    public static string Emit(GruModel model, NetEmitOptions options)
    {
        NetSeriesTransformEmitter.Check(model, options.SourceName);
        var fp = FixedPointGruModel.Create(model);
        bool after = model.Convention == GateConvention.ResetAfter;
        var layers = fp.Layers.Select(l => new Layer
        {
            Fp = l,
            W = Int8Matrix.Pack(l.InputWeights, l.InputSize, 0, 3 * l.HiddenSize),
            U = Int8Matrix.Pack(l.RecurrentWeights, l.HiddenSize, 0, (after ? 3 : 2) * l.HiddenSize),
            Un = after ? null : Int8Matrix.Pack(l.RecurrentWeights, l.HiddenSize, 2 * l.HiddenSize, l.HiddenSize),
        }).ToList();
        var head = fp.HeadWeights is { } hw ? Int8Matrix.Pack(hw, model.Head!.InputSize, 0, model.OutputSize) : null;
        long weightBytes = Footprint(fp, layers, head).Weights;
        if (weightBytes > MaxEmbeddedBytes)
            throw new ModelFormatException(options.SourceName, null,
                $"the model needs {weightBytes} bytes of int8 weights; the .NET target embeds at most {MaxEmbeddedBytes}");

        var w = new IndentedWriter();
        var enclosing = NetModelEmitter.OpenFile(w, options);

        EmitTypeDoc(w, fp, layers, head, options);
        string access = options.Accessibility is null ? "" : options.Accessibility + " ";
        using (w.Block($"{access}partial {options.TypeKeyword} {options.TypeName} : global::TinyGru.IGruModel"))
        {
            NetModelEmitter.EmitConstants(w, model, options, "Q0.15 values");
            EmitState(w, layers);
            NetSeriesTransformEmitter.EmitFields(w, model);
            EmitPublicApi(w, model, layers);
            NetSeriesTransformEmitter.EmitSeparateStateApi(w, model);
            NetSeriesTransformEmitter.EmitMethods(w, model);
            foreach (var (suffix, _) in Paths) EmitPath(w, fp, layers, head, suffix, options);
            bool vectorGates = options.AllowUnsafe && model.Convention == GateConvention.ResetAfter;
            EmitLayerGates(w, fp, layers, vectorGates);
            EmitDenseLayers(w, fp);
            if (vectorGates) EmitVectorArithmetic(w, fp, GateLanes.Avx2);
            if (model.Convention == GateConvention.ResetAfter) EmitVectorArithmetic(w, fp, GateLanes.Portable128);
            EmitOutput(w, fp);
            EmitArithmetic(w, fp);
            EmitData(w, fp, layers, head);
        }
        NetModelEmitter.CloseFile(enclosing);
        return w.ToString();
    }

    /// <summary>Flash: weight, requantization, bias, input and output constants and the two tables; RAM: state and per-step scratch.</summary>
    private static (long Weights, long Constants, long Tables, long State, long Scratch) Footprint(FixedPointGruModel fp, List<Layer> layers, Int8Matrix? head)
    {
        var m = fp.Model;
        long weights = layers.Sum(l => (long)l.W.Data.Length + l.U.Data.Length + (l.Un?.Data.Length ?? 0)) + (head?.Data.Length ?? 0)
                       + fp.Dense.Sum(d => (long)d.Weights.Length) + (fp.EmbeddingTable?.LongLength ?? 0);
        long constants = layers.Sum(l => 4L * (4 * 3 * l.H + 4 * 3 * l.H + 3 * l.H + (l.Un is null ? l.H : 0)))
                         + (head is null ? 0 : 4L * 5 * m.OutputSize) + (m.IsTokenInput ? 0 : 4L * 2 * m.InputSize) + (m.OutputScaling is null ? 0 : 4L * 2 * m.OutputSize)
                         + fp.Dense.Sum(d => 4L * 5 * d.OutputSize);
        long tables = 2L * (FixedPointTables.Tanh.Length + FixedPointTables.Exp.Length);
        long state = layers.Sum(l => 2L * l.StateLength);
        long scratch = 2L * ((m.InputSize + 1) / 2 * 2) + 4L * layers.Max(l => l.W.PaddedRows) + 4L * layers.Max(l => l.U.PaddedRows)
                       + (layers[0].Un is null ? 0 : 4L * layers.Max(l => l.Un!.PaddedRows) + 2L * layers.Max(l => l.StateLength))
                       + 4L * Math.Max(m.OutputSize, head?.PaddedRows ?? 0) + fp.Dense.Sum(d => 2L * ((d.OutputSize + 1) / 2 * 2));
        return (weights, constants, tables, state, scratch);
    }

    private static void EmitTypeDoc(IndentedWriter w, FixedPointGruModel fp, List<Layer> layers, Int8Matrix? head, NetEmitOptions options)
    {
        var m = fp.Model;
        var f = Footprint(fp, layers, head);
        string conv = m.Convention == GateConvention.ResetAfter
            ? "reset-after: n = tanh(Wn·x + b_in + r ⊙ (Un·h + b_hn)) (PyTorch nn.GRU, ONNX linear_before_reset=1)"
            : "reset-before: n = tanh(Wn·x + b_in + Un·(r ⊙ h) + b_hn) (ONNX linear_before_reset=0, Keras reset_after=False)";
        w.Line("/// <summary>");
        w.Line($"/// GRU model generated by TinyGru from <c>{CSharpLiterals.XmlText(options.SourceName)}</c> (sha256 <c>{options.SourceHash}</c>)" +
               (m.Metadata.Name is null ? "." : $", model \"{CSharpLiterals.XmlText(m.Metadata.Name)}\"."));
        string input = m.Embedding is { } emb ? $"Token id 0 … {emb.VocabularySize - 1} → embedding [{emb.VocabularySize}, {emb.EmbeddingSize}]" : $"Input {m.InputSize}";
        w.Line($"/// {input} → GRU {string.Join(" → ", m.Layers.Select(l => l.HiddenSize))}" +
               string.Concat(m.DenseLayers.Select(d => $" → dense {d.OutputSize} ({TinyGruModelFile.ActivationName(d.Activation)})")) + $" → output {m.OutputSize}.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line($"/// <para>Precision int8 (integer-only, docs/quantization.md): int8 weights and inputs, Q0.15 state, int32 accumulators, table activations. " +
               "Bit for bit the outputs of TinyGru's Int8ReferenceEngine on every path.</para>");
        w.Line($"/// <para>Gates r, z, n; {CSharpLiterals.XmlText(conv)}; h' = n + z ⊙ (h − n); state starts at zero.</para>");
        if (m.GateActivation != GateActivation.Sigmoid)
            w.Line($"/// <para>r and z use the {(m.GateActivation == GateActivation.HardSigmoidKeras2 ? "Keras 2 / TF.js hard sigmoid clip(0.2x + 0.5, 0, 1)" : "Keras 3 hard sigmoid clip(x/6 + 0.5, 0, 1)")} in integers: " +
                   $"HardSigmoid(x) = clamp(16384 + ((clamp(x, ±16384) · {I(fp.GateSlope)} + 2^14) >> 15), 0, 32767).</para>");
        if (fp.Dense.Count > 0)
            w.Line($"/// <para>Head: {fp.Dense.Count + 1} dense layers. The hidden ones are scalar integer loops on every path (they are small): tanh/sigmoid layers output Q0.15, " +
                   "relu/none layers an int16 unit of their own scale (a bound from the weights, so nothing overflows).</para>");
        if (m.Embedding is { } te)
            w.Line($"/// <para>Token input: each step takes one id t in 0 … {te.VocabularySize - 1} (<c>Step(int, Span&lt;float&gt;)</c>, or the id as a whole float); " +
                   $"row t of the int8 embedding [{te.VocabularySize}, {te.EmbeddingSize}] (one scale, zero point 0) is layer 0's input. Other ids throw ArgumentOutOfRangeException.</para>");
        w.Line($"/// <para>Flash {N(f.Weights + f.Constants + f.Tables)} bytes: {N(f.Weights)} bytes of int8 weights (with padding), {N(f.Constants)} bytes of requantization, bias, input and output constants, " +
               $"{N(f.Tables)} bytes of tanh/exp tables. RAM {N(f.State + f.Scratch)} bytes: state {N(f.State)} bytes ({m.StateSize} Q0.15 values), per-step stack scratch {N(f.Scratch)} bytes.</para>");
        if (m.SeriesTransform is not null)
            w.Line("/// <para>The series transform runs in float outside the integer core, as in Int8ReferenceEngine: its output feeds input quantization and the residual base is added to the float output.</para>");
        NetSeriesTransformEmitter.EmitDoc(w, m, inStateSize: false);
        w.Line("/// <para>Step allocates nothing and checks only the two span lengths. A default instance is in the zero state.</para>");
        w.Line("/// </remarks>");
    }

    private static void EmitState(IndentedWriter w, List<Layer> layers)
    {
        for (int k = 0; k < layers.Count; k++)
        {
            var l = layers[k];
            w.Line($"/// <summary>Hidden state of layer {k} in Q0.15: [{l.H}] padded to {l.StateLength} (padding stays 0).</summary>");
            w.Line($"[global::System.Runtime.CompilerServices.InlineArray({I(l.StateLength)})]");
            w.Line($"private struct Layer{k}State {{ private short _element0; }}");
            w.Line($"private Layer{k}State _h{k};");
        }
        w.Line();
    }

    private static void EmitPublicApi(IndentedWriter w, GruModel m, List<Layer> layers)
    {
        w.Line(m.SeriesTransform is null ? "/// <summary>Sets every hidden state to zero.</summary>" : "/// <summary>Sets every hidden state to zero and forgets the series transform's earlier inputs.</summary>");
        using (w.Block("public void Reset()"))
        {
            for (int k = 0; k < layers.Count; k++) w.Line($"_h{k} = default;");
            NetSeriesTransformEmitter.EmitReset(w, m);
        }
        w.Line();

        w.Line("/// <summary>Copies the hidden states of all layers in Q0.15 (32768 = 1.0), layer 0 first, into <paramref name=\"destination\"/> [StateSize].</summary>");
        using (w.Block("public void CopyStateTo(global::System.Span<short> destination)"))
        {
            w.Line("if (destination.Length != StateSize) throw new global::System.ArgumentException($\"expected a destination of length {StateSize}, got {destination.Length}\");");
            int at = 0;
            for (int k = 0; k < layers.Count; k++)
            {
                w.Line($"((global::System.ReadOnlySpan<short>)_h{k}).Slice(0, {I(layers[k].H)}).CopyTo(destination.Slice({I(at)}, {I(layers[k].H)}));");
                at += layers[k].H;
            }
        }
        w.Line();
        w.Line("/// <summary>Sets the hidden states of all layers from <paramref name=\"source\"/> [StateSize] in Q0.15, layer 0 first; values must be within ±32767.</summary>");
        using (w.Block("public void SetState(global::System.ReadOnlySpan<short> source)"))
        {
            w.Line("if (source.Length != StateSize) throw new global::System.ArgumentException($\"expected a source of length {StateSize}, got {source.Length}\");");
            w.Line("if (global::System.MemoryExtensions.IndexOf(source, (short)-32768) >= 0) throw new global::System.ArgumentOutOfRangeException(nameof(source), \"Q0.15 state values must be within ±32767\");");
            int at = 0;
            for (int k = 0; k < layers.Count; k++)
            {
                w.Line($"source.Slice({I(at)}, {I(layers[k].H)}).CopyTo(((global::System.Span<short>)_h{k}).Slice(0, {I(layers[k].H)}));");
                at += layers[k].H;
            }
        }
        w.Line();

        void Dispatch(string args)
        {
            for (int i = 0; i < Paths.Length; i++)
            {
                var (suffix, condition) = Paths[i];
                if (condition.Length == 0) w.Line((i == 0 ? "" : "else ") + $"Core{suffix}({args});");
                else w.Line((i == 0 ? "if" : "else if") + $" ({condition}) Core{suffix}({args});");
            }
        }

        if (m.Embedding is not null)
        {
            EmitTokenApi(w, m, Dispatch);
            return;
        }

        w.Line("/// <summary>Advances one timestep: <paramref name=\"input\"/> [InputSize] → <paramref name=\"output\"/> [OutputSize].</summary>");
        using (w.Block($"public void Step({ReadOnlySpan} input, {Span} output)"))
        {
            w.Line(NetModelEmitter.LengthCheck);
            NetModelEmitter.EmitSeriesApply(w, m);
            w.Line("global::System.Span<int> logits = stackalloc int[OutputSize];");
            w.Line($"ref int q = ref {MemoryMarshal}.GetReference(logits);");
            w.Line($"ref float x = ref {MemoryMarshal}.GetReference({(NetSeriesTransformEmitter.HasApply(m) ? "network" : "input")});");
            Dispatch("ref x, ref q");
            w.Line($"WriteOutput(ref q, ref {MemoryMarshal}.GetReference(output));");
            NetModelEmitter.EmitSeriesAddBack(w, m);
        }
        w.Line();

        NetModelEmitter.EmitRun(w);

        if (m.Head?.Activation == HeadActivation.Softmax)
        {
            w.Line("/// <summary>Advances one timestep and returns the index of the most probable class, comparing the Q.12 logits (the first of equal ones).</summary>");
            using (w.Block($"public int Classify({ReadOnlySpan} input)"))
            {
                w.Line("if (input.Length != InputSize) throw new global::System.ArgumentException($\"expected input of length {InputSize}, got {input.Length}\");");
                if (NetSeriesTransformEmitter.HasApply(m))
                {
                    w.Line("global::System.Span<float> network = stackalloc float[InputSize];");
                    w.Line("SeriesApply(input, network);");
                }
                w.Line("global::System.Span<int> logits = stackalloc int[OutputSize];");
                w.Line($"ref int q = ref {MemoryMarshal}.GetReference(logits);");
                w.Line($"ref float x = ref {MemoryMarshal}.GetReference({(NetSeriesTransformEmitter.HasApply(m) ? "network" : "input")});");
                Dispatch("ref x, ref q");
                w.Line("int best = 0;");
                w.Line($"for (int o = 1; o < OutputSize; o++) if ({Unsafe}.Add(ref q, o) > {Unsafe}.Add(ref q, best)) best = o;");
                w.Line("return best;");
            }
            w.Line();
        }

        foreach (var (suffix, _) in Paths)
        {
            bool scalar = suffix == "Scalar";
            w.Line($"/// <summary>Step on the {(scalar ? "scalar" : suffix + "-bit")} path whatever the CPU (for tests and benchmarks; <see cref=\"Step\"/> picks the widest supported path{(scalar ? "" : suffix == "128" ? "; runs on any CPU, SIMD on x86 and ARM64" : "; x86 only, throws PlatformNotSupportedException where the CPU lacks it")}).</summary>");
            w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
            using (w.Block($"public void Step{suffix}({ReadOnlySpan} input, {Span} output)"))
            {
                w.Line(NetModelEmitter.LengthCheck);
                NetModelEmitter.EmitSeriesApply(w, m);
                w.Line("global::System.Span<int> logits = stackalloc int[OutputSize];");
                w.Line($"ref int q = ref {MemoryMarshal}.GetReference(logits);");
                w.Line($"Core{suffix}(ref {MemoryMarshal}.GetReference({(NetSeriesTransformEmitter.HasApply(m) ? "network" : "input")}), ref q);");
                w.Line($"WriteOutput(ref q, ref {MemoryMarshal}.GetReference(output));");
                NetModelEmitter.EmitSeriesAddBack(w, m);
            }
            w.Line();
        }

        NetModelEmitter.EmitLengthMismatchThrow(w);
    }

    /// <summary>
    /// The public steps of a token model: <c>Step(int token, Span&lt;float&gt;)</c> and per path <c>Step{W}(int, …)</c>, each
    /// checking the id once (ArgumentOutOfRangeException naming it and V; nothing is read outside the table), and the same
    /// steps with the id as a whole float in a one-value span, as Int8ReferenceEngine.
    /// </summary>
    private static void EmitTokenApi(IndentedWriter w, GruModel m, Action<string> dispatch)
    {
        void Logits()
        {
            w.Line("global::System.Span<int> logits = stackalloc int[OutputSize];");
            w.Line($"ref int q = ref {MemoryMarshal}.GetReference(logits);");
        }
        using (NetModelEmitter.EmitTokenStepHeader(w))
        {
            Logits();
            dispatch("token, ref q");
            w.Line($"WriteOutput(ref q, ref {MemoryMarshal}.GetReference(output));");
        }
        w.Line();
        w.Line("/// <summary>Advances one timestep with the token id given as a float: <paramref name=\"input\"/> [1] holds a whole number 0 … VocabularySize − 1; anything else throws <see cref=\"global::System.ArgumentOutOfRangeException\"/>.</summary>");
        using (w.Block($"public void Step({ReadOnlySpan} input, {Span} output)"))
        {
            w.Line(NetModelEmitter.LengthCheck);
            w.Line("Step(TokenOf(input[0]), output);");
        }
        w.Line();

        NetModelEmitter.EmitRun(w);

        if (m.Head?.Activation == HeadActivation.Softmax)
        {
            w.Line("/// <summary>Advances one timestep with token id <paramref name=\"token\"/> and returns the index of the most probable class, comparing the Q.12 logits (the first of equal ones).</summary>");
            using (w.Block("public int Classify(int token)"))
            {
                w.Line(NetModelEmitter.TokenCheck);
                Logits();
                dispatch("token, ref q");
                w.Line("int best = 0;");
                w.Line($"for (int o = 1; o < OutputSize; o++) if ({Unsafe}.Add(ref q, o) > {Unsafe}.Add(ref q, best)) best = o;");
                w.Line("return best;");
            }
            w.Line();
            w.Line("/// <summary>Advances one timestep (the id as a float, as <c>Step</c>) and returns the index of the most probable class.</summary>");
            using (w.Block($"public int Classify({ReadOnlySpan} input)"))
            {
                w.Line("if (input.Length != InputSize) throw new global::System.ArgumentException($\"expected input of length {InputSize}, got {input.Length}\");");
                w.Line("return Classify(TokenOf(input[0]));");
            }
            w.Line();
        }

        foreach (var (suffix, _) in Paths)
            NetModelEmitter.EmitTokenPathSteps(w, suffix, () =>
            {
                Logits();
                w.Line($"Core{suffix}(token, ref q);");
                w.Line($"WriteOutput(ref q, ref {MemoryMarshal}.GetReference(output));");
            });
        NetModelEmitter.EmitTokenHelpers(w);
        NetModelEmitter.EmitLengthMismatchThrow(w);
    }

    /// <summary>One path: input quantization, the layers (matrix passes at this width, shared scalar gates), the head → Q.12 logits.</summary>
    private static void EmitPath(IndentedWriter w, FixedPointGruModel fp, List<Layer> layers, Int8Matrix? head, string suffix, NetEmitOptions options)
    {
        var m = fp.Model;
        // Each matrix pass is its own method, called from Core: small enough that the JIT optimizes it fully and
        // inlines the weight-data getters, whatever the model's depth (one Core with every pass inlined ran the
        // multiply-add helper as 267 calls per step in medium's 128-bit listing).
        var products = new List<(string Method, string Weights, Int8Matrix Matrix, string Input, string Result)>();
        void Product(string weights, Int8Matrix matrix, string x, string result)
        {
            // Named Layer…/Output… so the JIT listing check (Core* Layer* Dense* Output*) covers them.
            string method = (weights == "HeadWeights" ? "OutputWeights" : weights).Replace("Weights", "Product") + suffix;
            w.Line($"{method}(ref {x}, ref {result});");
            products.Add((method, weights, matrix, x, result));
        }
        bool after = m.Convention == GateConvention.ResetAfter;
        int xLength = (m.InputSize + 1) / 2 * 2;
        if (options.SkipLocalsInit) w.Line("[global::System.Runtime.CompilerServices.SkipLocalsInit]");
        using (w.Block(m.Embedding is null ? $"private void Core{suffix}(ref float input, ref int logits)" : $"private void Core{suffix}(int token, ref int logits)"))
        {
            if (m.Embedding is { } e)
            {
                w.Line($"// x = E_q[t]: the token's int8 row of the embedding [{e.VocabularySize}, {e.EmbeddingSize}], one scale for the table, zero point 0 (the caller checked t)");
                w.Line($"global::System.Span<short> xSpan = stackalloc short[{I(xLength)}];");
                w.Line($"ref short xs = ref {MemoryMarshal}.GetReference(xSpan);");
                w.Line($"ref sbyte eq = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference(EmbeddingTable), token * {I(e.EmbeddingSize)});");
                w.Line($"for (int i = 0; i < {I(e.EmbeddingSize)}; i++) {Unsafe}.Add(ref xs, i) = {Unsafe}.Add(ref eq, i);");
                if (e.EmbeddingSize % 2 == 1) w.Line($"{Unsafe}.Add(ref xs, {I(e.EmbeddingSize)}) = 0;");
            }
            else
            {
                w.Line($"// xq = clamp(round((x − mean) · 1/(std·s_x)) + zp, −128, 127); the layer sees xq − zp (int16, last pair padded with 0)");
                w.Line($"global::System.Span<short> xSpan = stackalloc short[{I(xLength)}];");
                w.Line($"ref short xs = ref {MemoryMarshal}.GetReference(xSpan);");
                w.Line("QuantizeInputs(ref input, ref xs);");
            }
            w.Line($"global::System.Span<int> gxSpan = stackalloc int[{I(layers.Max(l => l.W.PaddedRows))}];");
            w.Line($"ref int gx = ref {MemoryMarshal}.GetReference(gxSpan);     // W·x, int32 per row");
            w.Line($"global::System.Span<int> ghSpan = stackalloc int[{I(layers.Max(l => l.U.PaddedRows))}];");
            w.Line($"ref int gh = ref {MemoryMarshal}.GetReference(ghSpan);     // U·h (reset-before: U_rz·h), int32 per row");
            if (!after)
            {
                w.Line($"global::System.Span<int> gnSpan = stackalloc int[{I(layers.Max(l => l.Un!.PaddedRows))}];");
                w.Line($"ref int gn = ref {MemoryMarshal}.GetReference(gnSpan);     // U_n·(r ⊙ h), int32 per row");
                w.Line($"global::System.Span<short> rhSpan = stackalloc short[{I(layers.Max(l => l.StateLength))}];");
                w.Line($"ref short rh = ref {MemoryMarshal}.GetReference(rhSpan);   // r ⊙ h, Q0.15");
            }
            string x = "xs";
            for (int k = 0; k < layers.Count; k++)
            {
                var l = layers[k];
                w.Line($"// ---- layer {k}: GRU {l.Fp.InputSize} → {l.H} ----");
                w.Line($"ref short h{k} = ref {Unsafe}.As<Layer{k}State, short>(ref _h{k});");
                w.Line($"// gx = W·x   [{3 * l.H}, {l.Fp.InputSize}] · [{l.Fp.InputSize}]");
                Product($"Layer{k}InputWeights", l.W, x, "gx");
                if (after)
                {
                    w.Line($"// gh = U·h   [{3 * l.H}, {l.H}] · [{l.H}]");
                    Product($"Layer{k}RecurrentWeights", l.U, "h" + k, "gh");
                    var lanes = GateLanes.For(suffix, options.AllowUnsafe, l.H);
                    w.Line(lanes is null ? $"Layer{k}Gates(ref gx, ref gh, ref h{k}, 0);" : $"Layer{k}{lanes.Method}(ref gx, ref gh, ref h{k});");
                }
                else
                {
                    w.Line($"// gh = U_rz·h   [{2 * l.H}, {l.H}] · [{l.H}]");
                    Product($"Layer{k}RecurrentRzWeights", l.U, "h" + k, "gh");
                    if (l.StateLength > l.H) w.Line($"{Unsafe}.Add(ref rh, {I(l.H)}) = 0;");
                    w.Line($"Layer{k}ResetGates(ref gx, ref gh, ref h{k}, ref rh);");
                    w.Line($"// gn = U_n·(r ⊙ h)   [{l.H}, {l.H}] · [{l.H}]");
                    Product($"Layer{k}RecurrentNWeights", l.Un!, "rh", "gn");
                    w.Line($"Layer{k}Update(ref gx, ref gh, ref gn, ref h{k});");
                }
                x = "h" + k;
            }
            for (int d = 0; d < fp.Dense.Count; d++)
            {
                var dense = fp.Dense[d];
                w.Line($"// ---- dense layer {d}: {dense.InputSize} → {dense.OutputSize}, {TinyGruModelFile.ActivationName(dense.Activation)} (scalar integer loop on every path) ----");
                w.Line($"global::System.Span<short> d{d}Span = stackalloc short[{I((dense.OutputSize + 1) / 2 * 2)}];");
                w.Line($"ref short d{d} = ref {MemoryMarshal}.GetReference(d{d}Span);");
                w.Line($"Dense{d}(ref {x}, ref d{d});");
                x = "d" + d;
            }
            if (head is null)
            {
                w.Line("// no head: the outputs are the last layer's Q0.15 state");
                w.Line($"for (int o = 0; o < {I(m.OutputSize)}; o++) {Unsafe}.Add(ref logits, o) = {Unsafe}.Add(ref {x}, o);");
            }
            else
            {
                int headInputs = m.Head!.InputSize;
                w.Line($"// ---- head: y = Wy·{(fp.Dense.Count > 0 ? "x" : "h")} + by   [{m.OutputSize}, {headInputs}] · [{headInputs}] → Q.12 ----");
                w.Line($"global::System.Span<int> hySpan = stackalloc int[{I(head.PaddedRows)}];");
                w.Line($"ref int hy = ref {MemoryMarshal}.GetReference(hySpan);");
                Product("HeadWeights", head, x, "hy");
                w.Line($"ref int hq = ref {MemoryMarshal}.GetReference(HeadRequantization);");
                w.Line($"ref int hb = ref {MemoryMarshal}.GetReference(HeadBias);");
                w.Line($"for (int o = 0; o < {I(m.OutputSize)}; o++) {Unsafe}.Add(ref logits, o) = Requantize({Unsafe}.Add(ref hy, o), ref hq, o, {I(m.OutputSize)}) + {Unsafe}.Add(ref hb, o);");
            }
        }
        w.Line();
        foreach (var p in products)
        {
            w.Line($"/// <summary>{p.Result} = {p.Weights} · {p.Input}: [{p.Matrix.Rows}, {p.Matrix.Columns}] int8 · [{p.Matrix.Columns}] int16 → int32.</summary>");
            if (options.SkipLocalsInit) w.Line("[global::System.Runtime.CompilerServices.SkipLocalsInit]");
            using (w.Block($"private static void {p.Method}(ref short {p.Input}, ref int {p.Result})"))
                EmitMatVecBody(w, suffix, p.Weights, p.Matrix, p.Input, p.Result);
            w.Line();
        }
    }

    /// <summary>
    /// result[rows] = M·x over int16 x (int8 inputs minus the zero point, or Q0.15 state) in int32. Every kernel forms
    /// the same exact products and sums them in a different order, which integers permit: per row
    /// |Σ w·x| ≤ columns·127·32767 ≤ 512·127·32767 = 2,130,641,408 &lt; 2^31 (FixedPoint.MaxHiddenSize), and each adjacent-pair
    /// product sum ≤ 2·127·32767 fits int32, so no kernel overflows where the reference does not.
    /// </summary>
    private static void EmitMatVecBody(IndentedWriter w, string suffix, string weights, Int8Matrix m, string x, string result)
    {
        int pairs = m.Pairs;
        // Rows per accumulator part = int32 lanes per vector.
        int rowsPerPart = suffix == "512" ? 16 : suffix == "256" ? 8 : 4;
        int parts = Int8Matrix.GroupRows / rowsPerPart;
        // Accumulators of a chunk: (group, part) with parts of 16 (512), 8 (256) or 4 (128) rows; parts made only of padding are skipped.
        List<(int Group, int Part)> Accumulators(Int8Chunk chunk)
        {
            var list = new List<(int, int)>();
            for (int g = 0; g < chunk.Groups; g++)
                for (int p = 0; p < parts; p++)
                    if (g * Int8Matrix.GroupRows + p * rowsPerPart < chunk.RealRows) list.Add((g, p));
            return list;
        }
        bool unrolled = suffix != "Scalar" && KernelPlanner.Int8PassUnrolled(pairs, m.Chunks.Sum(c => Accumulators(c).Count) * pairs, rowsPerPart);
        foreach (var chunk in m.Chunks)
        {
            if (chunk.RealRows == 0) continue;
            using (w.Block())
            {
                w.Line($"// rows {chunk.Start}..{chunk.Start + chunk.Groups * Int8Matrix.GroupRows - 1}, {pairs} column pairs; |acc| ≤ {m.Columns}·127·32767 = {N(m.Columns * 127L * 32767)} < 2^31");
                w.Line($"ref sbyte wp = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference({weights}), {I(chunk.Offset)});");
                if (suffix == "Scalar")
                {
                    using (w.Block($"for (int row = 0; row < {I(chunk.RealRows)}; row++)"))
                    {
                        w.Line($"ref sbyte wr = ref {Unsafe}.Add(ref wp, (row >> 4) * 32 + (row & 15) * 2);");
                        w.Line("int acc = 0;");
                        using (w.Block($"for (int p = 0; p < {I(pairs)}; p++)"))
                        {
                            w.Line($"ref sbyte wc = ref {Unsafe}.Add(ref wr, p * {I(chunk.Stride)});");
                            w.Line($"acc += wc * {Unsafe}.Add(ref {x}, 2 * p) + {Unsafe}.Add(ref wc, 1) * {Unsafe}.Add(ref {x}, 2 * p + 1);");
                        }
                        w.Line($"{Unsafe}.Add(ref {result}, {I(chunk.Start)} + row) = acc;");
                    }
                    continue;
                }
                var accs = Accumulators(chunk);
                // 128-bit: at most 8 accumulators per pass over the columns.
                int perPass = suffix == "128" ? 8 : accs.Count;
                for (int start = 0; start < accs.Count; start += perPass)
                {
                    var pass = accs.Skip(start).Take(perPass).ToList();
                    string vint = $"{Intrinsics}.Vector{suffix}<int>";
                    using (w.Block())
                    {
                        if (start > 0) w.Line($"wp = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference({weights}), {I(chunk.Offset)});");
                        foreach (var (g, p) in pass) w.Line($"var a{g}_{p} = {vint}.Zero;");
                        void Body(string v, string pairIndex, string pairOffset)
                        {
                            w.Line($"var {v} = {Intrinsics}.Vector{suffix}.AsInt16({Intrinsics}.Vector{suffix}.Create({Unsafe}.ReadUnaligned<int>(ref {Unsafe}.As<short, byte>(ref {Unsafe}.Add(ref {x}, {pairIndex})))));");
                            bool first = true;
                            foreach (var (g, p) in pass)
                            {
                                int byteOffset = g * 32 + p * rowsPerPart * 2;
                                string at = pairOffset == "0" ? I(byteOffset) : pairOffset + " + " + I(byteOffset);
                                string load = suffix switch
                                {
                                    "512" => $"{X86}.Avx512BW.ConvertToVector512Int16({Intrinsics}.Vector256.LoadUnsafe(ref wp, (nuint)({at})))",
                                    "256" => $"{X86}.Avx2.ConvertToVector256Int16({Intrinsics}.Vector128.LoadUnsafe(ref wp, (nuint)({at})))",
                                    _ => $"{Intrinsics}.Vector128.WidenLower({Intrinsics}.Vector128.AsSByte({Intrinsics}.Vector128.CreateScalarUnsafe({Unsafe}.ReadUnaligned<long>(ref {Unsafe}.As<sbyte, byte>(ref {Unsafe}.Add(ref wp, {at}))))))",
                                };
                                // One multiply-add per statement, its operands in locals: the IsSupported forms
                                // then repeat two names, not the load (see KernelPlanner.Int8PassUnrolled).
                                w.Line($"{(first ? "var " : "")}{v}w = {load};");
                                w.Line(Int8MultiplyAddTo(suffix, $"a{g}_{p}", v + "w", v));
                                first = false;
                            }
                        }
                        if (unrolled)
                            for (int q = 0; q < pairs; q++) Body("v" + I(q), I(2 * q), I(q * chunk.Stride));
                        else
                            using (w.Block($"for (int p = 0; p < {I(pairs)}; p++)"))
                            {
                                Body("v", "2 * p", "0");
                                w.Line($"wp = ref {Unsafe}.Add(ref wp, {I(chunk.Stride)});");
                            }
                        foreach (var (g, p) in pass)
                            w.Line($"{Intrinsics}.Vector{suffix}.StoreUnsafe(a{g}_{p}, ref {result}, (nuint){I(chunk.Start + g * Int8Matrix.GroupRows + p * rowsPerPart)});");
                    }
                }
            }
        }
    }

    /// <summary>
    /// acc += w[2i]·v[2i] + w[2i+1]·v[2i+1] per int32 lane, written out as one statement: vpmaddwd (+ vpdpwssd with
    /// AVX-VNNI), pmaddwd (SSE2), smull/smull2/addp (ARM64 AdvSimd); only a platform with none of these calls the
    /// portable Madd128. The forms are if/else statements, not a conditional expression: the JIT folds both, but gives
    /// every conditional expression a temporary, and a method with 512 locals inlines nothing (docs/generator.md).
    /// |w| ≤ 127, so no pair sum saturates.
    /// </summary>
    private static string Int8MultiplyAddTo(string suffix, string acc, string wv, string v)
    {
        string Arm = Intrinsics + ".Arm";
        return suffix switch
        {
            "512" => $"{acc} = {X86}.Avx512F.Add({acc}, {X86}.Avx512BW.MultiplyAddAdjacent({wv}, {v}));",
            "256" => $"if ({X86}.AvxVnni.IsSupported) {acc} = {X86}.AvxVnni.MultiplyWideningAndAdd({acc}, {wv}, {v}); else {acc} = {X86}.Avx2.Add({acc}, {X86}.Avx2.MultiplyAddAdjacent({wv}, {v}));",
            _ => $"if ({X86}.Sse2.IsSupported) {acc} = {X86}.Sse2.Add({acc}, {X86}.Sse2.MultiplyAddAdjacent({wv}, {v})); else if ({Arm}.AdvSimd.Arm64.IsSupported) " +
                 $"{acc} = {Arm}.AdvSimd.Add({acc}, {Arm}.AdvSimd.Arm64.AddPairwise({Arm}.AdvSimd.MultiplyWideningLower({V128}.GetLower({wv}), {V128}.GetLower({v})), {Arm}.AdvSimd.MultiplyWideningUpper({wv}, {v}))); else {acc} = Madd128({acc}, {wv}, {v});",
        };
    }

    /// <summary>The per-unit gate arithmetic of each layer, exactly Int8ReferenceEngine.StepLayer's, shared by every path.</summary>
    private static void EmitLayerGates(IndentedWriter w, FixedPointGruModel fp, List<Layer> layers, bool vectorGates)
    {
        bool after = fp.Model.Convention == GateConvention.ResetAfter;
        string A(string r, string i) => $"{Unsafe}.Add(ref {r}, {i})";
        for (int k = 0; k < layers.Count; k++)
        {
            int h = layers[k].H;
            void Refs(bool n)
            {
                w.Line($"ref int wq = ref {MemoryMarshal}.GetReference(Layer{k}InputRequantization);");
                w.Line($"ref int uq = ref {MemoryMarshal}.GetReference(Layer{k}RecurrentRequantization);");
                w.Line($"ref int gb = ref {MemoryMarshal}.GetReference(Layer{k}GateBias);");
                if (n) w.Line($"ref int nb = ref {MemoryMarshal}.GetReference(Layer{k}RecurrentNBias);");
            }
            string R = I(h), Z = I(2 * h), N3 = I(3 * h);
            if (after)
            {
                w.Line($"/// <summary>Layer {k}'s gates and state update from gx = W·x and gh = U·h (int32 accumulators).</summary>");
                using (w.Block($"private static void Layer{k}Gates(ref int gx, ref int gh, ref short h, int start)"))
                {
                    Refs(true);
                    using (w.Block($"for (int j = start; j < {R}; j++)"))
                    {
                        w.Line($"int r = Gate(Requantize({A("gx", "j")}, ref wq, j, {N3}) + Requantize({A("gh", "j")}, ref uq, j, {N3}) + {A("gb", "j")});                                   // r = σ(Wr·x + Ur·h + br)");
                        w.Line($"int z = Gate(Requantize({A("gx", $"{R} + j")}, ref wq, {R} + j, {N3}) + Requantize({A("gh", $"{R} + j")}, ref uq, {R} + j, {N3}) + {A("gb", $"{R} + j")}); // z = σ(Wz·x + Uz·h + bz)");
                        w.Line($"int pre = Requantize({A("gx", $"{Z} + j")}, ref wq, {Z} + j, {N3}) + {A("gb", $"{Z} + j")};");
                        w.Line($"pre += MultiplyQ15(r, Clamp(Requantize({A("gh", $"{Z} + j")}, ref uq, {Z} + j, {N3}) + {A("nb", "j")}, {I(FixedPoint.ResetProductLimit)})); // n = tanh(Wn·x + bin + r ⊙ (Un·h + bhn))");
                        w.Line("int n = Tanh(pre);");
                        w.Line($"int hj = {A("h", "j")};");
                        w.Line($"{A("h", "j")} = (short)(n + MultiplyQ15(z, hj - n));                                     // h' = n + z ⊙ (h − n), within ±32767");
                    }
                }
                w.Line();
                if (vectorGates && h >= GateLanes.Avx2.Lanes) EmitVectorGates(w, k, h, GateLanes.Avx2);
                if (h >= GateLanes.Portable128.Lanes) EmitVectorGates(w, k, h, GateLanes.Portable128);
                continue;
            }
            w.Line($"/// <summary>Layer {k}'s r and z from gx = W·x and gh = U_rz·h: z (Q0.15) replaces gh's z rows, r ⊙ h goes to rh.</summary>");
            using (w.Block($"private static void Layer{k}ResetGates(ref int gx, ref int gh, ref short h, ref short rh)"))
            {
                Refs(false);
                using (w.Block($"for (int j = 0; j < {R}; j++)"))
                {
                    w.Line($"int r = Gate(Requantize({A("gx", "j")}, ref wq, j, {N3}) + Requantize({A("gh", "j")}, ref uq, j, {N3}) + {A("gb", "j")});                                   // r = σ(Wr·x + Ur·h + br)");
                    w.Line($"{A("gh", $"{R} + j")} = Gate(Requantize({A("gx", $"{R} + j")}, ref wq, {R} + j, {N3}) + Requantize({A("gh", $"{R} + j")}, ref uq, {R} + j, {N3}) + {A("gb", $"{R} + j")}); // z = σ(Wz·x + Uz·h + bz)");
                    w.Line($"{A("rh", "j")} = (short)MultiplyQ15(r, {A("h", "j")});                                                                   // r ⊙ h, within ±32767");
                }
            }
            w.Line();
            w.Line($"/// <summary>Layer {k}'s n and state update from gx = W·x, z (in gh) and gn = U_n·(r ⊙ h).</summary>");
            using (w.Block($"private static void Layer{k}Update(ref int gx, ref int gh, ref int gn, ref short h)"))
            {
                Refs(false);
                using (w.Block($"for (int j = 0; j < {R}; j++)"))
                {
                    w.Line($"int pre = Requantize({A("gx", $"{Z} + j")}, ref wq, {Z} + j, {N3}) + {A("gb", $"{Z} + j")};");
                    w.Line($"pre += Requantize({A("gn", "j")}, ref uq, {Z} + j, {N3});                                         // n = tanh(Wn·x + Un·(r ⊙ h) + bn)");
                    w.Line("int n = Tanh(pre);");
                    w.Line($"int z = {A("gh", $"{R} + j")};");
                    w.Line($"int hj = {A("h", "j")};");
                    w.Line($"{A("h", "j")} = (short)(n + MultiplyQ15(z, hj - n));                                     // h' = n + z ⊙ (h − n), within ±32767");
                }
            }
            w.Line();
        }
    }

    /// <summary>
    /// The hidden dense layers, exactly Int8ReferenceEngine.DenseLayer: scalar integer loops on every path (the layers are
    /// small next to the GRU matrices). |acc| ≤ inputs·127·32767 &lt; 2^31 (inputs ≤ 512, checked by the validator).
    /// </summary>
    private static void EmitDenseLayers(IndentedWriter w, FixedPointGruModel fp)
    {
        for (int d = 0; d < fp.Dense.Count; d++)
        {
            var l = fp.Dense[d];
            string cols = I(l.InputSize), rows = I(l.OutputSize);
            string act = TinyGruModelFile.ActivationName(l.Activation);
            w.Line($"/// <summary>Dense layer {d}: y = {act}(W·x + b), [{l.OutputSize}, {l.InputSize}] · [{l.InputSize}]; " +
                   (l.OutputIsQ15 ? "Q.12 pre-activation, Q0.15 output." : $"requantized straight to the output unit {l.OutputScale.ToString("G6", CultureInfo.InvariantCulture)} (the weight bound / 32767), saturated to {(l.Activation == HeadActivation.Relu ? "0 … 32767" : "±32767")}.") + "</summary>");
            using (w.Block($"private static void Dense{d}(ref short x, ref short y)"))
            {
                w.Line($"ref sbyte wp = ref {MemoryMarshal}.GetReference(Dense{d}Weights);");
                w.Line($"ref int rq = ref {MemoryMarshal}.GetReference(Dense{d}Requantization);");
                w.Line($"ref int b = ref {MemoryMarshal}.GetReference(Dense{d}Bias);");
                using (w.Block($"for (int o = 0; o < {rows}; o++)"))
                {
                    w.Line($"ref sbyte wr = ref {Unsafe}.Add(ref wp, o * {cols});");
                    w.Line($"int acc = 0;                                                   // |acc| ≤ {l.InputSize}·127·32767 = {N(l.InputSize * 127L * 32767)}");
                    w.Line($"for (int j = 0; j < {cols}; j++) acc += {Unsafe}.Add(ref wr, j) * {Unsafe}.Add(ref x, j);");
                    w.Line($"int pre = Requantize(acc, ref rq, o, {rows}) + {Unsafe}.Add(ref b, o);");
                    string value = l.Activation switch
                    {
                        HeadActivation.Tanh => "Tanh(pre)",
                        HeadActivation.Sigmoid => "Sigmoid(pre)",
                        HeadActivation.Relu => $"pre > {I(FixedPoint.DenseOutputLimit)} ? {I(FixedPoint.DenseOutputLimit)} : pre < 0 ? 0 : pre",
                        _ => $"pre > {I(FixedPoint.DenseOutputLimit)} ? {I(FixedPoint.DenseOutputLimit)} : pre < -{I(FixedPoint.DenseOutputLimit)} ? -{I(FixedPoint.DenseOutputLimit)} : pre",
                    };
                    w.Line($"{Unsafe}.Add(ref y, o) = (short)({value});");
                }
                if (l.OutputSize % 2 == 1) w.Line($"{Unsafe}.Add(ref y, {rows}) = 0;                                   // the pair kernels read the padding");
            }
            w.Line();
        }
    }

    private const string V256 = "global::System.Runtime.Intrinsics.Vector256";
    private const string V128 = "global::System.Runtime.Intrinsics.Vector128";
    private const string Avx2Class = "global::System.Runtime.Intrinsics.X86.Avx2";

    /// <summary>
    /// One lane count of the vector gate update. 8 lanes (AVX2, unsafe code: the tanh table is read with gathers of one
    /// int32 at entry i, which holds entries i and i + 1; per-row shifts are vpsravd) serve the 512- and 256-bit paths;
    /// 4 lanes (portable Vector128, no unsafe code: four scalar table reads; shifts are vpsravd with AVX2, sshl by −s on
    /// ARM64, four psrad and blends on SSE4.1) serve the 128-bit path. Everything else is the portable vector API, lane
    /// for lane the scalar operations.
    /// </summary>
    private sealed class GateLanes
    {
        public static readonly GateLanes Avx2 = new(8, V256, "V", true, "GatesV");
        public static readonly GateLanes Portable128 = new(4, V128, "V128", false, "Gates128");

        private GateLanes(int lanes, string vector, string suffix, bool usesUnsafe, string method) =>
            (Lanes, Vector, Suffix, UsesUnsafe, Method) = (lanes, vector, suffix, usesUnsafe, method);

        /// <summary>
        /// The vector gate update a reset-after layer of <paramref name="h"/> units takes on path <paramref name="suffix"/>,
        /// or null for the scalar loop: AVX2 lanes on the 512/256 paths when unsafe code is allowed, 4 lanes at 128 bits.
        /// </summary>
        public static GateLanes? For(string suffix, bool allowUnsafe, int h) =>
            suffix is "512" or "256" ? (allowUnsafe && h >= Avx2.Lanes ? Avx2 : null)
            : suffix == "128" && h >= Portable128.Lanes ? Portable128 : null;

        public int Lanes { get; }

        /// <summary>The generated method's name after Layer{k}.</summary>
        public string Method { get; }
        public string Vector { get; }
        public string Suffix { get; }
        public bool UsesUnsafe { get; }
        public string Type => Vector + "<int>";
        public string TableParameter => UsesUnsafe ? "int* table" : "ref short table";
        public string TableArgument => UsesUnsafe ? "table" : "ref table";
        public string Unsafe => UsesUnsafe ? "unsafe " : "";
    }

    /// <summary>Layer k's reset-after gate update <see cref="GateLanes.Lanes"/> units at a time, then the scalar loop for the rest.</summary>
    private static void EmitVectorGates(IndentedWriter w, int k, int h, GateLanes v)
    {
        int blocks = h / v.Lanes * v.Lanes;
        string R = I(h), Z = I(2 * h), N3 = I(3 * h), X = v.Suffix, T = v.TableArgument;
        string L(string r, string i) => $"{v.Vector}.LoadUnsafe(ref {r}, (nuint)({i}))";
        w.Line($"/// <summary>Layer {k}'s gates and state update, units 0 … {blocks - 1} in {v.Lanes}-lane vectors, the rest scalar.</summary>");
        using (w.Block($"private static {v.Unsafe}void Layer{k}{v.Method}(ref int gx, ref int gh, ref short h)"))
        {
            w.Line($"ref int wq = ref {MemoryMarshal}.GetReference(Layer{k}InputRequantization);");
            w.Line($"ref int uq = ref {MemoryMarshal}.GetReference(Layer{k}RecurrentRequantization);");
            w.Line($"ref int gb = ref {MemoryMarshal}.GetReference(Layer{k}GateBias);");
            w.Line($"ref int nb = ref {MemoryMarshal}.GetReference(Layer{k}RecurrentNBias);");
            if (v.UsesUnsafe)
            {
                w.Line("// RVA data never moves, so its address is stable without pinning.");
                w.Line($"int* table = (int*){Unsafe}.AsPointer(ref {MemoryMarshal}.GetReference(TanhTable));");
            }
            else w.Line($"ref short table = ref {MemoryMarshal}.GetReference(TanhTable);");
            using (w.Block($"for (int j = 0; j < {I(blocks)}; j += {I(v.Lanes)})"))
            {
                w.Line($"var r = Gate{X}(Requantize{X}({L("gx", "j")}, ref wq, j, {N3}) + Requantize{X}({L("gh", "j")}, ref uq, j, {N3}) + {L("gb", "j")}, {T});              // r = σ(Wr·x + Ur·h + br)");
                w.Line($"var z = Gate{X}(Requantize{X}({L("gx", $"{R} + j")}, ref wq, {R} + j, {N3}) + Requantize{X}({L("gh", $"{R} + j")}, ref uq, {R} + j, {N3}) + {L("gb", $"{R} + j")}, {T}); // z = σ(Wz·x + Uz·h + bz)");
                w.Line($"var pre = Requantize{X}({L("gx", $"{Z} + j")}, ref wq, {Z} + j, {N3}) + {L("gb", $"{Z} + j")};");
                w.Line($"var un = Requantize{X}({L("gh", $"{Z} + j")}, ref uq, {Z} + j, {N3}) + {L("nb", "j")};");
                w.Line($"un = {v.Vector}.Min({v.Vector}.Max(un, {v.Vector}.Create(-{I(FixedPoint.ResetProductLimit)})), {v.Vector}.Create({I(FixedPoint.ResetProductLimit)}));");
                w.Line($"var n = Tanh{X}(pre + MultiplyQ15{X}(r, un), {T});                                                 // n = tanh(Wn·x + bin + r ⊙ (Un·h + bhn))");
                if (v.UsesUnsafe)
                    w.Line($"var hj = {V256}.WidenLower({V128}.ToVector256Unsafe({V128}.LoadUnsafe(ref h, (nuint)j)));");
                else
                {
                    w.Line($"ref byte hb = ref {Unsafe}.As<short, byte>(ref {Unsafe}.Add(ref h, j));");
                    w.Line($"var hj = {V128}.WidenLower({V128}.AsInt16({V128}.CreateScalarUnsafe({Unsafe}.ReadUnaligned<long>(ref hb))));");
                }
                w.Line($"var hn = n + MultiplyQ15{X}(z, hj - n);                                                                   // h' = n + z ⊙ (h − n), within ±32767: narrowing is exact");
                w.Line(v.UsesUnsafe
                    ? $"{V128}.StoreUnsafe({V256}.GetLower({V256}.Narrow(hn, hn)), ref h, (nuint)j);"
                    : $"{Unsafe}.WriteUnaligned(ref hb, {V128}.ToScalar({V128}.AsInt64({V128}.Narrow(hn, hn))));");
            }
            if (blocks < h) w.Line($"Layer{k}Gates(ref gx, ref gh, ref h, {I(blocks)});");
        }
        w.Line();
    }

    /// <summary>The <see cref="GateLanes"/> forms of Requantize, Tanh, the gate and MultiplyQ15, lane for lane the scalar operations.</summary>
    private static void EmitVectorArithmetic(IndentedWriter w, FixedPointGruModel fp, GateLanes v)
    {
        string V = v.Type, C = v.Vector, X = v.Suffix;
        int limit = FixedPoint.PreShiftedLimit, step = FixedPoint.TableStepBits, end = 8 * FixedPoint.OneQ12;
        string L(string r, string i) => $"{C}.LoadUnsafe(ref {r}, (nuint)({i}))";
        w.Line(Inline);
        if (v.UsesUnsafe)
        {
            w.Line($"private static {V} ShiftRight{X}({V} v, {V} s) => {Avx2Class}.ShiftRightArithmeticVariable(v, {C}.AsUInt32(s));");
        }
        else
        {
            string Arm = Intrinsics + ".Arm";
            w.Line("/// <summary>v >> s per lane (arithmetic): vpsravd with AVX2, sshl by −s on ARM64, four psrad and blends on SSE4.1 (no per-lane shift before AVX2), else lane by lane (other Vector128 platforms).</summary>");
            using (w.Block($"private static {V} ShiftRight{X}({V} v, {V} s)"))
            {
                w.Line($"if ({X86}.Avx2.IsSupported) return {X86}.Avx2.ShiftRightArithmeticVariable(v, {C}.AsUInt32(s));");
                w.Line($"if ({Arm}.AdvSimd.IsSupported) return {Arm}.AdvSimd.ShiftArithmetic(v, -s);");
                using (w.Block($"if ({X86}.Sse41.IsSupported)"))
                {
                    w.Line("// psrad shifts every lane by the count in the low quadword: [s0, 0, s1, 0] and [s2, 0, s3, 0] give the four counts");
                    w.Line($"var lo = {X86}.Sse2.UnpackLow(s, {V}.Zero);");
                    w.Line($"var hi = {X86}.Sse2.UnpackHigh(s, {V}.Zero);");
                    w.Line($"var r01 = {X86}.Sse41.Blend({C}.AsInt16({X86}.Sse2.ShiftRightArithmetic(v, lo)), {C}.AsInt16({X86}.Sse2.ShiftRightArithmetic(v, {X86}.Sse2.ShiftRightLogical128BitLane(lo, 8))), 0b0000_1100);");
                    w.Line($"var r23 = {X86}.Sse41.Blend({C}.AsInt16({X86}.Sse2.ShiftRightArithmetic(v, hi)), {C}.AsInt16({X86}.Sse2.ShiftRightArithmetic(v, {X86}.Sse2.ShiftRightLogical128BitLane(hi, 8))), 0b1100_0000);");
                    w.Line($"return {C}.AsInt32({X86}.Sse41.Blend(r01, r23, 0b1111_0000));");
                }
                w.Line($"return {C}.Create({C}.GetElement(v, 0) >> {C}.GetElement(s, 0), {C}.GetElement(v, 1) >> {C}.GetElement(s, 1), {C}.GetElement(v, 2) >> {C}.GetElement(s, 2), {C}.GetElement(v, 3) >> {C}.GetElement(s, 3));");
            }
        }
        w.Line();
        w.Line(Inline);
        using (w.Block($"private static {V} Requantize{X}({V} acc, ref int q, int row, int rows)"))
        {
            w.Line($"ref int r = ref {Unsafe}.Add(ref q, row);");
            w.Line($"var t = ShiftRight{X}(acc, {L("r", "0")});");
            w.Line($"t = {C}.Min({C}.Max(t, {C}.Create(-{I(limit)})), {C}.Create({I(limit)}));");
            w.Line($"return ShiftRight{X}(t * {L("r", "rows")} + {L("r", "2 * rows")}, {L("r", "3 * rows")});");
        }
        w.Line();
        w.Line(Inline);
        using (w.Block($"private static {v.Unsafe}{V} Tanh{X}({V} x, {v.TableParameter})"))
        {
            w.Line($"var a = {C}.Abs(x);");
            w.Line($"var saturated = {C}.GreaterThan(a, {C}.Create({I(end - 1)}));");
            w.Line($"var i = {C}.ShiftRightArithmetic({C}.Min(a, {C}.Create({I(end - 1)})), {I(step)});");
            w.Line($"var f = a & {C}.Create({I((1 << step) - 1)});");
            if (v.UsesUnsafe)
                w.Line($"var g = {Avx2Class}.GatherVector256(table, i, 2);                          // entries i (low half) and i + 1 (high half)");
            else
            {
                w.Line($"ref byte tb = ref {Unsafe}.As<short, byte>(ref table);");
                string E(int lane) => $"{Unsafe}.ReadUnaligned<int>(ref {Unsafe}.Add(ref tb, 2 * {C}.GetElement(i, {lane})))";
                w.Line($"var g = {C}.Create({E(0)}, {E(1)}, {E(2)}, {E(3)}); // entries i (low half) and i + 1 (high half)");
            }
            w.Line($"var t0 = {C}.ShiftRightArithmetic({C}.ShiftLeft(g, 16), 16);");
            w.Line($"var t1 = {C}.ShiftRightArithmetic(g, 16);");
            w.Line($"var y = t0 + {C}.ShiftRightArithmetic((t1 - t0) * f + {C}.Create({I(1 << (step - 1))}), {I(step)});");
            w.Line($"y = {C}.ConditionalSelect(saturated, {C}.Create(32767), y);");
            w.Line($"return {C}.ConditionalSelect({C}.LessThan(x, {V}.Zero), -y, y);                      // odd symmetry");
        }
        w.Line();
        w.Line(Inline);
        if (fp.GateSlope == 0)
            w.Line($"private static {v.Unsafe}{V} Gate{X}({V} x, {v.TableParameter}) => {C}.ShiftRightArithmetic(Tanh{X}({C}.ShiftRightArithmetic(x, 1), {v.TableArgument}) + {C}.Create(32768), 1); // σ(x) = (tanh(x/2) + 1)/2");
        else
        {
            int limit2 = FixedPoint.HardSigmoidInputLimit;
            using (w.Block($"private static {v.Unsafe}{V} Gate{X}({V} x, {v.TableParameter})"))
            {
                w.Line("// the hard sigmoid lane for lane: clamp(16384 + ((clamp(x, ±16384) · slope + 2^14) >> 15), 0, 32767)");
                w.Line($"var p = {C}.Min({C}.Max(x, {C}.Create(-{I(limit2)})), {C}.Create({I(limit2)}));");
                w.Line($"var y = {C}.Create(16384) + {C}.ShiftRightArithmetic(p * {C}.Create({I(fp.GateSlope)}) + {C}.Create(16384), 15);");
                w.Line($"return {C}.Min({C}.Max(y, {V}.Zero), {C}.Create(32767));");
            }
        }
        w.Line();
        w.Line(Inline);
        w.Line($"private static {V} MultiplyQ15{X}({V} a, {V} b) => {C}.ShiftRightArithmetic(a * b + {C}.Create(16384), 15);");
        w.Line();
    }

    /// <summary>Q.12 logits (or the Q0.15 state) → float outputs, exactly Int8ReferenceEngine.WriteOutput.</summary>
    private static void EmitOutput(IndentedWriter w, FixedPointGruModel fp)
    {
        var m = fp.Model;
        string O = I(m.OutputSize);
        string L(string i) => $"{Unsafe}.Add(ref logits, {i})";
        string Y(string i) => $"{Unsafe}.Add(ref output, {i})";
        using (w.Block("private static void WriteOutput(ref int logits, ref float output)"))
        {
            if (m.Head is null)
                w.Line($"for (int i = 0; i < {O}; i++) {Y("i")} = {L("i")} * (1f / 32768);                  // Q0.15 state");
            else
                switch (m.Head.Activation)
                {
                    case HeadActivation.Softmax:
                        w.Line("// softmax: exp(y − max y) by table (Q0.15), normalized in float");
                        w.Line("int max = int.MinValue;");
                        w.Line($"for (int i = 0; i < {O}; i++) max = global::System.Math.Max(max, {L("i")});");
                        w.Line($"int sum = 0;                                                              // ≤ O·32767 < 2^31");
                        w.Line($"for (int i = 0; i < {O}; i++) sum += Exp({L("i")} - max);");
                        w.Line($"for (int i = 0; i < {O}; i++) {Y("i")} = Exp({L("i")} - max) / (float)sum;");
                        break;
                    case HeadActivation.Sigmoid:
                        w.Line($"for (int i = 0; i < {O}; i++) {Y("i")} = Sigmoid({L("i")}) * (1f / 32768);");
                        break;
                    case HeadActivation.Tanh:
                        w.Line($"for (int i = 0; i < {O}; i++) {Y("i")} = Tanh({L("i")}) * (1f / 32768);");
                        break;
                    case HeadActivation.Relu:
                        w.Line($"for (int i = 0; i < {O}; i++) {Y("i")} = ({L("i")} > 0 ? {L("i")} : 0) * (1f / {I(FixedPoint.OneQ12)});   // relu on Q.12");
                        break;
                    default:
                        w.Line($"for (int i = 0; i < {O}; i++) {Y("i")} = {L("i")} * (1f / {I(FixedPoint.OneQ12)});            // Q.12");
                        break;
                }
            if (m.OutputScaling is not null)
            {
                w.Line("// output = y · scale + offset");
                w.Line($"ref float scale = ref {MemoryMarshal}.GetReference(OutputScale);");
                w.Line($"ref float offset = ref {MemoryMarshal}.GetReference(OutputOffset);");
                w.Line($"for (int i = 0; i < {O}; i++) {Y("i")} = {Y("i")} * {Unsafe}.Add(ref scale, i) + {Unsafe}.Add(ref offset, i);");
            }
        }
        w.Line();

        if (m.Embedding is not null) return;
        using (w.Block("private static void QuantizeInputs(ref float input, ref short xs)"))
        {
            w.Line($"ref float mean = ref {MemoryMarshal}.GetReference(InputMean);");
            w.Line($"ref float multiplier = ref {MemoryMarshal}.GetReference(InputMultiplier);");
            w.Line($"for (int i = 0; i < {I(m.InputSize)}; i++)");
            w.Line($"    {Unsafe}.Add(ref xs, i) = (short)(QuantizeInput(({Unsafe}.Add(ref input, i) - {Unsafe}.Add(ref mean, i)) * {Unsafe}.Add(ref multiplier, i), {I(fp.InputZeroPoint)}) - {I(fp.InputZeroPoint)});");
            if (m.InputSize % 2 == 1) w.Line($"{Unsafe}.Add(ref xs, {I(m.InputSize)}) = 0;");
        }
        w.Line();
    }

    /// <summary>The integer operations of <see cref="FixedPoint"/>, spelled out with its constants.</summary>
    private static void EmitArithmetic(IndentedWriter w, FixedPointGruModel fp)
    {
        int limit = FixedPoint.PreShiftedLimit, step = FixedPoint.TableStepBits, end = 8 * FixedPoint.OneQ12;
        w.Line("// ---- FixedPoint's integer arithmetic (docs/quantization.md); every operation int32, shifts arithmetic ----");
        w.Line("/// <summary>acc → Q.12: t = clamp(acc >> pre, ±" + I(limit) + "); (t·m + round) >> s, q = [pre][m][round = 2^(s−1)][s], each [rows]. |t·m| ≤ 524287·4095 and round ≤ 2^12: below 2^31.</summary>");
        w.Line(Inline);
        using (w.Block("private static int Requantize(int acc, ref int q, int row, int rows)"))
        {
            w.Line($"ref int r = ref {Unsafe}.Add(ref q, row);");
            w.Line("int t = acc >> r;");
            w.Line($"if (t > {I(limit)}) t = {I(limit)};");
            w.Line($"else if (t < -{I(limit)}) t = -{I(limit)};");
            w.Line($"return (t * {Unsafe}.Add(ref r, rows) + {Unsafe}.Add(ref r, 2 * rows)) >> {Unsafe}.Add(ref r, 3 * rows);");
        }
        w.Line();
        w.Line("/// <summary>tanh of Q.12 as Q0.15: table over [0, 8] in steps of 1/64, linear interpolation, odd symmetry, 32767 beyond 8.</summary>");
        w.Line(Inline);
        using (w.Block("private static int Tanh(int x)"))
        {
            w.Line("int a = x < 0 ? -x : x;");
            w.Line("int y;");
            w.Line($"if (a >= {I(end)}) y = 32767;");
            using (w.Block("else"))
            {
                w.Line($"int i = a >> {I(step)}, f = a & {I((1 << step) - 1)};");
                w.Line($"ref short t = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference(TanhTable), i);");
                w.Line("int t0 = t;");
                w.Line($"y = t0 + ((({Unsafe}.Add(ref t, 1) - t0) * f + {I(1 << (step - 1))}) >> {I(step)});");
            }
            w.Line("return x < 0 ? -y : y;");
        }
        w.Line();
        w.Line("/// <summary>σ of Q.12 as Q0.15: (Tanh(x >> 1) + 32768) >> 1.</summary>");
        w.Line(Inline);
        w.Line("private static int Sigmoid(int x) => (Tanh(x >> 1) + 32768) >> 1;");
        w.Line();
        if (fp.GateSlope == 0)
        {
            w.Line("/// <summary>The r and z gate: σ.</summary>");
            w.Line(Inline);
            w.Line("private static int Gate(int x) => Sigmoid(x);");
        }
        else
        {
            int hl = FixedPoint.HardSigmoidInputLimit;
            w.Line($"/// <summary>The r and z gate: the {(fp.Model.GateActivation == GateActivation.HardSigmoidKeras2 ? "Keras 2 hard sigmoid clip(0.2x + 0.5, 0, 1), slope 1.6" : "Keras 3 hard sigmoid clip(x/6 + 0.5, 0, 1), slope 4/3")} from Q.12 to Q0.15 in Q.15.</summary>");
            w.Line(Inline);
            w.Line("private static int Gate(int x) => HardSigmoid(x);");
            w.Line();
            w.Line($"/// <summary>clamp(16384 + ((clamp(x, ±{I(hl)}) · {I(fp.GateSlope)} + 2^14) >> 15), 0, 32767): |x · slope| &lt; 2^30.</summary>");
            w.Line(Inline);
            using (w.Block("private static int HardSigmoid(int x)"))
            {
                w.Line($"int p = x > {I(hl)} ? {I(hl)} : x < -{I(hl)} ? -{I(hl)} : x;");
                w.Line($"int y = 16384 + ((p * {I(fp.GateSlope)} + 16384) >> 15);");
                w.Line("return y > 32767 ? 32767 : y < 0 ? 0 : y;");
            }
        }
        w.Line();
        w.Line("/// <summary>exp of Q.12 x ≤ 0 as Q0.15: table over [−8, 0], 0 below −8.</summary>");
        w.Line(Inline);
        using (w.Block("private static int Exp(int x)"))
        {
            w.Line("int a = -x;");
            w.Line($"if (a >= {I(end)}) return 0;");
            w.Line($"int i = a >> {I(step)}, f = a & {I((1 << step) - 1)};");
            w.Line($"ref short t = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference(ExpTable), i);");
            w.Line("int t0 = t;");
            w.Line($"return t0 + ((({Unsafe}.Add(ref t, 1) - t0) * f + {I(1 << (step - 1))}) >> {I(step)});");
        }
        w.Line();
        w.Line("/// <summary>(a·b + 2^14) >> 15.</summary>");
        w.Line(Inline);
        w.Line("private static int MultiplyQ15(int a, int b) => (a * b + 16384) >> 15;");
        w.Line();
        w.Line(Inline);
        w.Line("private static int Clamp(int x, int limit) => x > limit ? limit : x < -limit ? -limit : x;");
        w.Line();
        w.Line("/// <summary>float → int8: saturate to ±255, round half away from zero, add the zero point, saturate to [−128, 127]; NaN → −128.</summary>");
        w.Line(Inline);
        using (w.Block("private static int QuantizeInput(float u, int zeroPoint)"))
        {
            w.Line("if (!(u > -255f)) u = -255f;");
            w.Line("if (u > 255f) u = 255f;");
            w.Line("int q = u >= 0f ? (int)(u + 0.5f) : -(int)(0.5f - u);");
            w.Line("q += zeroPoint;");
            w.Line("return q > 127 ? 127 : q < -128 ? -128 : q;");
        }
        w.Line();
        // The portable multiply-add of adjacent int16 pairs (each pair sum ≤ 2·127·32767, exact), for a Vector128
        // platform that is neither x86 nor ARM64; Int8MultiplyAddTo writes the x86 and ARM64 forms out. Dp's sdot
        // multiplies int8 by int8 and x here is int16 (x − zp spans ±255, h is Q0.15), so it does not apply.
        w.Line("/// <summary>acc + (w[2i]·v[2i] + w[2i+1]·v[2i+1]) per int32 lane, portable widening (neither SSE2 nor AdvSimd).</summary>");
        using (w.Block($"private static {V128}<int> Madd128({V128}<int> acc, {V128}<short> w, {V128}<short> v)"))
        {
            w.Line($"var (wl, wh) = {V128}.Widen(w);");
            w.Line($"var (vl, vh) = {V128}.Widen(v);");
            w.Line("var pl = wl * vl;");
            w.Line("var ph = wh * vh;");
            string E(string v, int i) => $"{V128}.GetElement({v}, {i})";
            w.Line($"return acc + {V128}.Create({E("pl", 0)} + {E("pl", 1)}, {E("pl", 2)} + {E("pl", 3)}, {E("ph", 0)} + {E("ph", 1)}, {E("ph", 2)} + {E("ph", 3)});");
        }
        w.Line();
    }

    private static void EmitData(IndentedWriter w, FixedPointGruModel fp, List<Layer> layers, Int8Matrix? head)
    {
        var m = fp.Model;
        w.Line("// ---- constants: read-only data in the assembly image (no allocation) ----");
        for (int k = 0; k < layers.Count; k++)
        {
            var l = layers[k];
            EmitSBytes(w, $"Layer{k}InputWeights", l.W, $"W of layer {k}: [3H, I] = [{3 * l.H}, {l.Fp.InputSize}] int8, gate blocks r, z, n, packed by column pairs in groups of 16 rows.");
            if (l.Un is null)
                EmitSBytes(w, $"Layer{k}RecurrentWeights", l.U, $"U of layer {k}: [3H, H] = [{3 * l.H}, {l.H}] int8, packed like W.");
            else
            {
                EmitSBytes(w, $"Layer{k}RecurrentRzWeights", l.U, $"U_r and U_z of layer {k}: [2H, H] = [{2 * l.H}, {l.H}] int8, packed like W.");
                EmitSBytes(w, $"Layer{k}RecurrentNWeights", l.Un, $"U_n of layer {k}: [H, H] = [{l.H}, {l.H}] int8, packed like W.");
            }
            EmitInts(w, $"Layer{k}InputRequantization", Requantizations(l.Fp.InputRequantization), $"W·x → Q.12 per row of layer {k}: [3H] × (pre-shift, multiplier, rounding, shift).");
            EmitInts(w, $"Layer{k}RecurrentRequantization", Requantizations(l.Fp.RecurrentRequantization), $"U·h → Q.12 per row of layer {k}: [3H] × (pre-shift, multiplier, rounding, shift).");
            EmitInts(w, $"Layer{k}GateBias", l.Fp.GateBias, $"Q.12 biases of layer {k} outside the reset product: [3H].");
            if (l.Un is null) EmitInts(w, $"Layer{k}RecurrentNBias", l.Fp.RecurrentNBias, $"Q.12 b_hn of layer {k}, inside the reset product: [H].");
        }
        for (int d = 0; d < fp.Dense.Count; d++)
        {
            var l = fp.Dense[d];
            EmitBytes(w, $"Dense{d}Weights", "sbyte", l.Weights.Select(v => unchecked((byte)v)).ToArray(), 32, $"W of dense layer {d}: [{l.OutputSize}, {l.InputSize}] int8, row-major.");
            EmitInts(w, $"Dense{d}Requantization", Requantizations(l.Requantization), $"Dense layer {d} accumulators → {(l.OutputIsQ15 ? "Q.12" : "output units")}: [{l.OutputSize}] × (pre-shift, multiplier, rounding, shift).");
            EmitInts(w, $"Dense{d}Bias", l.Bias, $"Dense layer {d} biases in {(l.OutputIsQ15 ? "Q.12" : "output units")}: [{l.OutputSize}].");
        }
        if (fp.EmbeddingTable is { } table)
            EmitBytes(w, "EmbeddingTable", "sbyte", table.Select(v => unchecked((byte)v)).ToArray(), 32,
                $"The embedding E as int8 with one scale: [V, E] = [{m.Embedding!.VocabularySize}, {m.Embedding.EmbeddingSize}], one row per token id.");
        if (head is not null)
        {
            EmitSBytes(w, "HeadWeights", head, $"Head W: [O, {(fp.Dense.Count > 0 ? "D" : "H")}] = [{m.OutputSize}, {m.Head!.InputSize}] int8, packed like the layers.");
            EmitInts(w, "HeadRequantization", Requantizations(fp.HeadRequantization!), "Head accumulators → Q.12 logits: [O] × (pre-shift, multiplier, rounding, shift).");
            EmitInts(w, "HeadBias", fp.HeadBias!, "Q.12 head biases: [O].");
        }
        if (m.Embedding is null)
        {
            NetModelEmitter.EmitArray(w, "InputMean", fp.InputMean, "Subtracted from the raw input: [I].");
            NetModelEmitter.EmitArray(w, "InputMultiplier", fp.InputMultiplier, "1 / (std · input scale): [I].");
        }
        if (m.OutputScaling is { } scaling)
        {
            NetModelEmitter.EmitArray(w, "OutputScale", scaling.Scale, "Output scales: [O].");
            NetModelEmitter.EmitArray(w, "OutputOffset", scaling.Offset, "Output offsets: [O].");
        }
        EmitShorts(w, "TanhTable", FixedPointTables.Tanh, "tanh(i/64) in Q0.15, i = 0 … 512.");
        EmitShorts(w, "ExpTable", FixedPointTables.Exp, "exp(−i/64) in Q0.15, i = 0 … 512.");
    }

    /// <summary>[4][rows]: pre-shifts, multipliers, rounding terms 2^(s−1), shifts (separate runs so that 8 rows load as one vector each).</summary>
    private static int[] Requantizations(Requantization[] rq) =>
        rq.Select(q => q.PreShift).Concat(rq.Select(q => q.Multiplier)).Concat(rq.Select(q => 1 << (q.Shift - 1))).Concat(rq.Select(q => q.Shift)).ToArray();

    private static void EmitSBytes(IndentedWriter w, string name, Int8Matrix m, string doc) =>
        EmitBytes(w, name, "sbyte", m.Data.Select(v => unchecked((byte)v)).ToArray(), 32, doc);

    private static void EmitInts(IndentedWriter w, string name, int[] values, string doc) =>
        EmitBytes(w, name, "int", values.SelectMany(v => LittleEndian(BitConverter.GetBytes(v))).ToArray(), 16, doc);

    private static void EmitShorts(IndentedWriter w, string name, short[] values, string doc) =>
        EmitBytes(w, name, "short", values.SelectMany(v => LittleEndian(BitConverter.GetBytes(v))).ToArray(), 32, doc);

    private static byte[] LittleEndian(byte[] bytes)
    {
        if (!BitConverter.IsLittleEndian) Array.Reverse(bytes);
        return bytes;
    }

    /// <summary>A <c>ReadOnlySpan&lt;byte&gt;</c> over RVA data reinterpreted as <paramref name="type"/> (see NetModelEmitter.EmitArray).</summary>
    private static void EmitBytes(IndentedWriter w, string name, string type, byte[] bytes, int perLine, string doc)
    {
        w.Line($"/// <summary>{CSharpLiterals.XmlText(doc)}</summary>");
        w.Line($"private static global::System.ReadOnlySpan<{type}> {name}");
        w.Line("{");
        w.Indent();
        w.Line(Inline);
        // The explicit ReadOnlySpan<byte> makes the compiler point at the data: passed as byte[], overload resolution
        // would pick Cast(Span<byte>) and allocate the array on every access.
        w.Line($"get => {MemoryMarshal}.Cast<byte, {type}>((global::System.ReadOnlySpan<byte>)new byte[]");
        w.Line("{");
        w.Indent();
        foreach (var row in CSharpLiterals.Rows(bytes, perLine))
            w.Line(string.Join(", ", row.Select(b => b.ToString(CultureInfo.InvariantCulture))) + ",");
        w.Outdent();
        w.Line("});");
        w.Outdent();
        w.Line("}");
    }
}

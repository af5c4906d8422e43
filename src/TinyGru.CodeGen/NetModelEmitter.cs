using System.Globalization;
using TinyGru.Model;

namespace TinyGru.CodeGen;

/// <summary>
/// Emits the C# of a generated model for .NET 8+ (JIT and NativeAOT): constants for every size, hidden state in
/// [InlineArray] fields, weights as read-only static data in the <see cref="NetModelPlan"/> layout, and one step
/// method per SIMD width (512/256/128 bits and scalar) behind a dispatcher the JIT resolves at compile time.
/// </summary>
public static class NetModelEmitter
{
    /// <summary>
    /// Input columns up to which a register-resident layer's W·x is unrolled. Its h columns always are (such a layer has
    /// H ≤ 32 by construction): the H = 32 step measured 10 % faster than with a 2-column loop.
    /// </summary>
    public const int RegisterLayerUnrollColumns = 32;

    private const string AggressiveInlining = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]";

    /// <summary>Largest number of embedded weight floats (padding included) the .NET target accepts.</summary>
    public const long MaxEmbeddedFloats = 1L << 20;

    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";
    private const string MemoryMarshal = "global::System.Runtime.InteropServices.MemoryMarshal";
    private const string Span = "global::System.Span<float>";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    /// <summary>Emits the source file for <paramref name="model"/>.</summary>
    public static string Emit(GruModel model, NetEmitOptions options)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        if (model.Precision == TinyGru.Model.Quantization.ModelPrecision.Int8) return NetInt8Emitter.Emit(model, options);
        NetSeriesTransformEmitter.Check(model, options.SourceName);
        var plan = NetModelPlan.Create(model, options.FoldEmbedding);
        if (plan.HasInt8Weights)
        {
            // int8 weights cost a byte each: the limit is the integer-only target's, in bytes of everything embedded.
            long bytes = Int8WeightsData(plan).Sum(a => a.Int8Bytes + a.FloatBytes);
            if (bytes > NetInt8Emitter.MaxEmbeddedBytes)
                throw new ModelFormatException(options.SourceName, null,
                    $"the model needs {bytes} bytes of embedded int8 weights, scales and biases; the .NET target embeds at most {NetInt8Emitter.MaxEmbeddedBytes}");
        }
        else if (plan.EmbeddedFloats > MaxEmbeddedFloats)
            throw new ModelFormatException(options.SourceName, null,
                $"the model needs {plan.EmbeddedFloats} embedded weights; the .NET target embeds at most {MaxEmbeddedFloats}");
        var w = new IndentedWriter();
        var enclosing = OpenFile(w, options);

        EmitTypeDoc(w, plan, options);
        string access = options.Accessibility is null ? "" : options.Accessibility + " ";
        using (w.Block($"{access}partial {options.TypeKeyword} {options.TypeName} : global::TinyGru.IGruModel"))
        {
            EmitConstants(w, plan.Model, options, seriesStateInStateSize: true);
            EmitState(w, plan);
            NetSeriesTransformEmitter.EmitFields(w, plan.Model);
            EmitPublicApi(w, plan, options);
            NetSeriesTransformEmitter.EmitMethods(w, plan.Model);
            var paths = Paths(plan).ToList();
            foreach (var flavor in paths) EmitPath(w, plan, flavor, options);
            if (plan.HasInt8Weights)
            {
                EmitInt8ToSingle(w, paths);
                foreach (var array in Int8WeightsData(plan)) array.Emit(w);
            }
            else EmitWeights(w, plan);
        }

        CloseFile(enclosing);
        return w.ToString();
    }

    /// <summary>Suffixes of the per-path step methods emitted for <paramref name="model"/> ("512", "256", "128", "Scalar"), widest first.</summary>
    public static IReadOnlyList<string> PathSuffixes(GruModel model) =>
        model.Precision == TinyGru.Model.Quantization.ModelPrecision.Int8
            ? NetInt8Emitter.Paths.Select(p => p.Suffix).ToList()
            : Paths(NetModelPlan.Create(model)).Select(p => p.Suffix).ToList();

    /// <summary>The SIMD paths worth emitting: scalar always, and each width up to the widest granule.</summary>
    internal static IEnumerable<VectorFlavor> Paths(NetModelPlan plan)
    {
        int widest = plan.WidestGranule;
        if (widest >= 16) yield return VectorFlavor.V512;
        if (widest >= 8) yield return VectorFlavor.V256;
        if (widest >= 4) yield return VectorFlavor.V128;
        yield return VectorFlavor.Scalar;
    }

    private static string I(long v) => CSharpLiterals.Int(v);

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static void EmitTypeDoc(IndentedWriter w, NetModelPlan plan, NetEmitOptions options)
    {
        var m = plan.Model;
        var f = ModelFootprint.Of(m);
        string conv = m.Convention == GateConvention.ResetAfter
            ? "reset-after: n = tanh(Wn·x + b_in + r ⊙ (Un·h + b_hn)) (PyTorch nn.GRU, ONNX linear_before_reset=1)"
            : "reset-before: n = tanh(Wn·x + b_in + Un·(r ⊙ h) + b_hn) (ONNX linear_before_reset=0, Keras reset_after=False)";
        w.Line("/// <summary>");
        w.Line($"/// GRU model generated by TinyGru from <c>{CSharpLiterals.XmlText(options.SourceName)}</c> (sha256 <c>{options.SourceHash}</c>)" +
               (m.Metadata.Name is null ? "." : $", model \"{CSharpLiterals.XmlText(m.Metadata.Name)}\"."));
        string input = plan.Embedding is { } emb
            ? $"Token id 0 … {emb.VocabularySize - 1} → embedding [{emb.VocabularySize}, {emb.EmbeddingSize}]"
            : $"Input {m.InputSize}";
        w.Line($"/// {input} → GRU {string.Join(" → ", m.Layers.Select(l => l.HiddenSize))}" +
               string.Concat(m.DenseLayers.Select(d => $" → dense {d.OutputSize} ({TinyGruModelFile.ActivationName(d.Activation)})")) + $" → output {m.OutputSize}.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line($"/// <para>Gates r, z, n; {CSharpLiterals.XmlText(conv)}; h' = (1 − z) ⊙ n + z ⊙ h; state starts at zero.</para>");
        if (m.GateActivation != GateActivation.Sigmoid)
            w.Line("/// <para>" + CSharpLiterals.XmlText(m.GateActivation == GateActivation.HardSigmoidKeras2
                ? "r and z use the Keras 2 / TF.js hard sigmoid σ(x) = clip(0.2·x + 0.5, 0, 1)."
                : "r and z use the Keras 3 hard sigmoid σ(x) = clip(x/6 + 0.5, 0, 1) = relu6(x + 3) / 6.") + "</para>");
        if (m.HiddenDenseLayers.Count > 0)
            w.Line($"/// <para>Head: {m.DenseLayers.Count} dense layers x_(d+1) = act_d(W_d·x_d + b_d): {string.Join(" → ", m.DenseLayers.Select(d => $"[{d.OutputSize}, {d.InputSize}] {TinyGruModelFile.ActivationName(d.Activation)}"))}.</para>");
        if (plan.Embedding is { } e)
        {
            int row = plan.Layers[0].PaddedHidden * 3;
            w.Line($"/// <para>Token input: each step takes one id t in 0 … {e.VocabularySize - 1} (<c>Step(int, Span&lt;float&gt;)</c>, or the id as a whole float through " +
                   "<c>Step(ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;)</c>); other ids throw ArgumentOutOfRangeException. " + (e.Folded
                ? $"The embedding is folded: layer 0's W·E[t] + b_i for every id is a [{e.VocabularySize}, {row}] float32 table ({N(4L * e.VocabularySize * row)} bytes), so layer 0 reads one row instead of computing W·x.</para>"
                : $"The embedding table E [{e.VocabularySize}, {e.EmbeddingSize}] is embedded{(plan.HasInt8Weights ? " as int8 with one scale per row" : "")} and layer 0 computes W·E[t] (folding it would take a [{e.VocabularySize}, {row}] table of {N(4L * e.VocabularySize * row)} bytes).</para>"));
        }
        // The narrow paths' own copies of strided matrices (KernelPlanner.OwnLayoutsUpToFloats) count in what is embedded.
        long copies = OwnLayoutMatrices(plan).Sum(c => (long)c.Matrix.Data.Length);
        if (plan.HasInt8Weights)
            w.Line($"/// <para>{N(m.ParameterCount)} parameters; state {I(plan.Layers.Sum(l => l.PaddedHidden) * 4)} bytes ({m.StateSize} floats, padded to vector width).</para>");
        else
            w.Line($"/// <para>{m.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters; {f.Float32WeightBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes of float32 weights " +
                   $"({((plan.EmbeddedFloats + copies) * 4).ToString("N0", CultureInfo.InvariantCulture)} bytes embedded with vector padding); state {I(plan.Layers.Sum(l => l.PaddedHidden) * 4)} bytes " +
                   $"({m.StateSize} floats, padded to vector width).</para>");
        if (plan.HasInt8Weights)
        {
            // Counted from the arrays Emit writes, so the figures are what the code embeds.
            var data = Int8WeightsData(plan);
            long int8Bytes = data.Sum(a => a.Int8Bytes), scaleBytes = data.Where(a => a.IsRowScales).Sum(a => a.FloatBytes);
            long otherBytes = data.Where(a => !a.IsRowScales).Sum(a => a.FloatBytes);
            w.Line($"/// <para>Precision int8-weights: embedded as {N(int8Bytes)} bytes of int8 (sbyte) weights, layers and head, plus {N(scaleBytes)} bytes of float32 row scales " +
                   $"and {N(otherBytes)} bytes of float32 biases{(m.InputNormalization is null && m.OutputScaling is null ? "" : ", normalization and output scaling")}: " +
                   $"{N(int8Bytes + scaleBytes + otherBytes)} bytes with vector padding, against {N((plan.EmbeddedFloats + copies) * 4)} for the float32 code of the same model " +
                   $"(the file's int8-weights form: {N(f.Int8WeightBytes)}). The kernels widen int8 lanes to float32, sum q·x with multiply-adds and multiply each row's sum " +
                   $"by its scale, within 1e-5 of GruReferenceEngine's q·scale weights. RAM: state as above plus per-step stack scratch.</para>");
        }
        if (copies > 0)
            w.Line($"/// <para>Of the embedded weights, {N(copies * (plan.HasInt8Weights ? 1 : 4))} bytes are copies for the narrower SIMD paths ({string.Join(", ", OwnLayoutMatrices(plan).Select(c => c.Name))}): " +
                   "the same matrices cut into one chunk per pass, so a path that would walk a shared chunk in strided passes streams its weights sequentially.</para>");
        if (m.InputNormalization is not null) w.Line("/// <para>Inputs are raw values: the model normalizes them with the training mean and standard deviation.</para>");
        if (m.OutputScaling is not null) w.Line("/// <para>Outputs are in the user's units: the model rescales them with the training scale and offset.</para>");
        NetSeriesTransformEmitter.EmitDoc(w, m, inStateSize: true);
        w.Line("/// <para>Step allocates nothing and checks only the two span lengths. A default instance is in the zero state.</para>");
        w.Line("/// </remarks>");
    }

    /// <summary>
    /// The file header (auto-generated marker, source and hash) and the opening of the namespace and containing types;
    /// <see cref="CloseFile"/> closes them. Shared by the float and int8 emitters.
    /// </summary>
    internal static List<IndentedWriter.Scope> OpenFile(IndentedWriter w, NetEmitOptions options)
    {
        w.Line("// <auto-generated/>");
        w.Line($"// Generated by TinyGru from {options.SourceName} (sha256 {options.SourceHash}). Do not edit: change the model and rebuild.");
        w.Line("#nullable enable");
        w.Line("#pragma warning disable CS1591 // members are documented below where it helps");
        w.Line();
        IndentedWriter.Scope? ns = options.Namespace is null ? null : w.Block("namespace " + options.Namespace);
        var containing = new List<IndentedWriter.Scope>();
        foreach (var outer in options.ContainingTypes) containing.Add(w.Block(outer));
        if (ns is { } n) containing.Insert(0, n);
        return containing;
    }

    /// <summary>Closes what <see cref="OpenFile"/> opened, innermost first.</summary>
    internal static void CloseFile(List<IndentedWriter.Scope> enclosing)
    {
        for (int i = enclosing.Count - 1; i >= 0; i--) enclosing[i].Dispose();
    }

    /// <summary>The size constants every target's generated type has.</summary>
    internal static void EmitSizeConstants(IndentedWriter w, GruModel m)
    {
        if (m.Embedding is { } e)
        {
            w.Line("/// <summary>Values per step: 1, the token id (an embedding model).</summary>");
            w.Line($"public const int InputSize = {I(m.StepInputSize)};");
            w.Line("/// <summary>Number of token ids V: valid ids are 0 … V − 1.</summary>");
            w.Line($"public const int VocabularySize = {I(e.VocabularySize)};");
            w.Line("/// <summary>Size E of one embedding vector (the first GRU layer's input size).</summary>");
            w.Line($"public const int EmbeddingSize = {I(e.EmbeddingSize)};");
        }
        else
        {
            w.Line("/// <summary>Input features per step (I).</summary>");
            w.Line($"public const int InputSize = {I(m.InputSize)};");
        }
        w.Line("/// <summary>Outputs per step (O).</summary>");
        w.Line($"public const int OutputSize = {I(m.OutputSize)};");
        w.Line("/// <summary>Hidden size of the last GRU layer.</summary>");
        w.Line($"public const int HiddenSize = {I(m.LastHiddenSize)};");
        w.Line("/// <summary>Number of stacked GRU layers.</summary>");
        w.Line($"public const int LayerCount = {I(m.Layers.Count)};");
    }

    /// <summary>The <c>Run</c> method: a whole [T, I] sequence through <c>Step</c> (shared by the float and int8 emitters).</summary>
    /// <summary>The one length check at the top of every Step: a compare inline, the throw out of line so Step stays small enough to inline its core.</summary>
    internal const string LengthCheck = "if (input.Length != InputSize || output.Length != OutputSize) ThrowLengthMismatch(input.Length, output.Length);";

    /// <summary>A token step's checks: the output length, and the id against V (nothing is read outside the table).</summary>
    internal const string OutputCheck = "if (output.Length != OutputSize) ThrowLengthMismatch(InputSize, output.Length);";

    internal const string TokenCheck = "if ((uint)token >= (uint)VocabularySize) ThrowTokenOutOfRange(token);";

    internal static void EmitLengthMismatchThrow(IndentedWriter w)
    {
        w.Line("[global::System.Diagnostics.CodeAnalysis.DoesNotReturn]");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        w.Line("private static void ThrowLengthMismatch(int input, int output) =>");
        w.Line("    throw new global::System.ArgumentException($\"expected input of length {InputSize} and output of length {OutputSize}, got {input} and {output}\");");
        w.Line();
    }

    internal static void EmitRun(IndentedWriter w)
    {
        w.Line("/// <summary>Runs a [T, InputSize] sequence from the current state into [T, OutputSize] outputs.</summary>");
        using (w.Block($"public void Run({ReadOnlySpan} sequence, {Span} outputs)"))
        {
            w.Line("if (sequence.Length % InputSize != 0 || outputs.Length != sequence.Length / InputSize * OutputSize)");
            w.Line("    throw new global::System.ArgumentException($\"expected a sequence of T·{InputSize} values and T·{OutputSize} outputs, got {sequence.Length} and {outputs.Length}\");");
            using (w.Block("for (int t = 0; t < sequence.Length / InputSize; t++)"))
                w.Line("Step(sequence.Slice(t * InputSize, InputSize), outputs.Slice(t * OutputSize, OutputSize));");
        }
        w.Line();
    }

    /// <summary>One <c>LabelK</c> constant per class label.</summary>
    internal static void EmitLabelConstants(IndentedWriter w, IReadOnlyList<string> labels)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            w.Line($"/// <summary>Class label of output {i}.</summary>");
            w.Line($"public const string Label{I(i)} = {CSharpLiterals.String(labels[i])};");
        }
    }

    /// <summary>
    /// Constants, the <see cref="T:TinyGru.IGruModel"/> sizes and, for classifiers, the labels and the classifying step:
    /// the members every .NET target's generated type has (shared by the float and int8 emitters).
    /// </summary>
    internal static void EmitConstants(IndentedWriter w, GruModel m, NetEmitOptions options, string stateUnit = "Floats", bool seriesStateInStateSize = false)
    {
        EmitSizeConstants(w, m);
        int series = seriesStateInStateSize ? NetSeriesTransformEmitter.StateSize(m) : 0;
        w.Line($"/// <summary>{stateUnit} of recurrent state: every layer's hidden size, layer 0 first{(series == 0 ? "" : $", then the {series} floats of series transform state")}.</summary>");
        w.Line($"public const int StateSize = {I(m.StateSize + series)};");
        EmitIdentityConstants(w, m, options.SourceName, options.SourceHash);
        w.Line("int global::TinyGru.IGruModel.InputSize => InputSize;");
        w.Line("int global::TinyGru.IGruModel.OutputSize => OutputSize;");
        var labels = m.Metadata.ClassLabels;
        if (labels.Count > 0)
        {
            w.Line();
            EmitLabelConstants(w, labels);
            w.Line("/// <summary>The class label of output <paramref name=\"classIndex\"/>.</summary>");
            using (w.Block("public static string GetLabel(int classIndex) => classIndex switch", "};"))
            {
                for (int i = 0; i < labels.Count; i++) w.Line($"{I(i)} => Label{I(i)},");
                w.Line("_ => throw new global::System.ArgumentOutOfRangeException(nameof(classIndex)),");
            }
        }
        if (m.Head?.Activation == HeadActivation.Softmax)
        {
            w.Line();
            w.Line("/// <summary>The index of the largest of <paramref name=\"scores\"/> (the first of equal ones): the class of a probability vector.</summary>");
            using (w.Block($"public static int ArgMax({ReadOnlySpan} scores)"))
            {
                w.Line("if (scores.Length == 0) throw new global::System.ArgumentException(\"expected at least one score\", nameof(scores));");
                w.Line("int best = 0;");
                w.Line("for (int o = 1; o < scores.Length; o++) if (scores[o] > scores[best]) best = o;");
                w.Line("return best;");
            }
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Advances the model one timestep (as <c>Step</c>), writes the class probabilities [OutputSize] into");
            w.Line("/// <paramref name=\"probabilities\"/> and returns the most probable class (<see cref=\"ArgMax\"/>).");
            w.Line("/// </summary>");
            using (w.Block($"public int StepAndClassify({ReadOnlySpan} input, {Span} probabilities)"))
            {
                w.Line("Step(input, probabilities);");
                w.Line("return ArgMax(probabilities);");
            }
        }
        w.Line();
    }

    /// <summary>
    /// The model's identity in code, so firmware can log and report which model it runs: its name, the SHA-256 of the
    /// file it was generated from and the TinyGru version that generated it (shared with the nanoFramework emitter).
    /// </summary>
    internal static void EmitIdentityConstants(IndentedWriter w, GruModel m, string sourceName, string sourceHash)
    {
        string name = m.Metadata.Name ?? System.IO.Path.GetFileNameWithoutExtension(sourceName);
        w.Line("/// <summary>The model's name (from its file's metadata, else the file name).</summary>");
        w.Line($"public const string ModelName = {CSharpLiterals.String(name)};");
        w.Line("/// <summary>SHA-256 (hex) of the model file this code was generated from.</summary>");
        w.Line($"public const string ModelSha256 = {CSharpLiterals.String(sourceHash)};");
        w.Line("/// <summary>Version of TinyGru that generated this code.</summary>");
        w.Line($"public const string TinyGruVersion = {CSharpLiterals.String(GeneratorVersion)};");
    }

    /// <summary>This assembly's version without SourceLink's "+commit" suffix, so the generated text changes only with a release.</summary>
    internal static readonly string GeneratorVersion = VersionOf(typeof(NetModelEmitter).Assembly);

    private static string VersionOf(System.Reflection.Assembly assembly)
    {
        var informational = (System.Reflection.AssemblyInformationalVersionAttribute?)Attribute.GetCustomAttribute(
            assembly, typeof(System.Reflection.AssemblyInformationalVersionAttribute));
        string version = informational?.InformationalVersion ?? assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        int plus = version.IndexOf('+');
        return plus < 0 ? version : version.Substring(0, plus);
    }

    private static void EmitState(IndentedWriter w, NetModelPlan plan)
    {
        for (int k = 0; k < plan.Layers.Count; k++)
        {
            var l = plan.Layers[k];
            w.Line($"/// <summary>Hidden state of layer {k}: [{l.Spec.HiddenSize}] padded to {l.PaddedHidden} (padding stays 0).</summary>");
            w.Line($"[global::System.Runtime.CompilerServices.InlineArray({I(l.PaddedHidden)})]");
            w.Line($"private struct Layer{k}State {{ private float _element0; }}");
            w.Line($"private Layer{k}State _h{k};");
        }
        w.Line();
    }

    private static void EmitPublicApi(IndentedWriter w, NetModelPlan plan, NetEmitOptions options)
    {
        var m = plan.Model;
        bool series = m.SeriesTransform is not null;
        w.Line(series ? "/// <summary>Sets every hidden state to zero and forgets the series transform's earlier inputs.</summary>" : "/// <summary>Sets every hidden state to zero.</summary>");
        using (w.Block("public void Reset()"))
        {
            for (int k = 0; k < plan.Layers.Count; k++) w.Line($"_h{k} = default;");
            NetSeriesTransformEmitter.EmitReset(w, m);
        }
        w.Line();

        // The state as one [StateSize] span, layer 0 first, then the series transform's; each layer's padding lanes stay private.
        int hidden = m.StateSize;
        void StateMethod(string doc, string signature, string name, Func<int, int, int, string> copy, bool set)
        {
            w.Line($"/// <summary>{doc}</summary>");
            using (w.Block(signature))
            {
                w.Line($"if ({name}.Length != StateSize) throw new global::System.ArgumentException($\"expected a {name} of length {{StateSize}}, got {{{name}.Length}}\");");
                if (set) NetSeriesTransformEmitter.EmitSetValidation(w, m, name, hidden);
                int at = 0;
                for (int k = 0; k < plan.Layers.Count; k++)
                {
                    int h = plan.Layers[k].Spec.HiddenSize;
                    w.Line(copy(k, at, h));
                    at += h;
                }
                if (set) NetSeriesTransformEmitter.EmitSetCopy(w, m, name, hidden);
                else NetSeriesTransformEmitter.EmitCopyTo(w, m, name, hidden);
            }
            w.Line();
        }
        string seriesDoc = NetSeriesTransformEmitter.StateSize(m) == 0 ? "" : ", then the series transform state (the remembered raw inputs, most recent first, then how many are filled)";
        StateMethod($"Copies the hidden states of all layers, layer 0 first{seriesDoc}, into <paramref name=\"destination\"/> [StateSize].",
            $"public void CopyStateTo({Span} destination)", "destination",
            (k, at, h) => $"((global::System.ReadOnlySpan<float>)_h{k}).Slice(0, {I(h)}).CopyTo(destination.Slice({I(at)}, {I(h)}));", set: false);
        StateMethod($"Sets the hidden states of all layers from <paramref name=\"source\"/> [StateSize], layer 0 first{seriesDoc}{(seriesDoc.Length == 0 ? "" : "; the filled count must be a whole number from 0 to History")}.",
            $"public void SetState({ReadOnlySpan} source)", "source",
            (k, at, h) => $"source.Slice({I(at)}, {I(h)}).CopyTo(((global::System.Span<float>)_h{k}).Slice(0, {I(h)}));", set: true);

        if (plan.Embedding is not null)
        {
            EmitTokenApi(w, plan);
            return;
        }

        w.Line("/// <summary>Advances one timestep: <paramref name=\"input\"/> [InputSize] → <paramref name=\"output\"/> [OutputSize].</summary>");
        using (w.Block($"public void Step({ReadOnlySpan} input, {Span} output)"))
        {
            w.Line(NetModelEmitter.LengthCheck);
            EmitSeriesApply(w, m);
            w.Line($"ref float x = ref {MemoryMarshal}.GetReference({(NetSeriesTransformEmitter.HasApply(m) ? "network" : "input")});");
            w.Line($"ref float y = ref {MemoryMarshal}.GetReference(output);");
            var paths = Paths(plan).ToList();
            for (int i = 0; i < paths.Count; i++)
            {
                var p = paths[i];
                if (p.IsScalar) w.Line((i == 0 ? "" : "else ") + $"Core{p.Suffix}(ref x, ref y);");
                else w.Line((i == 0 ? "if" : "else if") + $" ({p.Accelerated}) Core{p.Suffix}(ref x, ref y);");
            }
            EmitSeriesAddBack(w, m);
        }
        w.Line();

        EmitRun(w);

        if (m.Head?.Activation == HeadActivation.Softmax)
        {
            w.Line("/// <summary>Advances one timestep and returns the index of the most probable class.</summary>");
            using (w.Block($"public int Classify({ReadOnlySpan} input)"))
            {
                w.Line($"{Span} probabilities = stackalloc float[OutputSize];");
                w.Line("Step(input, probabilities);");
                w.Line("int best = 0;");
                w.Line("for (int o = 1; o < OutputSize; o++) if (probabilities[o] > probabilities[best]) best = o;");
                w.Line("return best;");
            }
            w.Line();
        }

        foreach (var p in Paths(plan))
        {
            w.Line($"/// <summary>Step on the {(p.IsScalar ? "scalar" : p.Suffix + "-bit")} path whatever the CPU (for tests and benchmarks; <see cref=\"Step\"/> picks the widest accelerated path).</summary>");
            w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
            using (w.Block($"public void Step{p.Suffix}({ReadOnlySpan} input, {Span} output)"))
            {
                w.Line(NetModelEmitter.LengthCheck);
                EmitSeriesApply(w, m);
                w.Line($"Core{p.Suffix}(ref {MemoryMarshal}.GetReference({(NetSeriesTransformEmitter.HasApply(m) ? "network" : "input")}), ref {MemoryMarshal}.GetReference(output));");
                EmitSeriesAddBack(w, m);
            }
            w.Line();
        }

        NetModelEmitter.EmitLengthMismatchThrow(w);
    }

    /// <summary>The series transform before a path's core: the network's input [InputSize] on the stack (the same scalar code for every path).</summary>
    internal static void EmitSeriesApply(IndentedWriter w, GruModel m)
    {
        if (!NetSeriesTransformEmitter.HasApply(m)) return;
        w.Line($"{Span} network = stackalloc float[InputSize];");
        w.Line("SeriesApply(input, network); // x → the transformed input, and remembered");
    }

    /// <summary>The series transform after a path's core: residual outputs + their base.</summary>
    internal static void EmitSeriesAddBack(IndentedWriter w, GruModel m)
    {
        if (NetSeriesTransformEmitter.HasAddBack(m)) w.Line("SeriesAddBack(input, output); // residual: y + base");
    }

    /// <summary>
    /// The public steps of a token model: <c>Step(int token, Span&lt;float&gt;)</c> and per path <c>Step{W}(int, …)</c>,
    /// each checking the id once (ArgumentOutOfRangeException naming it and V, the reference engine's wording), and the
    /// same steps taking the id as a float in a one-value span (whole numbers only, as the reference engine's TokenOf).
    /// </summary>
    private static void EmitTokenApi(IndentedWriter w, NetModelPlan plan)
    {
        var m = plan.Model;
        var paths = Paths(plan).ToList();
        using (EmitTokenStepHeader(w))
        {
            w.Line($"ref float y = ref {MemoryMarshal}.GetReference(output);");
            for (int i = 0; i < paths.Count; i++)
            {
                var p = paths[i];
                if (p.IsScalar) w.Line((i == 0 ? "" : "else ") + $"Core{p.Suffix}(token, ref y);");
                else w.Line((i == 0 ? "if" : "else if") + $" ({p.Accelerated}) Core{p.Suffix}(token, ref y);");
            }
        }
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Advances one timestep with the token id given as a float: <paramref name=\"input\"/> [1] holds a whole number 0 … VocabularySize − 1");
        w.Line("/// (how CSV files and float sequences carry ids); anything else throws <see cref=\"global::System.ArgumentOutOfRangeException\"/>.");
        w.Line("/// </summary>");
        using (w.Block($"public void Step({ReadOnlySpan} input, {Span} output)"))
        {
            w.Line(NetModelEmitter.LengthCheck);
            w.Line("Step(TokenOf(input[0]), output);");
        }
        w.Line();

        EmitRun(w);

        if (m.Head?.Activation == HeadActivation.Softmax)
        {
            w.Line("/// <summary>Advances one timestep with token id <paramref name=\"token\"/> and returns the index of the most probable class.</summary>");
            using (w.Block("public int Classify(int token)"))
            {
                w.Line($"{Span} probabilities = stackalloc float[OutputSize];");
                w.Line("Step(token, probabilities);");
                w.Line("return ArgMax(probabilities);");
            }
            w.Line();
            w.Line("/// <summary>Advances one timestep (the id as a float, as <c>Step</c>) and returns the index of the most probable class.</summary>");
            using (w.Block($"public int Classify({ReadOnlySpan} input)"))
            {
                w.Line($"{Span} probabilities = stackalloc float[OutputSize];");
                w.Line("Step(input, probabilities);");
                w.Line("return ArgMax(probabilities);");
            }
            w.Line();
        }

        foreach (var p in paths)
            EmitTokenPathSteps(w, p.Suffix, () => w.Line($"Core{p.Suffix}(token, ref {MemoryMarshal}.GetReference(output));"));

        EmitTokenHelpers(w);

        NetModelEmitter.EmitLengthMismatchThrow(w);
    }

    /// <summary>
    /// Opens a token model's dispatching <c>Step(int token, Span&lt;float&gt; output)</c> with its doc and checks (the
    /// output length, the id against V); the caller writes the body and disposes the scope. Shared by both emitters.
    /// </summary>
    internal static IndentedWriter.Scope EmitTokenStepHeader(IndentedWriter w)
    {
        w.Line("/// <summary>");
        w.Line("/// Advances one timestep with token id <paramref name=\"token\"/> (0 … VocabularySize − 1) → <paramref name=\"output\"/> [OutputSize].");
        w.Line("/// Throws <see cref=\"global::System.ArgumentOutOfRangeException\"/> for any other id (nothing is read outside the table).");
        w.Line("/// </summary>");
        var scope = w.Block($"public void Step(int token, {Span} output)");
        w.Line(OutputCheck);
        w.Line(TokenCheck);
        return scope;
    }

    /// <summary>
    /// A token model's per-path steps, shared by the float and integer-only emitters: <c>Step{suffix}(int, Span)</c>,
    /// which checks the output length and the id and runs <paramref name="body"/>, and the float-id form over it.
    /// </summary>
    internal static void EmitTokenPathSteps(IndentedWriter w, string suffix, Action body)
    {
        string on = suffix == "Scalar" ? "scalar" : suffix + "-bit";
        w.Line($"/// <summary>Step on the {on} path whatever the CPU (for tests and benchmarks; <see cref=\"Step(int, global::System.Span{{float}})\"/> picks the widest supported path).</summary>");
        w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        using (w.Block($"public void Step{suffix}(int token, {Span} output)"))
        {
            w.Line(OutputCheck);
            w.Line(TokenCheck);
            body();
        }
        w.Line();
        w.Line($"/// <summary>Step on the {on} path with the token id as a float (see <c>Step(ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;)</c>).</summary>");
        w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        using (w.Block($"public void Step{suffix}({ReadOnlySpan} input, {Span} output)"))
        {
            w.Line(LengthCheck);
            w.Line($"Step{suffix}(TokenOf(input[0]), output);");
        }
        w.Line();
    }

    /// <summary>TokenOf (a float id → int, whole numbers 0 … V − 1 only) and the two out-of-line throws naming the id and V (shared with the int8 emitter).</summary>
    internal static void EmitTokenHelpers(IndentedWriter w)
    {
        w.Line("/// <summary>The token id a step's float input stands for: a whole number 0 … VocabularySize − 1, else ArgumentOutOfRangeException.</summary>");
        using (w.Block("private static int TokenOf(float value)"))
        {
            w.Line("if (!(value >= 0f) || value >= VocabularySize || value != (float)global::System.Math.Floor(value)) ThrowTokenNotWhole(value);");
            w.Line("return (int)value;");
        }
        w.Line();
        w.Line("[global::System.Diagnostics.CodeAnalysis.DoesNotReturn]");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        w.Line("private static void ThrowTokenOutOfRange(int token) =>");
        w.Line("    throw new global::System.ArgumentOutOfRangeException(nameof(token), token, $\"token id {token} is outside the vocabulary of {VocabularySize} ids (expected 0 to {VocabularySize - 1})\");");
        w.Line();
        w.Line("[global::System.Diagnostics.CodeAnalysis.DoesNotReturn]");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        w.Line("private static void ThrowTokenNotWhole(float value) =>");
        w.Line("    throw new global::System.ArgumentOutOfRangeException(\"input\", value, $\"token id {value.ToString(\"R\", global::System.Globalization.CultureInfo.InvariantCulture)} is not a whole number from 0 to {VocabularySize - 1} (vocabulary of {VocabularySize} ids)\");");
        w.Line();
    }

    /// <summary>
    /// One SIMD path: Core{W} owns the scratch and calls one method per layer and one for the output. Separate methods
    /// keep each within the JIT's inlining budget; in one large method the JIT stops inlining the FMA and activation
    /// kernels and calls them instead, which was measured 3.5× slower on the 2-layer H=64 case.
    /// </summary>
    private static void EmitPath(IndentedWriter w, NetModelPlan plan, VectorFlavor path, NetEmitOptions options)
    {
        var m = plan.Model;
        int hpMax = plan.MaxPaddedHidden;
        bool resetBefore = m.Convention == GateConvention.ResetBefore;
        // Every schedule decision comes from the path's plan (KernelPlanner); this method only renders it.
        var pathPlan = KernelPlanner.Plan(plan, path.Width);
        // Small models fit in one method: it saves the calls and the spills around them.
        bool inline = pathPlan.InlineLayers;
        string skipLocalsInit = options.SkipLocalsInit ? "[global::System.Runtime.CompilerServices.SkipLocalsInit]" : "";
        bool[] registerLayers = pathPlan.Layers.Select(l => l.RegisterResident).ToArray();
        if (skipLocalsInit.Length > 0) w.Line(skipLocalsInit);
        // Never inlined into Step (and so into the user's caller): the JIT's inlining budget is per compiled method, and
        // a caller that absorbed the whole step ran out of it and called Tanh instead of inlining it (2× slower, measured).
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        var embedding = plan.Embedding;
        using (w.Block(embedding is null ? $"private void Core{path.Suffix}(ref float input, ref float output)" : $"private void Core{path.Suffix}(int token, ref float output)"))
        {
            string x = "input";
            if (embedding is { Folded: true })
            {
                w.Line($"// layer 0's gx = W·E[t] + b_i: row t of the folded table [{embedding.VocabularySize}, {embedding.FoldedRowLength}] (the caller checked t)");
                w.Line($"ref float fx = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference(EmbeddingFoldedInput), token * {I(embedding.FoldedRowLength)});");
                x = "fx";
            }
            else if (embedding is not null && plan.HasInt8Weights)
            {
                w.Line($"// x = E[t] = q[t] · s[t]: the int8 row of the token, dequantized (the caller checked t)");
                w.Line($"{Span} embedded = stackalloc float[{I(embedding.EmbeddingSize)}];");
                w.Line($"ref float xe = ref {MemoryMarshal}.GetReference(embedded);");
                w.Line($"ref sbyte eq = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference(EmbeddingTable), token * {I(embedding.EmbeddingSize)});");
                w.Line($"float es = {Unsafe}.Add(ref {MemoryMarshal}.GetReference(EmbeddingRowScales), token);");
                w.Line($"for (int i = 0; i < {I(embedding.EmbeddingSize)}; i++) {Unsafe}.Add(ref xe, i) = {Unsafe}.Add(ref eq, i) * es;");
                x = "xe";
            }
            else if (embedding is not null)
            {
                w.Line($"// x = E[t]: row t of the embedding [{embedding.VocabularySize}, {embedding.EmbeddingSize}] (the caller checked t)");
                w.Line($"ref float xe = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference(EmbeddingTable), token * {I(embedding.EmbeddingSize)});");
                x = "xe";
            }
            if (m.InputNormalization is not null)
            {
                // Kept per step rather than folded into W and b_i: the folded bias −W·(mean/std) cancels
                // catastrophically against W·x/std for sensors whose mean is large next to their spread.
                w.Line("// x' = (x − mean) / std");
                w.Line($"{Span} normalized = stackalloc float[{I(m.InputSize)}];");
                w.Line($"ref float xn = ref {MemoryMarshal}.GetReference(normalized);");
                w.Line($"ref float mean = ref {MemoryMarshal}.GetReference(InputMean);");
                w.Line($"ref float std = ref {MemoryMarshal}.GetReference(InputStd);");
                w.Line($"for (int i = 0; i < {I(m.InputSize)}; i++) {Unsafe}.Add(ref xn, i) = ({Unsafe}.Add(ref input, i) - {Unsafe}.Add(ref mean, i)) / {Unsafe}.Add(ref std, i);");
                x = "xn";
            }
            // Register-resident layers need no scratch; the others keep their gate pre-activations in it.
            if (!registerLayers.All(r => r))
            {
                w.Line($"{Span} scratch = stackalloc float[{I((resetBefore ? 7 : 6) * hpMax)}];");
                w.Line($"ref float gx = ref {MemoryMarshal}.GetReference(scratch);          // W·x + b_i, gate blocks r, z, n [3Hp]");
                w.Line($"ref float ghRz = ref {Unsafe}.Add(ref gx, {I(3 * hpMax)});     // U_rz·h + b_h,rz [2Hp]");
                w.Line($"ref float ghN = ref {Unsafe}.Add(ref gx, {I(5 * hpMax)});      // U_n·h + b_hn, or U_n·(r ⊙ h) + b_hn [Hp]");
                if (resetBefore) w.Line($"ref float rh = ref {Unsafe}.Add(ref gx, {I(6 * hpMax)});       // r ⊙ h [Hp]");
            }
            string extra = resetBefore ? ", ref rh" : "";
            for (int k = 0; k < plan.Layers.Count; k++)
            {
                w.Line($"ref float h{k} = ref {Unsafe}.As<Layer{k}State, float>(ref _h{k});");
                // A folded layer 0 takes its gx (the table row) where the others take x and the gx scratch.
                w.Line(registerLayers[k] ? $"Layer{k}{path.Suffix}(ref {x}, ref h{k});"
                    : plan.Layers[k].InputFolded ? $"Layer{k}{path.Suffix}(ref {x}, ref h{k}, ref ghRz, ref ghN{extra});"
                    : $"Layer{k}{path.Suffix}(ref {x}, ref h{k}, ref gx, ref ghRz, ref ghN{extra});");
                x = "h" + k;
            }
            for (int d = 0; d < plan.HiddenDense.Count; d++)
            {
                w.Line($"{Span} dense{d}Span = stackalloc float[{I(plan.HiddenDense[d].PaddedOutputs)}];");
                w.Line($"ref float dense{d} = ref {MemoryMarshal}.GetReference(dense{d}Span);");
                w.Line($"Dense{d}{path.Suffix}(ref {x}, ref dense{d});");
                x = $"dense{d}";
            }
            w.Line($"Output{path.Suffix}(ref {x}, ref output);");
        }
        w.Line();

        for (int k = 0; k < plan.Layers.Count; k++)
        {
            var l = plan.Layers[k];
            var schedule = pathPlan.Layers[k];
            var f = path.Narrowed(l.Granule);
            string h = "h";
            w.Line($"// Layer {k}: GRU {l.Spec.InputSize} → {l.Spec.HiddenSize} (Hp = {l.PaddedHidden}, {(f.IsScalar ? "scalar" : f.Suffix + "-bit vectors")}).");
            if (inline) w.Line(AggressiveInlining);
            if (registerLayers[k])
            {
                using (w.Block($"private static void Layer{k}{path.Suffix}(ref float {(l.InputFolded ? "gx" : "x")}, ref float h)"))
                    EmitRegisterLayer(w, f, k, l, schedule.ResidentPartialSums, m.GateActivation);
                w.Line();
                continue;
            }
            using (w.Block(l.InputFolded
                ? $"private static void Layer{k}{path.Suffix}(ref float gx, ref float h, ref float ghRz, ref float ghN{(resetBefore ? ", ref float rh" : "")})"
                : $"private static void Layer{k}{path.Suffix}(ref float x, ref float h, ref float gx, ref float ghRz, ref float ghN{(resetBefore ? ", ref float rh" : "")})"))
            {
                if (l.InputFolded) w.Line("// gx = W·E[t] + b_i: the token's row of the folded embedding table");
                else
                {
                    w.Line($"// gx = W·x + b_i   [3H, I] · [I]");
                    EmitMatVec(w, f, $"Layer{k}InputWeights", l.InputWeights, schedule.Input!, "x", $"Layer{k}InputBias", "gx", Int8(l, $"Layer{k}InputRowScales"));
                }
                w.Line($"// gh_rz = U_rz·h + b_h,rz   [2H, H] · [H]");
                EmitMatVec(w, f, $"Layer{k}RecurrentRzWeights", l.RecurrentRzWeights, schedule.RecurrentRz!, h, $"Layer{k}RecurrentRzBias", "ghRz", Int8(l, $"Layer{k}RecurrentRzRowScales"));
                int hp = l.PaddedHidden;
                if (!resetBefore)
                {
                    w.Line($"// gh_n = U_n·h + b_hn   [H, H] · [H]");
                    EmitMatVec(w, f, $"Layer{k}RecurrentNWeights", l.RecurrentNWeights, schedule.RecurrentN!, h, $"Layer{k}RecurrentNBias", "ghN", Int8(l, $"Layer{k}RecurrentNRowScales"));
                    w.Line("// r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r ⊙ gh_n), h' = (1 − z) ⊙ n + z ⊙ h");
                    EmitElementwise(w, f, hp, (o, body) =>
                    {
                        body.AddRange(f.Gate(m.GateActivation, "r", $"{f.Load("gx", o)} + {f.Load("ghRz", o)}"));
                        body.AddRange(f.Gate(m.GateActivation, "z", $"{f.Load("gx", Add(o, hp))} + {f.Load("ghRz", Add(o, hp))}"));
                        body.AddRange(f.Tanh("n", $"{f.Load("gx", Add(o, 2 * hp))} + r * {f.Load("ghN", o)}"));
                        body.Add(f.Store($"({f.One} - z) * n + z * {f.Load(h, o)}", h, o));
                    });
                }
                else
                {
                    w.Line("// r = σ(gx_r + gh_r), z = σ(gx_z + gh_z) (kept in gh_z), rh = r ⊙ h");
                    EmitElementwise(w, f, hp, (o, body) =>
                    {
                        body.AddRange(f.Gate(m.GateActivation, "r", $"{f.Load("gx", o)} + {f.Load("ghRz", o)}"));
                        body.AddRange(f.Gate(m.GateActivation, "z", $"{f.Load("gx", Add(o, hp))} + {f.Load("ghRz", Add(o, hp))}"));
                        body.Add(f.Store("z", "ghRz", Add(o, hp)));
                        body.Add(f.Store($"r * {f.Load(h, o)}", "rh", o));
                    });
                    w.Line($"// gh_n = U_n·(r ⊙ h) + b_hn   [H, H] · [H]");
                    EmitMatVec(w, f, $"Layer{k}RecurrentNWeights", l.RecurrentNWeights, schedule.RecurrentN!, "rh", $"Layer{k}RecurrentNBias", "ghN", Int8(l, $"Layer{k}RecurrentNRowScales"));
                    w.Line("// n = tanh(gx_n + gh_n), h' = (1 − z) ⊙ n + z ⊙ h");
                    EmitElementwise(w, f, hp, (o, body) =>
                    {
                        body.Add($"var z = {f.Load("ghRz", Add(o, hp))};");
                        body.AddRange(f.Tanh("n", $"{f.Load("gx", Add(o, 2 * hp))} + {f.Load("ghN", o)}"));
                        body.Add(f.Store($"({f.One} - z) * n + z * {f.Load(h, o)}", h, o));
                    });
                }
            }
            w.Line();
        }

        for (int d = 0; d < plan.HiddenDense.Count; d++)
        {
            var dense = plan.HiddenDense[d];
            var f = path.Narrowed(dense.Weights.Granule);
            int op = dense.PaddedOutputs;
            string act = TinyGruModelFile.ActivationName(dense.Spec.Activation);
            w.Line($"// Dense layer {d}: y = {(dense.Spec.Activation == HeadActivation.None ? "" : act + "(")}W·x + b{(dense.Spec.Activation == HeadActivation.None ? "" : ")")}   [{dense.Spec.OutputSize}, {dense.Spec.InputSize}] · [{dense.Spec.InputSize}] (rows padded to {op}, {(f.IsScalar ? "scalar" : f.Suffix + "-bit vectors")}).");
            if (inline) w.Line(AggressiveInlining);
            using (w.Block($"private static void Dense{d}{path.Suffix}(ref float x, ref float y)"))
            {
                EmitMatVec(w, f, $"Dense{d}Weights", dense.Weights, pathPlan.HiddenDense[d], "x", $"Dense{d}Bias", "y", dense.RowScales is null ? null : $"Dense{d}RowScales");
                // The activation runs over the padded rows too; the next layer reads only the real ones.
                switch (dense.Spec.Activation)
                {
                    case HeadActivation.Relu:
                        w.Line("// y = max(y, 0)");
                        EmitElementwise(w, f, op, (o, body) => body.Add(f.Store(f.Relu(f.Load("y", o)), "y", o)));
                        break;
                    case HeadActivation.Tanh:
                        w.Line("// y = tanh(y)");
                        EmitElementwise(w, f, op, (o, body) =>
                        {
                            body.AddRange(f.Tanh("t", f.Load("y", o)));
                            body.Add(f.Store("t", "y", o));
                        });
                        break;
                    case HeadActivation.Sigmoid:
                        w.Line("// y = σ(y)");
                        EmitElementwise(w, f, op, (o, body) =>
                        {
                            body.AddRange(f.Sigmoid("s", f.Load("y", o)));
                            body.Add(f.Store("s", "y", o));
                        });
                        break;
                }
            }
            w.Line();
        }

        if (skipLocalsInit.Length > 0) w.Line(skipLocalsInit);
        if (inline) w.Line(AggressiveInlining);
        using (w.Block($"private static void Output{path.Suffix}(ref float h, ref float output)"))
            EmitOutput(w, plan, path, pathPlan.Head, "h");
        w.Line();
    }

    /// <summary>
    /// A reset-after layer small enough for registers: r and z accumulate W·x and U·h together (biases summed at
    /// generation time), W_n·x and U_n·h in their own accumulators; the gate update reads them directly, so nothing
    /// but h' is stored.
    /// </summary>
    private static void EmitRegisterLayer(IndentedWriter w, VectorFlavor f, int k, LayerPlan l, int sets, GateActivation gate)
    {
        int width = f.Width, hp = l.PaddedHidden, vectors = hp / width, rows = 3 * hp;
        // A folded layer 0 (token model) starts from its table row gx = W·E[t] + b_i and has no x columns.
        bool folded = l.InputFolded;
        int inputs = l.FusedInputColumns, hidden = l.Spec.HiddenSize;
        // int8-weights: a row's W and U scales differ, so W·x and U·h sum apart (q·x and q·h) and are scaled each;
        // W·x is scaled as soon as x's columns are done, off the h → h' critical path.
        bool int8 = l.RowScales is not null;
        string rh = int8 ? "ru" : "r", zh = int8 ? "zu" : "z";
        // Partial sums (planned) for the h columns, which are on the critical path; the x columns are ready early.
        string Acc(string gate, int i, int set) => set == 0 ? $"{gate}{i}" : $"{gate}{i}_{set}";
        if (int8)
        {
            w.Line("// int8 weights, halved scales (exact): [r z] = ½(b_i + b_h) + ½s_W ⊙ Σ q_W·x + ½s_U ⊙ Σ q_U·h,");
            w.Line("// nx = s_W ⊙ Σ q_W·x + b_in,  nh = ½(s_U ⊙ Σ q_U·h + b_hn)");
        }
        else w.Line("// Halved weights (exact): [r z] = ½(b_i + b_h + [W | U]_rz·[x; h]),  nx = W_n·x + b_in,  nh = ½(U_n·h + b_hn)");
        if (folded) w.Line("// Folded input: [r z] start at ½(gx_rz + b_h,rz) and nx = gx_n, from the token's table row; only U·h is computed here");
        w.Line($"ref {(int8 ? "sbyte" : "float")} wp = ref {MemoryMarshal}.GetReference(Layer{k}FusedWeights);");
        if (folded) w.Line($"ref float bhrz = ref {MemoryMarshal}.GetReference(Layer{k}RecurrentRzBias);");
        else
        {
            w.Line($"ref float brz = ref {MemoryMarshal}.GetReference(Layer{k}FusedRzBias);");
            w.Line($"ref float bin = ref {MemoryMarshal}.GetReference(Layer{k}InputBias);");
        }
        w.Line($"ref float bhn = ref {MemoryMarshal}.GetReference(Layer{k}FusedNBias);");
        if (int8)
        {
            if (!folded) w.Line($"ref float sx = ref {MemoryMarshal}.GetReference(Layer{k}FusedInputRowScales);");
            w.Line($"ref float sh = ref {MemoryMarshal}.GetReference(Layer{k}FusedRecurrentRowScales);");
        }
        if (folded) w.Line($"var halfRz = {f.Broadcast("0.5f")};");
        for (int i = 0; i < vectors; i++)
        {
            if (folded)
            {
                w.Line($"var r{i} = ({f.Load("gx", I(i * width))} + {f.Load("bhrz", I(i * width))}) * halfRz;");
                w.Line($"var z{i} = ({f.Load("gx", I(hp + i * width))} + {f.Load("bhrz", I(hp + i * width))}) * halfRz;");
                w.Line($"var nx{i} = {f.Load("gx", I(2 * hp + i * width))};");
            }
            else
            {
                w.Line($"var r{i} = {(int8 ? f.Zero : f.Load("brz", I(i * width)))};");
                w.Line($"var z{i} = {(int8 ? f.Zero : f.Load("brz", I(hp + i * width)))};");
                w.Line($"var nx{i} = {(int8 ? f.Zero : f.Load("bin", I(2 * hp + i * width)))};");
            }
            if (int8)
            {
                w.Line($"var ru{i} = {f.Zero};");
                w.Line($"var zu{i} = {f.Zero};");
            }
            w.Line($"var nh{i} = {(int8 ? f.Zero : f.Load("bhn", I(i * width)))};");
            for (int set = 1; set < sets; set++)
                foreach (var acc in new[] { rh, zh, "nh" }) w.Line($"var {Acc(acc, i, set)} = {f.Zero};");
        }
        string WeightTo(string local, string offset) => int8 ? f.LoadInt8To(local, "wp", offset) : $"{local} = {f.Load("wp", offset)};";
        // Weights in locals, as in EmitPass (the multiply-add repeats its operands in each folded branch), declared once
        // and reassigned per column, like the broadcast: a local per multiply-add crossed the JIT's 512-local limit
        // for inlining, and the data getters below became calls.
        w.Line($"{f.TypeName} bc{string.Concat(Enumerable.Range(0, vectors).Select(i => $", wr{i}, wz{i}, wn{i}"))};");
        void Column(string v, string offset, bool recurrent, int set)
        {
            string r = recurrent ? rh : "r", z = recurrent ? zh : "z";
            for (int i = 0; i < vectors; i++)
            {
                w.Line(WeightTo($"wr{i}", Add(offset, i * width)));
                w.Line(f.MultiplyAddTo(Acc(r, i, set), $"wr{i}", v, Acc(r, i, set)));
                w.Line(WeightTo($"wz{i}", Add(offset, hp + i * width)));
                w.Line(f.MultiplyAddTo(Acc(z, i, set), $"wz{i}", v, Acc(z, i, set)));
                string n = recurrent ? Acc("nh", i, set) : $"nx{i}";
                w.Line(WeightTo($"wn{i}", Add(offset, 2 * hp + i * width)));
                w.Line(f.MultiplyAddTo(n, $"wn{i}", v, n));
            }
        }
        if (inputs <= RegisterLayerUnrollColumns)
            for (int c = 0; c < inputs; c++)
            {
                w.Line($"bc = {f.Broadcast(c == 0 ? "x" : $"{Unsafe}.Add(ref x, {c})")};");
                Column("bc", I(c * rows), recurrent: false, set: 0);
            }
        else
            using (w.Block($"for (int j = 0; j < {I(inputs)}; j++)"))
            {
                w.Line($"var v = {f.Broadcast($"{Unsafe}.Add(ref x, j)")};");
                Column("v", $"j * {I(rows)}", recurrent: false, set: 0);
            }
        if (int8 && !folded)
        {
            w.Line("// W·x done: scale each row and add the biases");
            for (int i = 0; i < vectors; i++)
            {
                w.Line($"r{i} = {f.MultiplyAdd($"r{i}", f.Load("sx", I(i * width)), f.Load("brz", I(i * width)))};");
                w.Line($"z{i} = {f.MultiplyAdd($"z{i}", f.Load("sx", I(hp + i * width)), f.Load("brz", I(hp + i * width)))};");
                w.Line($"nx{i} = {f.MultiplyAdd($"nx{i}", f.Load("sx", I(2 * hp + i * width)), f.Load("bin", I(2 * hp + i * width)))};");
            }
        }
        int first = inputs * rows;
        // Registers hold 4·Hp/width ≤ 8 accumulators, so Hp ≤ 2·16 and every h column is unrolled.
        for (int c = 0; c < hidden; c++)
        {
            w.Line($"bc = {f.Broadcast(c == 0 ? "h" : $"{Unsafe}.Add(ref h, {c})")};");
            Column("bc", I(first + c * rows), recurrent: true, set: c % sets);
        }
        if (gate == GateActivation.Sigmoid)
        {
            w.Line("// σ(a) = ½ + ½·tanh(a/2): r ⊙ (U_n·h + b_hn) = nh + tanh(r) ⊙ nh, so n = tanh(nx + nh + tanh(r) ⊙ nh);");
            w.Line("// z = ½ + ½·tanh(z); h' = (1 − z) ⊙ n + z ⊙ h, one multiply-add after n (1 − z and z ⊙ h are ready before it)");
        }
        else
        {
            // The accumulators hold a/2; with t = 2·g(a) − 1 every identity below holds as for the sigmoid's tanh(a/2).
            w.Line(gate == GateActivation.HardSigmoidKeras2
                ? "// Hard sigmoid (Keras 2) g(a) = clip(0.2·a + 0.5, 0, 1): with the halved sums r, z, t = 2·g − 1 = clip(0.8·r, −1, 1);"
                : "// Hard sigmoid (Keras 3) g(a) = clip(a/6 + 0.5, 0, 1): with the halved sums r, z, t = 2·g − 1 = clip(⅔·r, −1, 1);");
            w.Line("// r ⊙ (U_n·h + b_hn) = nh + t_r ⊙ nh, n = tanh(nx + nh + t_r ⊙ nh); z = ½ + ½·t_z; h' = (1 − z) ⊙ n + z ⊙ h");
        }
        for (int i = 0; i < vectors; i++)
        {
            string Sum(string gate) => sets switch
            {
                1 => Acc(gate, i, 0),
                2 => $"{Acc(gate, i, 0)} + {Acc(gate, i, 1)}",
                _ => $"({Acc(gate, i, 0)} + {Acc(gate, i, 1)}) + ({Acc(gate, i, 2)} + {Acc(gate, i, 3)})",
            };
            using (w.Block())
            {
                string half = "half";
                w.Line($"var half = {f.Broadcast("0.5f")};");
                if (int8)
                {
                    w.Line($"var nh = {f.MultiplyAdd(Sum("nh"), f.Load("sh", I(2 * hp + i * width)), f.Load("bhn", I(i * width)))};");
                    foreach (var line in f.GateAsTanh(gate, "tr", f.MultiplyAdd(Sum(rh), f.Load("sh", I(i * width)), $"r{i}"))) w.Line(line);
                    foreach (var line in f.GateAsTanh(gate, "tz", f.MultiplyAdd(Sum(zh), f.Load("sh", I(hp + i * width)), $"z{i}"))) w.Line(line);
                }
                else
                {
                    w.Line($"var nh = {Sum("nh")};");
                    foreach (var line in f.GateAsTanh(gate, "tr", Sum("r"))) w.Line(line);
                    foreach (var line in f.GateAsTanh(gate, "tz", Sum("z"))) w.Line(line);
                }
                w.Line($"var zh = {f.MultiplyAdd("tz", half, half)} * {f.Load("h", I(i * width))};");
                foreach (var line in f.Tanh("n", f.MultiplyAdd("tr", "nh", $"nh + nx{i}"))) w.Line(line);
                w.Line(f.Store(f.MultiplyAdd("n", $"{half} - tz * {half}", "zh"), "h", I(i * width)));
            }
        }
    }

    private static void EmitOutput(IndentedWriter w, NetModelPlan plan, VectorFlavor path, MatVecSchedule? headSchedule, string last)
    {
        var m = plan.Model;
        string y = last;
        int o = m.OutputSize;
        bool direct = false;
        if (plan.Head is { } head)
        {
            var f = path.Narrowed(head.Weights.Granule);
            w.Line($"// ---- head: y = W·h + b   [{o}, {head.Spec.InputSize}] · [{head.Spec.InputSize}] ----");
            direct = head.PaddedOutputs == o;
            if (direct)
                w.Line("ref float yh = ref output;   // no padding rows: the head writes straight into output");
            else
            {
                w.Line($"{Span} ySpan = stackalloc float[{I(head.PaddedOutputs)}];");
                w.Line($"ref float yh = ref {MemoryMarshal}.GetReference(ySpan);");
            }
            EmitMatVec(w, f, "HeadWeights", head.Weights, headSchedule!, last, "HeadBias", "yh", head.RowScales is null ? null : "HeadRowScales");
            y = "yh";
            switch (head.Spec.Activation)
            {
                case HeadActivation.Sigmoid:
                    w.Line("// y = σ(y)");
                    using (w.Block($"for (int o = 0; o < {I(o)}; o++)"))
                    {
                        foreach (var line in VectorFlavor.Scalar.Sigmoid("s", $"{Unsafe}.Add(ref yh, o)")) w.Line(line);
                        w.Line($"{Unsafe}.Add(ref yh, o) = s;");
                    }
                    break;
                case HeadActivation.Relu:
                    w.Line("// y = max(y, 0)");
                    w.Line($"for (int o = 0; o < {I(o)}; o++) {Unsafe}.Add(ref yh, o) = global::System.Math.Max({Unsafe}.Add(ref yh, o), 0f);");
                    break;
                case HeadActivation.Tanh:
                    w.Line("// y = tanh(y)");
                    using (w.Block($"for (int o = 0; o < {I(o)}; o++)"))
                    {
                        foreach (var line in VectorFlavor.Scalar.Tanh("t", $"{Unsafe}.Add(ref yh, o)")) w.Line(line);
                        w.Line($"{Unsafe}.Add(ref yh, o) = t;");
                    }
                    break;
                case HeadActivation.Softmax:
                    w.Line("// y = softmax(y) = e^(y − max y) / Σ e^(y − max y)");
                    w.Line("float max = yh;");
                    w.Line($"for (int o = 1; o < {I(o)}; o++) max = global::System.MathF.Max(max, {Unsafe}.Add(ref yh, o));");
                    w.Line("float sum = 0f;");
                    using (w.Block($"for (int o = 0; o < {I(o)}; o++)"))
                    {
                        // e^(y − max) as TinyGru.Kernels.Exp.Scalar, written out (no call left to the inliner).
                        const string E = "global::TinyGru.Kernels.Exp";
                        w.Line($"float ex = global::System.Math.Min(global::System.Math.Max({Unsafe}.Add(ref yh, o) - max, {E}.Min), {E}.Max);");
                        w.Line($"float et = ex * {E}.Log2E + {E}.RoundingMagic;");
                        w.Line($"float en = et - {E}.RoundingMagic;");
                        w.Line($"float er = en * {E}.NegLn2Hi + ex;");
                        w.Line($"er = en * {E}.NegLn2Lo + er;");
                        w.Line($"float ep = {E}.P0 * er + {E}.P1;");
                        foreach (var c in new[] { "P2", "P3", "P4", "P5" }) w.Line($"ep = ep * er + {E}.{c};");
                        w.Line("ep = ep * (er * er) + er + 1f;");
                        w.Line("float e = ep * global::System.BitConverter.Int32BitsToSingle((global::System.BitConverter.SingleToInt32Bits(et) + 127) << 23);");
                        w.Line($"{Unsafe}.Add(ref yh, o) = e;");
                        w.Line("sum += e;");
                    }
                    w.Line($"for (int o = 0; o < {I(o)}; o++) {Unsafe}.Add(ref yh, o) /= sum;");
                    break;
            }
        }
        if (m.OutputScaling is not null)
        {
            w.Line("// output = y · scale + offset");
            w.Line($"ref float scale = ref {MemoryMarshal}.GetReference(OutputScale);");
            w.Line($"ref float offset = ref {MemoryMarshal}.GetReference(OutputOffset);");
            w.Line($"for (int o = 0; o < {I(o)}; o++) {Unsafe}.Add(ref output, o) = {Unsafe}.Add(ref {y}, o) * {Unsafe}.Add(ref scale, o) + {Unsafe}.Add(ref offset, o);");
        }
        else if (!direct)
        {
            w.Line("// output = y");
            w.Line($"for (int o = 0; o < {I(o)}; o++) {Unsafe}.Add(ref output, o) = {Unsafe}.Add(ref {y}, o);");
        }
    }

    /// <summary>
    /// result[rows] = bias + M·input, chunk by chunk: up to 8 accumulators stay in registers while the chunk's
    /// weights stream once, column by column (a broadcast input times a weight vector per accumulator). With few
    /// accumulators the FMA latency chain, not throughput, would bound the pass, so columns are split over 2 or 4
    /// partial sums that are added at the end. With <paramref name="rowScales"/> (int8-weights) the weights are int8:
    /// the accumulators sum q·x in float32 from zero, and each row's sum is multiplied by its scale and added to the bias
    /// once at the end (a row's scale is one lane of one vector, so this is one multiply-add per accumulator).
    /// </summary>
    private static void EmitMatVec(IndentedWriter w, VectorFlavor f, string weights, PackedMatrix m, MatVecSchedule schedule, string input, string bias, string result, string? rowScales = null)
    {
        int width = f.Width;
        if (schedule.OwnLayout)
        {
            // This path's own copy, one chunk per pass (OwnLayoutMatrices emits it): every pass streams sequentially.
            m = ForPasses(m, schedule);
            weights += f.Suffix;
        }
        int fullRows = m.Chunks[0].Rows;
        int loopedChunks = schedule.LoopedRows ? m.Chunks.TakeWhile(c => c.Rows == fullRows).Count() : 0;
        if (loopedChunks > 0)
        {
            // Compact form for large matrices: every full chunk has the same shape, so one loop over their passes
            // (row block r: chunk r / chunkRows, rows r % chunkRows within it) streams them all.
            int passVectors = PassVectors(schedule, fullRows / width);
            int passRows = passVectors * width;
            w.Line($"// rows 0..{loopedChunks * fullRows - 1}: {loopedChunks * fullRows / passRows} passes of {passRows} rows in a loop");
            using (w.Block($"for (int row = 0; row < {I(loopedChunks * fullRows)}; row += {I(passRows)})"))
                EmitPass(w, f, weights, m.Columns, fullRows, $"row / {I(fullRows)} * {I(fullRows * m.Columns)} + row % {I(fullRows)}", "row", passVectors, schedule.UnrolledColumns, input, bias, result, rowScales);
        }
        foreach (var chunk in m.Chunks.Skip(loopedChunks))
        {
            // Each pass streams its rows' slice of every column; the planner sized it to the register file.
            int passVectors = PassVectors(schedule, chunk.Rows / width);
            for (int start = 0; start < chunk.Rows; start += passVectors * width)
                using (w.Block())
                    EmitPass(w, f, weights, m.Columns, chunk.Rows, I(chunk.Offset + start), I(chunk.Start + start), passVectors, schedule.UnrolledColumns, input, bias, result, rowScales);
        }
    }

    /// <summary><paramref name="m"/> cut into one chunk per pass of <paramref name="schedule"/>.</summary>
    private static PackedMatrix ForPasses(PackedMatrix m, MatVecSchedule schedule) =>
        m.ForPasses(chunk => PassVectors(schedule, chunk.Rows / schedule.Width) * schedule.Width);

    /// <summary>
    /// The per-path copies of the matrices a SIMD path walks in strided passes (<see cref="MatVecSchedule.OwnLayout"/>):
    /// name (the shared array's name and the path's suffix), data and doc, for the float and int8-weights data lists.
    /// </summary>
    private static IEnumerable<(string Name, PackedMatrix Matrix, string Doc)> OwnLayoutMatrices(NetModelPlan plan)
    {
        foreach (var path in Paths(plan).Where(p => !p.IsScalar))
        {
            var pathPlan = KernelPlanner.Plan(plan, path.Width);
            string Doc(string of, MatVecSchedule s) =>
                $"{of}, for the {path.Suffix}-bit path: the shared layout cut into chunks of {s.Accumulators * s.Width} rows, one per pass, so each pass streams its weights sequentially.";
            var items = new List<(string, PackedMatrix, MatVecSchedule?, string)>();
            for (int k = 0; k < plan.Layers.Count; k++)
            {
                var l = plan.Layers[k];
                var schedule = pathPlan.Layers[k];
                if (!l.InputFolded) items.Add(($"Layer{k}InputWeights", l.InputWeights, schedule.Input, $"W of layer {k}"));
                items.Add(($"Layer{k}RecurrentRzWeights", l.RecurrentRzWeights, schedule.RecurrentRz, $"U_r and U_z of layer {k}"));
                items.Add(($"Layer{k}RecurrentNWeights", l.RecurrentNWeights, schedule.RecurrentN, $"U_n of layer {k}"));
            }
            for (int d = 0; d < plan.HiddenDense.Count; d++) items.Add(($"Dense{d}Weights", plan.HiddenDense[d].Weights, pathPlan.HiddenDense[d], $"W of dense layer {d}"));
            if (plan.Head is { } head) items.Add(("HeadWeights", head.Weights, pathPlan.Head, "Head W"));
            foreach (var (name, matrix, schedule, of) in items)
                if (schedule is { OwnLayout: true })
                    yield return (name + path.Suffix, ForPasses(matrix, schedule), Doc(of, schedule));
        }
    }

    /// <summary>Accumulators per pass over a chunk of <paramref name="vectors"/> vectors: the planned count, dividing the chunk.</summary>
    private static int PassVectors(MatVecSchedule schedule, int vectors)
    {
        int passVectors = Math.Max(1, Math.Min(schedule.Accumulators, vectors));
        while (vectors % passVectors != 0) passVectors--;
        return passVectors;
    }

    /// <summary>
    /// One pass: <paramref name="count"/> vector accumulators over rows [row, row + count·width), streaming the weights
    /// from <paramref name="weightOffset"/> with a stride of <paramref name="stride"/> (the chunk's rows) per column.
    /// </summary>
    private static void EmitPass(IndentedWriter w, VectorFlavor f, string weights, int columns, int stride, string weightOffset, string row, int count,
        bool unrolledColumns, string input, string bias, string result, string? rowScales)
    {
        bool int8 = rowScales is not null;
        int width = f.Width;
        int sets = Math.Max(1, Math.Min(columns, Math.Min(4, KernelPlanner.ChainsForFullRate / count)));
        string Acc(int a, int set) => set == 0 ? $"a{a}" : $"a{a}_{set}";
        string Column(string c) => c == "0" ? input : $"{Unsafe}.Add(ref {input}, {c})";
        void Fmas(string v, int set, int columnOffset, bool declared)
        {
            for (int a = 0; a < count; a++)
            {
                // The weight in a local: the multiply-add names its operands in each folded branch, and an int8 load
                // repeated there tripled the IL until the JIT compiled the method with MinOpts (100× slower, measured).
                string offset = I(columnOffset * stride + a * width);
                string local = declared ? $"w{a}" : $"{v}w{a}";
                if (int8) w.Line((declared ? "" : $"{f.TypeName} {local}; ") + f.LoadInt8To(local, "wp", offset));
                else w.Line(declared ? $"{local} = {f.Load("wp", offset)};" : $"var {local} = {f.Load("wp", offset)};");
                w.Line(f.MultiplyAddTo(Acc(a, set), local, v, Acc(a, set)));
            }
        }
        w.Line($"// rows {row}.. +{count * width}" + (sets > 1 ? $", columns split over {sets} partial sums" : "") + (int8 ? "; Σ q·x, then × row scale + b" : ""));
        w.Line($"ref {(int8 ? "sbyte" : "float")} wp = ref {Unsafe}.Add(ref {MemoryMarshal}.GetReference({weights}), {weightOffset});");
        w.Line($"ref float bp = ref {MemoryMarshal}.GetReference({bias});");
        if (int8) w.Line($"ref float sp = ref {MemoryMarshal}.GetReference({rowScales});");
        for (int a = 0; a < count; a++)
        {
            w.Line($"var {Acc(a, 0)} = {(int8 ? f.Zero : f.Load("bp", Add(row, a * width)))};");
            for (int set = 1; set < sets; set++) w.Line($"var {Acc(a, set)} = {f.Zero};");
        }
        if (unrolledColumns)
        {
            // One broadcast and one weight local per accumulator, reassigned per column: the JIT inlines nothing into a
            // method with 512 or more locals, and a local per multiply-add (plus the JIT's temporaries) crossed that in
            // small's 512-bit layer, leaving the weight getters and GetReference as 8 calls per step.
            w.Line($"{f.TypeName} v{string.Concat(Enumerable.Range(0, count).Select(a => $", w{a}"))};");
            for (int c = 0; c < columns; c++)
            {
                w.Line($"v = {f.Broadcast(Column(I(c)))};");
                Fmas("v", c % sets, c, declared: true);
            }
        }
        else
        {
            int looped = columns - columns % sets;
            using (w.Block($"for (int j = 0; j < {I(looped)}; j += {I(sets)})"))
            {
                for (int set = 0; set < sets; set++)
                {
                    w.Line($"var v{set} = {f.Broadcast(Column(set == 0 ? "j" : $"j + {I(set)}"))};");
                    Fmas("v" + set, set, set, declared: false);
                }
                w.Line($"wp = ref {Unsafe}.Add(ref wp, {I(sets * stride)});");
            }
            for (int c = looped; c < columns; c++)
            {
                w.Line($"var rest{c - looped} = {f.Broadcast(Column(I(c)))};");
                Fmas("rest" + (c - looped), c - looped, c - looped, declared: false);
            }
        }
        for (int a = 0; a < count; a++)
        {
            string sum = sets switch
            {
                1 => Acc(a, 0),
                2 => $"{Acc(a, 0)} + {Acc(a, 1)}",
                3 => $"({Acc(a, 0)} + {Acc(a, 1)}) + {Acc(a, 2)}",
                _ => $"({Acc(a, 0)} + {Acc(a, 1)}) + ({Acc(a, 2)} + {Acc(a, 3)})",
            };
            if (int8)
            {
                w.Line($"var s{a} = {sum};");
                w.Line(f.MultiplyAddTo($"s{a}", $"s{a}", f.Load("sp", Add(row, a * width)), f.Load("bp", Add(row, a * width))));
                sum = $"s{a}";
            }
            w.Line(f.Store(sum, result, Add(row, a * width)));
        }
    }

    /// <summary>Emits an elementwise pass over [0, paddedLength) in steps of the flavor's width, unrolled when short.</summary>
    private static void EmitElementwise(IndentedWriter w, VectorFlavor f, int paddedLength, Action<string, List<string>> body)
    {
        int steps = paddedLength / f.Width;
        if (steps <= KernelPlanner.UnrollVectors)
        {
            for (int s = 0; s < steps; s++)
            {
                var lines = new List<string>();
                body(I(s * f.Width), lines);
                using (w.Block()) foreach (var line in lines) w.Line(line);
            }
            return;
        }
        var loopLines = new List<string>();
        body("j", loopLines);
        using (w.Block($"for (int j = 0; j < {I(paddedLength)}; j += {I(f.Width)})"))
            foreach (var line in loopLines) w.Line(line);
    }

    /// <summary>The row-scale array's name when <paramref name="layer"/> has int8 weights, else null (float kernels).</summary>
    private static string? Int8(LayerPlan layer, string rowScales) => layer.RowScales is null ? null : rowScales;

    private static string Add(string offset, int constant) =>
        offset == "0" ? I(constant) : int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? I(v + constant) : $"{offset} + {I(constant)}";

    private static void EmitWeights(IndentedWriter w, NetModelPlan plan)
    {
        var m = plan.Model;
        w.Line("// ---- weights: read-only data in the assembly image (no allocation), in the kernels' packed layout ----");
        for (int k = 0; k < plan.Layers.Count; k++)
        {
            var l = plan.Layers[k];
            int hp = l.PaddedHidden;
            // A folded layer 0 reads W·x + b_i from the embedding table: no W, b_i or ½(b_i + b_h) of its own.
            if (!l.InputFolded)
                EmitArray(w, $"Layer{k}InputWeights", l.InputWeights.Data, $"W of layer {k}: [3H, I] = [{3 * l.Spec.HiddenSize}, {l.Spec.InputSize}], gate blocks r, z, n padded to {hp} rows each, packed in chunks of transposed rows.");
            EmitArray(w, $"Layer{k}RecurrentRzWeights", l.RecurrentRzWeights.Data, $"U_r and U_z of layer {k}: [2H, H] = [{2 * l.Spec.HiddenSize}, {l.Spec.HiddenSize}], padded and packed like W.");
            EmitArray(w, $"Layer{k}RecurrentNWeights", l.RecurrentNWeights.Data, $"U_n of layer {k}: [H, H] = [{l.Spec.HiddenSize}, {l.Spec.HiddenSize}], padded and packed like W.");
            if (!l.InputFolded) EmitArray(w, $"Layer{k}InputBias", l.InputBias, $"b_i of layer {k}: [3H], blocks r, z, n padded to {hp}.");
            EmitArray(w, $"Layer{k}RecurrentRzBias", l.RecurrentRzBias, $"b_h,r and b_h,z of layer {k}: [2H] padded.");
            EmitArray(w, $"Layer{k}RecurrentNBias", l.RecurrentNBias, $"b_h,n of layer {k}: [H] padded.");
            if (l.UsesFusedWeights(m.Convention))
            {
                EmitArray(w, $"Layer{k}FusedWeights", l.FusedWeights.Data, l.InputFolded
                    ? $"U of layer {k} for the register-resident layer (its input is folded): [3H, H] = [{3 * l.Spec.HiddenSize}, {l.Spec.HiddenSize}], halved, padded and packed like W."
                    : $"[W | U] of layer {k}: [3H, I + H] = [{3 * l.Spec.HiddenSize}, {l.Spec.InputSize + l.Spec.HiddenSize}], r and z rows and U_n halved, padded and packed like W, for the register-resident layer.");
                if (!l.InputFolded) EmitArray(w, $"Layer{k}FusedRzBias", l.FusedRzBias, $"½(b_i + b_h) for the r and z blocks of layer {k}: [2H] padded.");
                EmitArray(w, $"Layer{k}FusedNBias", l.FusedNBias, $"½·b_h,n of layer {k}: [H] padded.");
            }
        }
        for (int d = 0; d < plan.HiddenDense.Count; d++)
        {
            var dense = plan.HiddenDense[d];
            EmitArray(w, $"Dense{d}Weights", dense.Weights.Data, $"W of dense layer {d}: [{dense.Spec.OutputSize}, {dense.Spec.InputSize}], rows padded to {dense.PaddedOutputs}, packed like the layers.");
            EmitArray(w, $"Dense{d}Bias", dense.Bias, $"b of dense layer {d}: [{dense.Spec.OutputSize}] padded to {dense.PaddedOutputs}.");
        }
        foreach (var (name, matrix, doc) in OwnLayoutMatrices(plan)) EmitArray(w, name, matrix.Data, doc);
        if (plan.Head is { } head)
        {
            EmitArray(w, "HeadWeights", head.Weights.Data, $"Head W: [O, H] = [{head.Spec.OutputSize}, {head.Spec.InputSize}], rows padded to {head.PaddedOutputs}, packed like the layers.");
            EmitArray(w, "HeadBias", head.Bias, $"Head b: [O] padded to {head.PaddedOutputs}.");
        }
        if (plan.Embedding is { } e)
        {
            if (e.Folded) EmitArray(w, "EmbeddingFoldedInput", e.FoldedTable!, FoldedDoc(e));
            else EmitArray(w, "EmbeddingTable", e.Table, $"The embedding E: [V, E] = [{e.VocabularySize}, {e.EmbeddingSize}], one row per token id.");
        }
        if (m.InputNormalization is { } norm)
        {
            EmitArray(w, "InputMean", norm.Mean, "Input means: [I].");
            EmitArray(w, "InputStd", norm.Std, "Input standard deviations: [I].");
        }
        if (m.OutputScaling is { } scaling)
        {
            EmitArray(w, "OutputScale", scaling.Scale, "Output scales: [O].");
            EmitArray(w, "OutputOffset", scaling.Offset, "Output offsets: [O].");
        }
    }

    private static string FoldedDoc(EmbeddingPlan e) =>
        $"Layer 0's input projection folded with the embedding: row t = W·E[t] + b_i, [V, 3Hp] = [{e.VocabularySize}, {e.FoldedRowLength}], gate blocks r, z, n padded (padding 0).";

    /// <summary>One array an int8-weights model embeds: int8 weights, or float32 values (row scales, biases, normalization).</summary>
    private sealed class EmbeddedArray
    {
        private readonly string _name, _doc;
        private readonly sbyte[]? _int8;
        private readonly float[]? _floats;

        private EmbeddedArray(string name, sbyte[]? int8, float[]? floats, bool isRowScales, string doc)
        {
            _name = name;
            _int8 = int8;
            _floats = floats;
            IsRowScales = isRowScales;
            _doc = doc;
        }

        public static EmbeddedArray Int8(string name, PackedMatrix m, string doc) => new(name, m.Int8Data!, null, false, doc);

        public static EmbeddedArray Int8(string name, sbyte[] values, string doc) => new(name, values, null, false, doc);

        public static EmbeddedArray RowScales(string name, float[] values, string doc) => new(name, null, values, true, doc);

        public static EmbeddedArray Floats(string name, float[] values, string doc) => new(name, null, values, false, doc);

        public bool IsRowScales { get; }

        public long Int8Bytes => _int8?.LongLength ?? 0;

        public long FloatBytes => 4L * (_floats?.LongLength ?? 0);

        public void Emit(IndentedWriter w)
        {
            if (_floats is not null)
            {
                EmitArray(w, _name, _floats, _doc);
                return;
            }
            if (_int8!.Length > 4 * CommentedArrayFloats)
            {
                EmitStringBackedArray(w, _name, "sbyte", (byte[])(Array)_int8, _int8.Length, _doc);
                return;
            }
            // sbyte is one byte: the compiler points the span at the literal's bytes in the image (no allocation, any build).
            w.Line($"/// <summary>{CSharpLiterals.XmlText(_doc)}</summary>");
            w.Line($"private static global::System.ReadOnlySpan<sbyte> {_name}");
            w.Line("{");
            w.Indent();
            w.Line(AggressiveInlining);
            w.Line("get =>");
            w.Line("[");
            w.Indent();
            foreach (var row in CSharpLiterals.Rows(_int8!, 32))
                w.Line(string.Join(", ", row.Select(v => v.ToString(CultureInfo.InvariantCulture))) + ",");
            w.Outdent();
            w.Line("];");
            w.Outdent();
            w.Line("}");
        }
    }

    /// <summary>
    /// What an int8-weights model embeds, in order: per layer the int8 matrices of the float layout with their padded
    /// row scales (and the fused [W | U] when some path runs the layer in registers), the float32 biases; the head
    /// likewise; normalization and output scaling.
    /// </summary>
    private static List<EmbeddedArray> Int8WeightsData(NetModelPlan plan)
    {
        var m = plan.Model;
        var data = new List<EmbeddedArray>();
        for (int k = 0; k < plan.Layers.Count; k++)
        {
            var l = plan.Layers[k];
            var s = l.RowScales!;
            int hp = l.PaddedHidden, h = l.Spec.HiddenSize;
            // A folded layer 0 reads W·x + b_i from the embedding table: no W, b_i or ½(b_i + b_h) of its own.
            if (!l.InputFolded)
            {
                data.Add(EmbeddedArray.Int8($"Layer{k}InputWeights", l.InputWeights, $"W of layer {k} as int8: [3H, I] = [{3 * h}, {l.Spec.InputSize}], gate blocks r, z, n padded to {hp} rows each, packed in chunks of transposed rows."));
                data.Add(EmbeddedArray.RowScales($"Layer{k}InputRowScales", s.Input, $"Row scales of W of layer {k}: [3H] padded like its rows (padding 0)."));
            }
            data.Add(EmbeddedArray.Int8($"Layer{k}RecurrentRzWeights", l.RecurrentRzWeights, $"U_r and U_z of layer {k} as int8: [2H, H] = [{2 * h}, {h}], padded and packed like W."));
            data.Add(EmbeddedArray.RowScales($"Layer{k}RecurrentRzRowScales", s.RecurrentRz, $"Row scales of U_r and U_z of layer {k}: [2H] padded."));
            data.Add(EmbeddedArray.Int8($"Layer{k}RecurrentNWeights", l.RecurrentNWeights, $"U_n of layer {k} as int8: [H, H] = [{h}, {h}], padded and packed like W."));
            data.Add(EmbeddedArray.RowScales($"Layer{k}RecurrentNRowScales", s.RecurrentN, $"Row scales of U_n of layer {k}: [H] padded."));
            if (!l.InputFolded) data.Add(EmbeddedArray.Floats($"Layer{k}InputBias", l.InputBias, $"b_i of layer {k}: [3H], blocks r, z, n padded to {hp}."));
            data.Add(EmbeddedArray.Floats($"Layer{k}RecurrentRzBias", l.RecurrentRzBias, $"b_h,r and b_h,z of layer {k}: [2H] padded."));
            data.Add(EmbeddedArray.Floats($"Layer{k}RecurrentNBias", l.RecurrentNBias, $"b_h,n of layer {k}: [H] padded."));
            if (l.UsesFusedWeights(m.Convention))
            {
                data.Add(EmbeddedArray.Int8($"Layer{k}FusedWeights", l.FusedWeights, l.InputFolded
                    ? $"U of layer {k} as int8 for the register-resident layer (its input is folded): [3H, H] = [{3 * h}, {h}], padded and packed like W."
                    : $"[W | U] of layer {k} as int8: [3H, I + H] = [{3 * h}, {l.Spec.InputSize + h}], padded and packed like W, for the register-resident layer."));
                if (!l.InputFolded) data.Add(EmbeddedArray.RowScales($"Layer{k}FusedInputRowScales", s.FusedInput, $"Row scales of W for [W | U] of layer {k}, r and z rows halved: [3H] padded."));
                data.Add(EmbeddedArray.RowScales($"Layer{k}FusedRecurrentRowScales", s.FusedRecurrent, $"Row scales of U for [W | U] of layer {k}, halved: [3H] padded."));
                if (!l.InputFolded) data.Add(EmbeddedArray.Floats($"Layer{k}FusedRzBias", l.FusedRzBias, $"½(b_i + b_h) for the r and z blocks of layer {k}: [2H] padded."));
                data.Add(EmbeddedArray.Floats($"Layer{k}FusedNBias", l.FusedNBias, $"½·b_h,n of layer {k}: [H] padded."));
            }
        }
        for (int d = 0; d < plan.HiddenDense.Count; d++)
        {
            var dense = plan.HiddenDense[d];
            data.Add(EmbeddedArray.Int8($"Dense{d}Weights", dense.Weights, $"W of dense layer {d} as int8: [{dense.Spec.OutputSize}, {dense.Spec.InputSize}], rows padded to {dense.PaddedOutputs}, packed like the layers."));
            data.Add(EmbeddedArray.RowScales($"Dense{d}RowScales", dense.RowScales!, $"Row scales of W of dense layer {d}: [{dense.Spec.OutputSize}] padded to {dense.PaddedOutputs}."));
            data.Add(EmbeddedArray.Floats($"Dense{d}Bias", dense.Bias, $"b of dense layer {d}: [{dense.Spec.OutputSize}] padded to {dense.PaddedOutputs}."));
        }
        foreach (var (name, matrix, doc) in OwnLayoutMatrices(plan)) data.Add(EmbeddedArray.Int8(name, matrix, doc.Replace(", for the", " as int8, for the")));
        if (plan.Head is { } head)
        {
            data.Add(EmbeddedArray.Int8("HeadWeights", head.Weights, $"Head W as int8: [O, H] = [{head.Spec.OutputSize}, {head.Spec.InputSize}], rows padded to {head.PaddedOutputs}, packed like the layers."));
            data.Add(EmbeddedArray.RowScales("HeadRowScales", head.RowScales!, $"Row scales of the head W: [O] padded to {head.PaddedOutputs}."));
            data.Add(EmbeddedArray.Floats("HeadBias", head.Bias, $"Head b: [O] padded to {head.PaddedOutputs}."));
        }
        if (plan.Embedding is { } e)
        {
            if (e.Folded) data.Add(EmbeddedArray.Floats("EmbeddingFoldedInput", e.FoldedTable!, FoldedDoc(e)));
            else
            {
                data.Add(EmbeddedArray.Int8("EmbeddingTable", e.Int8!.Values, $"The embedding E as int8: [V, E] = [{e.VocabularySize}, {e.EmbeddingSize}], one row per token id."));
                data.Add(EmbeddedArray.RowScales("EmbeddingRowScales", e.Int8.RowScales, $"Row scales of E: [V] = [{e.VocabularySize}], one per token id."));
            }
        }
        if (m.InputNormalization is { } norm)
        {
            data.Add(EmbeddedArray.Floats("InputMean", norm.Mean, "Input means: [I]."));
            data.Add(EmbeddedArray.Floats("InputStd", norm.Std, "Input standard deviations: [I]."));
        }
        if (m.OutputScaling is { } scaling)
        {
            data.Add(EmbeddedArray.Floats("OutputScale", scaling.Scale, "Output scales: [O]."));
            data.Add(EmbeddedArray.Floats("OutputOffset", scaling.Offset, "Output offsets: [O]."));
        }
        return data;
    }

    /// <summary>
    /// Int8ToSingle{W}: the low W int8 lanes of a vector as floats with the portable Vector API, for CPUs without the
    /// sign-extending conversions <see cref="VectorFlavor.LoadInt8"/> uses, so every path runs on any CPU (a test checks
    /// them for every byte value).
    /// </summary>
    private static void EmitInt8ToSingle(IndentedWriter w, IReadOnlyList<VectorFlavor> paths)
    {
        const string V = "global::System.Runtime.Intrinsics";
        w.Line("// ---- int8 → float32 lanes without AVX-512F / AVX2 / SSE4.1 ----");
        foreach (var p in paths.Where(p => !p.IsScalar))
        {
            string widen = p.Width switch
            {
                16 => $"{V}.Vector512.ConvertToSingle({V}.Vector512.WidenLower({V}.Vector256.ToVector512Unsafe({V}.Vector256.WidenLower({V}.Vector128.ToVector256Unsafe(bytes)))))",
                8 => $"{V}.Vector256.ConvertToSingle({V}.Vector256.WidenLower({V}.Vector128.ToVector256Unsafe({V}.Vector128.WidenLower(bytes))))",
                _ => $"{V}.Vector128.ConvertToSingle({V}.Vector128.WidenLower({V}.Vector128.WidenLower(bytes)))",
            };
            w.Line($"/// <summary>The low {p.Width} lanes of <paramref name=\"bytes\"/> as floats, on any CPU.</summary>");
            w.Line($"private static {p.TypeName} Int8ToSingle{p.Suffix}({V}.Vector128<sbyte> bytes) =>");
            w.Line($"    {widen};");
        }
        w.Line();
    }

    /// <summary>Arrays up to this many floats carry their values as comments beside the bytes.</summary>
    public const int CommentedArrayFloats = 4096;

    /// <summary>
    /// Emits a float array as a <c>ReadOnlySpan&lt;byte&gt;</c> of little-endian bytes reinterpreted as floats. Byte
    /// arrays are the one form the C# compiler places in the assembly's read-only data in Debug builds too; a
    /// <c>new float[] { … }</c> property allocates on every access unless optimizations are on.
    /// </summary>
    internal static void EmitArray(IndentedWriter w, string name, float[] values, string doc)
    {
        if (values.Length > CommentedArrayFloats)
        {
            var bytes = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++) Array.Copy(LittleEndianBytes(values[i]), 0, bytes, 4 * i, 4);
            EmitStringBackedArray(w, name, "float", bytes, values.Length, doc);
            return;
        }
        w.Line($"/// <summary>{CSharpLiterals.XmlText(doc)}</summary>");
        w.Line("private static " + ReadOnlySpan + " " + name);
        w.Line("{");
        w.Indent();
        // Inlined, the getter folds to the data's address; a call per use would cost more than a small layer's math.
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        // The explicit ReadOnlySpan<byte> is what keeps this allocation-free: given a byte[], C# 12's overload resolution
        // picks Cast(Span<byte>) and allocates the array on every access (C# 14's first-class spans hid this).
        w.Line($"get => {MemoryMarshal}.Cast<byte, float>((global::System.ReadOnlySpan<byte>)new byte[]");
        w.Line("{");
        w.Indent();
        bool comment = values.Length <= CommentedArrayFloats;
        foreach (var chunk in CSharpLiterals.Rows(values, 4))
        {
            string bytes = string.Join(", ", chunk.SelectMany(LittleEndianBytes).Select(b => b.ToString(CultureInfo.InvariantCulture)));
            w.Line(bytes + "," + (comment ? " // " + string.Join(", ", chunk.Select(CSharpLiterals.Float)) : ""));
        }
        w.Outdent();
        w.Line("});");
        w.Outdent();
        w.Line("}");
    }

    /// <summary>
    /// A large array as one string literal whose UTF-16 code units are the data's little-endian bytes, reinterpreted
    /// as <paramref name="elementType"/>. An initializer of N bytes is N syntax nodes and constants for the compiler (an
    /// accepted H = 512 model took 3.9 GB and 3 CPU-minutes to build); one literal token is a few bytes per element.
    /// The literal is a frozen, interned object (NativeAOT: in the image), so reading it allocates nothing; its characters
    /// start 12 bytes into the object, 4-byte aligned like float data. Printable ASCII stays as is, the rest is escaped.
    /// </summary>
    internal static void EmitStringBackedArray(IndentedWriter w, string name, string elementType, byte[] bytes, int length, string doc)
    {
        w.Line($"/// <summary>{CSharpLiterals.XmlText(doc)}</summary>");
        w.Line($"private static global::System.ReadOnlySpan<{elementType}> {name}");
        w.Line("{");
        w.Indent();
        w.Line(AggressiveInlining);
        var text = new System.Text.StringBuilder(bytes.Length * 3 + 16);
        text.Append('"');
        for (int i = 0; i < bytes.Length; i += 2)
        {
            int unit = bytes[i] | (i + 1 < bytes.Length ? bytes[i + 1] << 8 : 0);
            if (unit >= 0x20 && unit < 0x7F && unit != '"' && unit != '\\') text.Append((char)unit);
            else text.Append("\\u").Append(unit.ToString("X4", CultureInfo.InvariantCulture));
        }
        text.Append('"');
        w.Line($"get => {MemoryMarshal}.Cast<char, {elementType}>({text}).Slice(0, {I(length)});");
        w.Outdent();
        w.Line("}");
    }

    private static byte[] LittleEndianBytes(float value)
    {
        var bytes = BitConverter.GetBytes(value);
        if (!BitConverter.IsLittleEndian) Array.Reverse(bytes);
        return bytes;
    }
}

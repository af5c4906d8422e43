using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.CodeGen;

/// <summary>
/// A model in the layout the generated .NET kernels want: every gate block padded to Hp (a multiple of the
/// layer's vector granule, so gate blocks start on vector boundaries and padded lanes stay exactly 0), weights
/// transposed and chunked (<see cref="PackedMatrix"/>), biases padded alike. Derived once from <see cref="GruModel"/>.
/// </summary>
public sealed class NetModelPlan
{
    private NetModelPlan(GruModel model, IReadOnlyList<LayerPlan> layers, IReadOnlyList<HeadPlan> hiddenDense, HeadPlan? head, EmbeddingPlan? embedding)
    {
        Model = model;
        Layers = layers;
        HiddenDense = hiddenDense;
        Head = head;
        Embedding = embedding;
    }

    /// <summary>The source model.</summary>
    public GruModel Model { get; }

    /// <summary>Per-layer layouts.</summary>
    public IReadOnlyList<LayerPlan> Layers { get; }

    /// <summary>The hidden dense layers' layouts (between the last GRU layer and the head), first to last; empty for one dense layer.</summary>
    public IReadOnlyList<HeadPlan> HiddenDense { get; }

    /// <summary>Head layout, or null.</summary>
    public HeadPlan? Head { get; }

    /// <summary>The token embedding's layout (folded into layer 0's input projection or not), or null for feature inputs.</summary>
    public EmbeddingPlan? Embedding { get; }

    /// <summary>
    /// True for an int8-weights model: every matrix then also carries its int8 values (<see cref="PackedMatrix.Int8Data"/>)
    /// and padded row scales, and the generated kernels embed those instead of the float32 values.
    /// </summary>
    public bool HasInt8Weights => Model.Precision == ModelPrecision.Int8Weights;

    /// <summary>Largest padded hidden size.</summary>
    public int MaxPaddedHidden => Layers.Max(l => l.PaddedHidden);

    /// <summary>Floats of weight data the generated code embeds (padding included).</summary>
    public long EmbeddedFloats =>
        Layers.Sum(l => (l.InputFolded ? 0L : l.InputWeights.Data.Length + l.InputBias.Length) + l.RecurrentRzWeights.Data.Length + l.RecurrentNWeights.Data.Length
                        + l.RecurrentRzBias.Length + l.RecurrentNBias.Length
                        + (l.UsesFusedWeights(Model.Convention) ? l.FusedWeights.Data.Length + (l.InputFolded ? 0 : l.FusedRzBias.Length) + l.FusedNBias.Length : 0))
        + (Head is null ? 0 : Head.Weights.Data.Length + Head.Bias.Length)
        + HiddenDense.Sum(d => (long)d.Weights.Data.Length + d.Bias.Length)
        + (Embedding is null ? 0 : Embedding.Folded ? Embedding.FoldedTable!.LongLength : Embedding.Table.LongLength)
        + (Model.InputNormalization is null ? 0 : 2L * Model.InputSize)
        + (Model.OutputScaling is null ? 0 : 2L * Model.OutputSize);

    /// <summary>The widest vector granule any component uses (decides which SIMD paths are worth emitting).</summary>
    public int WidestGranule => Math.Max(Math.Max(Layers.Max(l => l.Granule), Head?.Weights.Granule ?? 1), HiddenDense.Select(d => d.Weights.Granule).DefaultIfEmpty(1).Max());

    /// <summary>
    /// The bytes a token model's generated code embeds for its input in each form, or null without an embedding.
    /// Folded: one float32 table [V, 3Hp]. Unfolded: E [V, E] and layer 0's W [3Hp, E] (+ bias), as float32, or as
    /// int8 with row scales for int8-weights. The planner's choice and docs/benchmarks.md's measurement both use it.
    /// </summary>
    public static (long Folded, long Unfolded)? EmbeddingBytes(GruModel model)
    {
        if (model?.Embedding is not { } e) return null;
        var first = model.Layers[0];
        int hp = PackedMatrix.Pad(first.HiddenSize, PackedMatrix.GranuleFor(first.HiddenSize));
        long unfolded = model.Precision != ModelPrecision.Int8Weights
            ? 4L * ((long)e.VocabularySize * e.EmbeddingSize + 3L * hp * e.EmbeddingSize)
            : (long)e.VocabularySize * e.EmbeddingSize + 4L * e.VocabularySize + 3L * hp * e.EmbeddingSize + 4L * 3 * hp;
        return (4L * e.VocabularySize * 3 * hp, unfolded);
    }

    /// <summary>
    /// Builds the plan. <paramref name="foldEmbedding"/> overrides the planner's size rule
    /// (<see cref="KernelPlanner.FoldsEmbedding"/>) for a token model: null lets it decide.
    /// </summary>
    public static NetModelPlan Create(GruModel model, bool? foldEmbedding = null)
    {
        var layers = new List<LayerPlan>();
        // int8-weights: the int8 values and scales are read from the model's quantization, the same object the file holds.
        var quantization = model.Precision == ModelPrecision.Int8Weights ? model.Quantization : null;
        bool fold = false;
        if (EmbeddingBytes(model) is { } bytes)
            fold = foldEmbedding ?? KernelPlanner.FoldsEmbedding(bytes.Folded, bytes.Unfolded);
        for (int k = 0; k < model.Layers.Count; k++) layers.Add(LayerPlan.Create(model.Layers[k], quantization?.Layers[k], inputFolded: k == 0 && fold));
        var hidden = model.HiddenDenseLayers.Select((d, i) => HeadPlan.Create(d, quantization?.HiddenDense[i])).ToList();
        HeadPlan? head = model.Head is null ? null : HeadPlan.Create(model.Head, quantization?.Head);
        var embedding = model.Embedding is null ? null : EmbeddingPlan.Create(model.Embedding, quantization?.Embedding, fold ? layers[0] : null);
        return new NetModelPlan(model, layers, hidden, head, embedding);
    }
}

/// <summary>
/// A token model's embedding in the generated code's layout. Folded: one float32 row per token id of layer 0's input
/// projection W·E[t] + b_i, padded like its gate pre-activations ([V, 3Hp]), so layer 0 reads it instead of computing
/// W·x. Unfolded: the table E [V, E] itself (int8 with one scale per token row for int8-weights), and layer 0 runs W·x
/// on row t.
/// </summary>
public sealed class EmbeddingPlan
{
    private EmbeddingPlan(TokenEmbedding spec, float[]? foldedTable, int foldedRowLength, QuantizedMatrix? int8)
    {
        Spec = spec;
        FoldedTable = foldedTable;
        FoldedRowLength = foldedRowLength;
        Int8 = int8;
    }

    /// <summary>The canonical embedding.</summary>
    public TokenEmbedding Spec { get; }

    /// <summary>Number of token ids V.</summary>
    public int VocabularySize => Spec.VocabularySize;

    /// <summary>Size of one embedding vector E.</summary>
    public int EmbeddingSize => Spec.EmbeddingSize;

    /// <summary>True when layer 0's input projection is folded into <see cref="FoldedTable"/>.</summary>
    public bool Folded => FoldedTable is not null;

    /// <summary>W·E[t] + b_i of layer 0 for every token t, accumulated in double like the reference engine: [V, 3Hp], gate blocks r, z, n padded (padding 0); or null.</summary>
    public float[]? FoldedTable { get; }

    /// <summary>Floats per row of <see cref="FoldedTable"/> (3Hp of layer 0), or 0.</summary>
    public int FoldedRowLength { get; }

    /// <summary>E [V, E] as float32 (the dequantized values of an int8-weights model).</summary>
    public float[] Table => Spec.Table;

    /// <summary>The int8 table with one scale per token row (int8-weights models, unfolded), or null.</summary>
    public QuantizedMatrix? Int8 { get; }

    internal static EmbeddingPlan Create(TokenEmbedding e, QuantizedMatrix? quantized, LayerPlan? foldInto)
    {
        if (foldInto is null) return new EmbeddingPlan(e, null, 0, quantized);
        var layer = foldInto.Spec;
        int h = layer.HiddenSize, hp = foldInto.PaddedHidden, row = 3 * hp, cols = e.EmbeddingSize;
        var table = new float[(long)e.VocabularySize * row];
        for (int t = 0; t < e.VocabularySize; t++)
            for (int p = 0; p < row; p++)
            {
                if (p % hp >= h) continue;                                  // padding lanes stay 0
                int canonical = p / hp * h + p % hp;
                double acc = layer.InputBias[canonical];                    // gx = W·E[t] + b_i, as the reference engine sums it
                for (int c = 0; c < cols; c++) acc += (double)layer.InputWeights[canonical * cols + c] * e.Table[t * cols + c];
                table[(long)t * row + p] = (float)acc;
            }
        return new EmbeddingPlan(e, table, row, null);
    }
}

/// <summary>One GRU layer's packed layout. Gate blocks r, z, n each padded to <see cref="PaddedHidden"/>.</summary>
public sealed class LayerPlan
{
    private LayerPlan(GruLayerSpec spec, int granule, int paddedHidden, PackedMatrix w, PackedMatrix urz, PackedMatrix un, float[] bi, float[] bhrz, float[] bhn,
        PackedMatrix fused, float[] fusedRzBias, float[] fusedNBias, LayerRowScales? rowScales, bool inputFolded)
    {
        InputFolded = inputFolded;
        RowScales = rowScales;
        FusedWeights = fused;
        FusedRzBias = fusedRzBias;
        FusedNBias = fusedNBias;
        Spec = spec;
        Granule = granule;
        PaddedHidden = paddedHidden;
        InputWeights = w;
        RecurrentRzWeights = urz;
        RecurrentNWeights = un;
        InputBias = bi;
        RecurrentRzBias = bhrz;
        RecurrentNBias = bhn;
    }

    /// <summary>The canonical layer.</summary>
    public GruLayerSpec Spec { get; }

    /// <summary>
    /// True for layer 0 of a token model whose input projection W·x + b_i is folded into the embedding table
    /// (<see cref="EmbeddingPlan.FoldedTable"/>): the layer computes no W·x, and <see cref="FusedWeights"/> holds U only.
    /// </summary>
    public bool InputFolded { get; }

    /// <summary>Columns of <see cref="FusedWeights"/> before U's: I, or 0 when the input is folded.</summary>
    public int FusedInputColumns => InputFolded ? 0 : Spec.InputSize;

    /// <summary>Vector granule (floats) of this layer.</summary>
    public int Granule { get; }

    /// <summary>H rounded up to <see cref="Granule"/>.</summary>
    public int PaddedHidden { get; }

    /// <summary>W packed: [3Hp] rows (r, z, n blocks) over the I input columns.</summary>
    public PackedMatrix InputWeights { get; }

    /// <summary>U's r and z rows packed: [2Hp] rows over H columns.</summary>
    public PackedMatrix RecurrentRzWeights { get; }

    /// <summary>U's n rows packed: [Hp] rows over H columns (kept apart: n needs them alone in both conventions).</summary>
    public PackedMatrix RecurrentNWeights { get; }

    /// <summary>b_i padded: [3Hp].</summary>
    public float[] InputBias { get; }

    /// <summary>b_h's r and z blocks padded: [2Hp].</summary>
    public float[] RecurrentRzBias { get; }

    /// <summary>b_h's n block padded: [Hp].</summary>
    public float[] RecurrentNBias { get; }

    /// <summary>
    /// [W | U] packed as one matrix, [3Hp] rows over I + H columns, for the register-resident layer; the r and z rows
    /// and U_n are scaled by ½ (exact in binary floating point): σ(a) = ½ + ½·tanh(a/2) then needs no multiply, and
    /// r ⊙ (U_n·h) = u + tanh(·) ⊙ u with u = ½·U_n·h is one multiply-add.
    /// </summary>
    public PackedMatrix FusedWeights { get; }

    /// <summary>½·(b_i + b_h) for the r and z blocks, padded: [2Hp].</summary>
    public float[] FusedRzBias { get; }

    /// <summary>½·b_hn, padded: [Hp].</summary>
    public float[] FusedNBias { get; }

    /// <summary>Padded row scales of the int8 matrices (int8-weights models), or null.</summary>
    public LayerRowScales? RowScales { get; }

    /// <summary>
    /// True when some SIMD path runs this layer in registers: a reset-after layer whose four gate vectors (r, z,
    /// W_n·x, U_n·h) fit in 8 vectors of the path's width, with no scratch stores and reloads on the h → h' critical path.
    /// </summary>
    public bool UsesFusedWeights(GateConvention convention) => RunsInRegisters(convention, Granule);

    /// <summary>True when this layer runs in registers on a path of <paramref name="pathWidth"/> floats.</summary>
    public bool RunsInRegisters(GateConvention convention, int pathWidth) =>
        convention == GateConvention.ResetAfter && pathWidth > 1 && Math.Min(pathWidth, Granule) == pathWidth
        && 4 * PaddedHidden / pathWidth <= 8;

    internal static LayerPlan Create(GruLayerSpec layer, QuantizedLayer? quantized, bool inputFolded = false)
    {
        int h = layer.HiddenSize;
        int g = PackedMatrix.GranuleFor(h);
        int hp = PackedMatrix.Pad(h, g);
        // Padded row p of a run of gate blocks starting at gate g0 → canonical row, or −1 for padding.
        Func<int, int> Rows(int firstGate) => p => p % hp < h ? (firstGate + p / hp) * h + p % hp : -1;
        float[] PerRow(float[] b, int firstGate, int gates)
        {
            var padded = new float[gates * hp];
            var map = Rows(firstGate);
            for (int p = 0; p < padded.Length; p++) padded[p] = map(p) < 0 ? 0f : b[map(p)];
            return padded;
        }
        // Folded input: [W | U] keeps only U's columns (W·x + b_i comes from the embedding table).
        int i = inputFolded ? 0 : layer.InputSize, columns = i + h;
        var concatenated = new float[3 * h * columns]; // row-major [3H, I + H]: W's row, then U's row
        for (int row = 0; row < 3 * h; row++)
        {
            bool rz = row < 2 * h;
            for (int c = 0; c < i; c++) concatenated[row * columns + c] = rz ? 0.5f * layer.InputWeights[row * i + c] : layer.InputWeights[row * i + c];
            for (int c = 0; c < h; c++) concatenated[row * columns + i + c] = 0.5f * layer.RecurrentWeights[row * h + c];
        }
        var bi = PerRow(layer.InputBias, 0, 3);
        var bhrz = PerRow(layer.RecurrentBias, 0, 2);
        var bhn = PerRow(layer.RecurrentBias, 2, 1);
        sbyte[]? wq = quantized?.InputWeights.Values, uq = quantized?.RecurrentWeights.Values, fusedQ = null;
        LayerRowScales? scales = null;
        if (quantized is not null)
        {
            // [W | U] as int8: the halving moves into the scales (q stays an integer); W's and U's scales differ per row,
            // so the kernel keeps W·x and U·h apart and scales each.
            fusedQ = new sbyte[3 * h * columns];
            for (int row = 0; row < 3 * h; row++)
            {
                Array.Copy(wq!, row * i, fusedQ, row * columns, i);
                Array.Copy(uq!, row * h, fusedQ, row * columns + i, h);
            }
            float[] ws = PerRow(quantized.InputWeights.RowScales, 0, 3), us = PerRow(quantized.RecurrentWeights.RowScales, 0, 3);
            scales = new LayerRowScales(ws, us.Take(2 * hp).ToArray(), us.Skip(2 * hp).ToArray(),
                ws.Select((s, p) => p < 2 * hp ? 0.5f * s : s).ToArray(),
                us.Select(s => 0.5f * s).ToArray());
        }
        return new LayerPlan(layer, g, hp,
            PackedMatrix.Pack(layer.InputWeights, layer.InputSize, 3 * hp, g, Rows(0), wq),
            PackedMatrix.Pack(layer.RecurrentWeights, h, 2 * hp, g, Rows(0), uq),
            PackedMatrix.Pack(layer.RecurrentWeights, h, hp, g, Rows(2), uq),
            bi, bhrz, bhn,
            PackedMatrix.Pack(concatenated, columns, 3 * hp, g, Rows(0), fusedQ),
            bhrz.Select((b, p) => 0.5f * (bi[p] + b)).ToArray(),
            bhn.Select(b => 0.5f * b).ToArray(),
            scales, inputFolded);
    }
}

/// <summary>
/// A layer's int8 row scales in the padded row order of its packed matrices (padding rows 0): the float32 weight of
/// an element is its int8 value times its row's scale, so a kernel may sum q·x and multiply by the row's scale once.
/// </summary>
public sealed class LayerRowScales
{
    internal LayerRowScales(float[] input, float[] recurrentRz, float[] recurrentN, float[] fusedInput, float[] fusedRecurrent)
    {
        Input = input;
        RecurrentRz = recurrentRz;
        RecurrentN = recurrentN;
        FusedInput = fusedInput;
        FusedRecurrent = fusedRecurrent;
    }

    /// <summary>W's row scales: [3Hp].</summary>
    public float[] Input { get; }

    /// <summary>U_r and U_z's row scales: [2Hp].</summary>
    public float[] RecurrentRz { get; }

    /// <summary>U_n's row scales: [Hp].</summary>
    public float[] RecurrentN { get; }

    /// <summary>W's row scales for the fused [W | U] matrix, r and z rows halved (exact): [3Hp].</summary>
    public float[] FusedInput { get; }

    /// <summary>U's row scales for the fused [W | U] matrix, all halved (exact): [3Hp].</summary>
    public float[] FusedRecurrent { get; }
}

/// <summary>A dense layer's packed layout (the head's, or a hidden dense layer's): [Op] rows over its input columns.</summary>
public sealed class HeadPlan
{
    private HeadPlan(DenseHeadSpec spec, PackedMatrix weights, float[] bias, float[]? rowScales)
    {
        RowScales = rowScales;
        Spec = spec;
        Weights = weights;
        Bias = bias;
    }

    /// <summary>The canonical head.</summary>
    public DenseHeadSpec Spec { get; }

    /// <summary>W packed: [Op] rows over H columns.</summary>
    public PackedMatrix Weights { get; }

    /// <summary>b padded: [Op].</summary>
    public float[] Bias { get; }

    /// <summary>Padded row scales of the int8 weights (int8-weights models): [Op], or null.</summary>
    public float[]? RowScales { get; }

    /// <summary>O rounded up to the head's granule.</summary>
    public int PaddedOutputs => Weights.Rows;

    internal static HeadPlan Create(DenseHeadSpec head, QuantizedMatrix? quantized)
    {
        int g = PackedMatrix.GranuleFor(head.OutputSize);
        int op = PackedMatrix.Pad(head.OutputSize, g);
        var bias = new float[op];
        Array.Copy(head.Bias, bias, head.OutputSize);
        float[]? scales = null;
        if (quantized is not null)
        {
            scales = new float[op];
            Array.Copy(quantized.RowScales, scales, head.OutputSize);
        }
        return new HeadPlan(head, PackedMatrix.Pack(head.Weight, head.InputSize, op, g, p => p < head.OutputSize ? p : -1, quantized?.Values), bias, scales);
    }
}

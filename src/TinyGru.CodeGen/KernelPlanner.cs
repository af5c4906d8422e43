using TinyGru.Model;

namespace TinyGru.CodeGen;

/// <summary>
/// Turns a <see cref="NetModelPlan"/> (the packed layout) and the <see cref="TargetProfile"/>s one SIMD width runs on
/// into an immutable <see cref="PathPlan"/>: accumulators per weight pass and partial sums that fit the register file,
/// column unrolling or loops, register residency, method boundaries and sizes within the budget. The emitter renders
/// plans and decides nothing itself. A 128-bit path runs on x64 (16 registers) and ARM64 (32): it is planned for the
/// smaller file, so it never spills on either.
/// </summary>
public static class KernelPlanner
{
    /// <summary>
    /// FMA latency × issue rate on the targets (4 cycles × 2 per cycle): a pass needs this many independent accumulator
    /// chains to issue at full rate, so passes with fewer accumulators split columns over partial sums.
    /// </summary>
    public const int ChainsForFullRate = 8;

    /// <summary>Input columns up to which a matrix pass is straight-line code with constant offsets (when within budget).</summary>
    public const int UnrollColumns = 16;

    /// <summary>Vectors per elementwise pass up to which the gate update is unrolled.</summary>
    public const int UnrollVectors = 4;

    /// <summary>
    /// Models with at most this many embedded floats (512 KiB: an L2 cache of the ARM64 boards and x64 cores we target)
    /// give a SIMD path its own copy of each matrix it would walk in strided passes
    /// (<see cref="MatVecSchedule.OwnLayout"/>). Larger models stream from memory either way, and each copy would add
    /// image size and build time (the H = 256 model's 3.4 M characters of C# would triple).
    /// </summary>
    public const int OwnLayoutsUpToFloats = 131072;

    /// <summary>Models with at most this many embedded floats get their layer methods inlined into the step (if within budget).</summary>
    public const int InlineLayersUpToFloats = 2048;

    /// <summary>Registers a pass needs beside its accumulators: the broadcast input and the weight vector.</summary>
    public const int ScratchRegisters = 2;

    /// <summary>
    /// IL basic blocks (estimated) the multiply-adds of one scratch layer method stay under. Every written-out
    /// multiply-add is a JIT-folded <c>IsSupported ? … : …</c> (two on 128-bit: FMA3, then AdvSimd) and an int8 load one
    /// more; the JIT sizes a method before folding them and compiles one past its limits (2,000 blocks, 2,000 locals,
    /// 20,000 IL instructions) with MinOpts — seen in the listing of the int8-weights H = 32 layer on the 128-bit path,
    /// which went from 331 to 2,495 ns. 1,200 leaves room for the activations and the rest of the method.
    /// </summary>
    public const int MaxBasicBlocks = 1200;

    /// <summary>Estimated IL basic blocks one written-out multiply-add brings (its IsSupported branches, and the int8 load's).</summary>
    public static int BlocksPerMultiplyAdd(int width, bool int8) => (width == 1 ? 0 : width == 4 ? 4 : 2) + (int8 && width > 1 ? 3 : 0);

    /// <summary>Column pairs up to which an integer-only int8 matrix pass is straight-line code (when within budget).</summary>
    public const int Int8UnrollPairs = 8;

    /// <summary>Estimated IL basic blocks one written-out int8 multiply-add brings: none at 512 bits (one form), one
    /// folded branch at 256 (AVX-VNNI or AVX2), two at 128 (SSE2, AdvSimd, portable).</summary>
    public static int Int8BlocksPerMultiplyAdd(int width) => width == 16 ? 0 : width == 8 ? 2 : 4;

    /// <summary>
    /// Whether an integer-only int8 matrix method of <paramref name="pairs"/> column pairs and
    /// <paramref name="multiplyAdds"/> multiply-adds in all (accumulators × pairs) is written straight-line at
    /// <paramref name="width"/> int32 lanes: few pairs, and the written-out method (a load and a multiply-add statement
    /// each) within <see cref="TargetProfile.DefaultMethodBudget"/> statements and <see cref="MaxBasicBlocks"/> blocks.
    /// Otherwise the columns are a loop (one iteration's statements), which costs a counter and a pointer bump per pair.
    /// </summary>
    public static bool Int8PassUnrolled(int pairs, int multiplyAdds, int width) =>
        pairs <= Int8UnrollPairs && 2 * multiplyAdds <= TargetProfile.DefaultMethodBudget
        && multiplyAdds * Int8BlocksPerMultiplyAdd(width) <= MaxBasicBlocks;

    /// <summary>Statements a written-out tanh or sigmoid takes.</summary>
    public const int ActivationStatements = 14;

    /// <summary>A folded embedding table may be this many times the bytes of what it replaces (E and layer 0's W).</summary>
    public const int FoldEmbeddingUpToRatio = 4;

    /// <summary>A folded embedding table is at most this many bytes (1 MiB: beyond it, lookups leave the caches).</summary>
    public const long FoldEmbeddingMaxBytes = 1L << 20;

    /// <summary>
    /// Whether a token model's layer-0 input projection is folded into a [V, 3Hp] table of W·E[t] + b_i: the step then
    /// reads one row instead of computing 3Hp·E multiply-adds, at the price of <paramref name="tableBytes"/> instead of
    /// <paramref name="unfoldedBytes"/> (E and W, with their int8 scales). Folded while the table is at most
    /// <see cref="FoldEmbeddingUpToRatio"/>× larger and at most <see cref="FoldEmbeddingMaxBytes"/>.
    /// </summary>
    public static bool FoldsEmbedding(long tableBytes, long unfoldedBytes) =>
        tableBytes <= FoldEmbeddingMaxBytes && tableBytes <= FoldEmbeddingUpToRatio * unfoldedBytes;

    /// <summary>Plans the path of <paramref name="width"/> floats (1 = scalar) for <paramref name="model"/>.</summary>
    public static PathPlan Plan(NetModelPlan model, int width)
    {
        var profiles = width == 1 ? new[] { TargetProfile.Scalar } : TargetProfile.ForWidth(width).ToArray();
        int registers = profiles.Min(p => p.VectorRegisters);
        int budget = profiles.Min(p => p.MethodBudget);
        var m = model.Model;
        // Per-path copies of strided matrices, while the weights are cache-sized (beyond, each copy is build time and
        // image size for a step that streams from memory either way).
        bool ownLayouts = model.EmbeddedFloats <= OwnLayoutsUpToFloats;
        var layers = new List<LayerSchedule>();
        foreach (var l in model.Layers)
        {
            int w = Math.Min(width, l.Granule);
            if (w < 4) w = 1;
            bool int8 = l.RowScales is not null;
            var resident = Resident(m.Convention, l, w, registers, budget, int8);
            // (a layer that does not fit registers, budget or blocks streams through scratch)
            if (resident is not null)
            {
                layers.Add(new LayerSchedule(w, resident.Value.Sets, resident.Value.Live, resident.Value.Statements, null, null, null));
                continue;
            }
            var (input, rz, n, statements) = ScratchLayer(l, w, registers, budget, ownLayouts);
            layers.Add(new LayerSchedule(w, 0, 0, statements, input, rz, n));
        }
        MatVecSchedule DensePass(HeadPlan d)
        {
            int w = Math.Min(width, d.Weights.Granule);
            return HeadPass(d.Weights, w < 4 ? 1 : w, registers, budget, d.RowScales is not null, ownLayouts);
        }
        MatVecSchedule? head = model.Head is { } h ? DensePass(h) : null;
        // Hidden dense layers: each its own method (Dense{d}), planned like the head, its activation over the padded rows.
        var dense = model.HiddenDense.Select(DensePass).ToList();
        int total = layers.Sum(l => l.Statements) + (head?.Statements ?? 0) + dense.Sum(d => d.Statements);
        bool inline = model.EmbeddedFloats <= InlineLayersUpToFloats && total <= budget;
        return new PathPlan(width, profiles, registers, budget, inline, layers, head, dense);
    }

    private static (int Sets, int Live, int Statements)? Resident(GateConvention convention, LayerPlan l, int w, int registers, int budget, bool int8)
    {
        // The fused [W | U] data exists only when the layer's native width runs it in registers (LayerPlan.UsesFusedWeights).
        if (convention != GateConvention.ResetAfter || w == 1 || !l.UsesFusedWeights(convention) || w > l.Granule) return null;
        int vectors = l.PaddedHidden / w;
        if (4 * vectors > 8) return null; // the h → h' chain is as long as the gate vectors: beyond 8 a scratch layer streams better
        // Live vectors: r, z, W_n·x, and the recurrent sums (U_n·h; int8 also U_r·h and U_z·h apart) per partial sum.
        foreach (int sets in new[] { vectors == 1 ? 4 : vectors == 2 ? 2 : 1, 2, 1 })
        {
            // float: W_n·x, and r, z, U_n·h per partial sum (r and z carry W·x and U·h together); int8: r, z, W_n·x, and
            // U_r·h, U_z·h, U_n·h per partial sum (W's and U's row scales differ).
            int live = vectors * (int8 ? 3 + 3 * sets : 1 + 3 * sets) + ScratchRegisters;
            int statements = (l.FusedInputColumns + l.Spec.HiddenSize) * (3 * vectors + 1) + vectors * (8 + 3 * ActivationStatements);
            int blocks = (l.FusedInputColumns + l.Spec.HiddenSize) * 3 * vectors * BlocksPerMultiplyAdd(w, int8);
            if (live <= registers && statements <= budget && blocks <= MaxBasicBlocks) return (sets, live, statements);
        }
        return null;
    }

    /// <summary>How compact a matrix pass is written: straight-line columns, a column loop, or loops over columns and row blocks.</summary>
    private enum Form { Unrolled, ColumnLoop, RowAndColumnLoops }

    private static MatVecSchedule MatVec(PackedMatrix m, int w, int registers, Form form, bool int8, bool ownLayouts)
    {
        int passes = 0, accumulators = 0, sets = 1;
        foreach (var chunk in m.Chunks)
        {
            int vectors = chunk.Rows / w;
            // The widest pass that fits the register file with its partial sums and divides the chunk (sequential streams).
            int acc = Math.Min(vectors, registers - ScratchRegisters);
            while (acc > 1 && (vectors % acc != 0 || acc * SetsFor(acc, m.Columns) + ScratchRegisters > registers)) acc--;
            accumulators = Math.Max(accumulators, acc);
            sets = Math.Max(sets, SetsFor(acc, m.Columns));
            passes += vectors / acc;
        }
        bool unrolled = form == Form.Unrolled && m.Columns <= UnrollColumns;
        int perPass = unrolled ? m.Columns * (accumulators + 1) + 2 * accumulators + 3 : sets * (accumulators + 1) + 2 * accumulators + 6;
        bool loopRows = form == Form.RowAndColumnLoops;
        // A row loop covers the full chunks in one body; a trailing partial chunk keeps its own passes.
        int fullRows = m.Chunks[0].Rows;
        int writtenPasses = loopRows ? 1 + m.Chunks.Where(c => c.Rows != fullRows).Sum(c => c.Rows / w / Math.Max(1, Math.Min(accumulators, c.Rows / w))) : passes;
        int fmasPerPass = (unrolled ? m.Columns : 2 * sets) * accumulators; // a column loop writes its sets twice (loop and rest)
        // A SIMD path that walks a chunk in several passes reads them strided (a 128-bit pass: 128 of every 512 bytes
        // per column); its own copy cut per pass is one sequential stream (medium's 256-bit matrices 15-25 % faster).
        bool own = ownLayouts && w > 1 && passes > m.Chunks.Count;
        return new MatVecSchedule(w, accumulators, sets, unrolled, loopRows, passes, writtenPasses * perPass, writtenPasses * fmasPerPass * BlocksPerMultiplyAdd(w, int8), own);
    }

    /// <summary>The three matrix passes of a scratch layer in the least compact form that keeps the layer within budget.</summary>
    private static (MatVecSchedule Input, MatVecSchedule Rz, MatVecSchedule N, int Statements) ScratchLayer(LayerPlan l, int w, int registers, int budget, bool ownLayouts)
    {
        bool int8 = l.RowScales is not null;
        int elementwise = (l.PaddedHidden / w <= UnrollVectors ? l.PaddedHidden / w : 1) * (4 + 3 * ActivationStatements);
        (MatVecSchedule, MatVecSchedule, MatVecSchedule, int) With(Form form)
        {
            var input = MatVec(l.InputWeights, w, registers, form, int8, ownLayouts);
            var rz = MatVec(l.RecurrentRzWeights, w, registers, form, int8, ownLayouts);
            var n = MatVec(l.RecurrentNWeights, w, registers, form, int8, ownLayouts);
            // A folded input (token model, layer 0) reads W·x + b_i from the embedding table: no input pass is written.
            return (input, rz, n, (l.InputFolded ? 0 : input.Statements) + rz.Statements + n.Statements + 2 * elementwise);
        }
        bool Fits((MatVecSchedule Input, MatVecSchedule Rz, MatVecSchedule N, int Statements) p) =>
            p.Statements <= budget && (l.InputFolded ? 0 : p.Input.BasicBlocks) + p.Rz.BasicBlocks + p.N.BasicBlocks <= MaxBasicBlocks;
        var unrolled = With(Form.Unrolled);
        if (Fits(unrolled)) return unrolled;
        var columnLoops = With(Form.ColumnLoop);
        return Fits(columnLoops) ? columnLoops : With(Form.RowAndColumnLoops);
    }

    private static MatVecSchedule HeadPass(PackedMatrix m, int w, int registers, int budget, bool int8, bool ownLayouts)
    {
        var unrolled = MatVec(m, w, registers, Form.Unrolled, int8, ownLayouts);
        if (unrolled.Statements <= budget && unrolled.BasicBlocks <= MaxBasicBlocks) return unrolled;
        var columnLoop = MatVec(m, w, registers, Form.ColumnLoop, int8, ownLayouts);
        return columnLoop.Statements <= budget && columnLoop.BasicBlocks <= MaxBasicBlocks ? columnLoop : MatVec(m, w, registers, Form.RowAndColumnLoops, int8, ownLayouts);
    }

    private static int SetsFor(int accumulators, int columns) =>
        Math.Max(1, Math.Min(columns, Math.Min(4, ChainsForFullRate / Math.Max(1, accumulators))));
}

/// <summary>One SIMD width's plan for one model. Immutable.</summary>
public sealed class PathPlan
{
    internal PathPlan(int width, IReadOnlyList<TargetProfile> profiles, int registers, int budget, bool inlineLayers, IReadOnlyList<LayerSchedule> layers, MatVecSchedule? head,
        IReadOnlyList<MatVecSchedule> hiddenDense)
    {
        HiddenDense = hiddenDense;
        Width = width;
        Profiles = profiles;
        Registers = registers;
        MethodBudget = budget;
        InlineLayers = inlineLayers;
        Layers = layers;
        Head = head;
    }

    /// <summary>Floats per vector of the path (1 = scalar).</summary>
    public int Width { get; }

    /// <summary>The targets that run this path.</summary>
    public IReadOnlyList<TargetProfile> Profiles { get; }

    /// <summary>Vector registers the plan may keep live (the smallest file among <see cref="Profiles"/>).</summary>
    public int Registers { get; }

    /// <summary>Statements per method the plan stays within.</summary>
    public int MethodBudget { get; }

    /// <summary>True when the layer and output methods are small enough to be inlined into the path's core.</summary>
    public bool InlineLayers { get; }

    /// <summary>Per-layer schedules.</summary>
    public IReadOnlyList<LayerSchedule> Layers { get; }

    /// <summary>The head's matrix pass, or null.</summary>
    public MatVecSchedule? Head { get; }

    /// <summary>The hidden dense layers' matrix passes (methods Dense{d}), first to last.</summary>
    public IReadOnlyList<MatVecSchedule> HiddenDense { get; }

    /// <summary>Statements of each hot method (Layer{k}, Dense{d}, Output), as planned.</summary>
    public IEnumerable<(string Method, int Statements)> Methods =>
        Layers.Select((l, k) => ($"Layer{k}", l.Statements))
            .Concat(HiddenDense.Select((d, i) => ($"Dense{i}", d.Statements)))
            .Append(("Output", Head?.Statements ?? 4));
}

/// <summary>One layer on one path. Immutable.</summary>
public sealed class LayerSchedule
{
    internal LayerSchedule(int width, int residentPartialSums, int liveVectors, int statements, MatVecSchedule? input, MatVecSchedule? recurrentRz, MatVecSchedule? recurrentN)
    {
        Width = width;
        ResidentPartialSums = residentPartialSums;
        LiveVectors = liveVectors;
        Statements = statements;
        Input = input;
        RecurrentRz = recurrentRz;
        RecurrentN = recurrentN;
    }

    /// <summary>Floats per vector this layer uses on the path (narrowed to the layer's granule).</summary>
    public int Width { get; }

    /// <summary>True when the whole layer runs in registers (no scratch on the h → h' path).</summary>
    public bool RegisterResident => Input is null;

    /// <summary>Partial sums per recurrent accumulator of a register-resident layer (0 otherwise).</summary>
    public int ResidentPartialSums { get; }

    /// <summary>Vectors live at once in a register-resident layer (0 otherwise).</summary>
    public int LiveVectors { get; }

    /// <summary>Planned statement count of the layer method.</summary>
    public int Statements { get; }

    /// <summary>W·x pass (scratch layers).</summary>
    public MatVecSchedule? Input { get; }

    /// <summary>U_rz·h pass (scratch layers).</summary>
    public MatVecSchedule? RecurrentRz { get; }

    /// <summary>U_n·h pass (scratch layers).</summary>
    public MatVecSchedule? RecurrentN { get; }
}

/// <summary>How one packed matrix is streamed on one path. Immutable.</summary>
public sealed class MatVecSchedule
{
    internal MatVecSchedule(int width, int accumulators, int partialSums, bool unrolledColumns, bool loopedRows, int passes, int statements, int basicBlocks, bool ownLayout)
    {
        OwnLayout = ownLayout;
        BasicBlocks = basicBlocks;
        LoopedRows = loopedRows;
        Width = width;
        Accumulators = accumulators;
        PartialSums = partialSums;
        UnrolledColumns = unrolledColumns;
        Passes = passes;
        Statements = statements;
    }

    /// <summary>Floats per vector.</summary>
    public int Width { get; }

    /// <summary>Vector accumulators per pass over the columns (each pass streams its rows' weights sequentially).</summary>
    public int Accumulators { get; }

    /// <summary>Partial sums each accumulator's columns are split over (FMA latency hiding for short passes).</summary>
    public int PartialSums { get; }

    /// <summary>Vectors live in a pass: accumulators × partial sums + broadcast + weight.</summary>
    public int LiveVectors => Accumulators * PartialSums + KernelPlanner.ScratchRegisters;

    /// <summary>True when the columns are straight-line code, false when they are a loop.</summary>
    public bool UnrolledColumns { get; }

    /// <summary>True when the passes over full chunks are one loop (compact code for large matrices).</summary>
    public bool LoopedRows { get; }

    /// <summary>Passes over the matrix's columns.</summary>
    public int Passes { get; }

    /// <summary>IL basic blocks of the pass's multiply-adds (see <see cref="KernelPlanner.MaxBasicBlocks"/>).</summary>
    public int BasicBlocks { get; }

    /// <summary>Planned statements.</summary>
    public int Statements { get; }

    /// <summary>
    /// True when the path reads its own copy of the matrix, cut into one chunk per pass
    /// (<see cref="PackedMatrix.ForPasses"/>), because it walks a shared chunk in several strided passes.
    /// </summary>
    public bool OwnLayout { get; }
}

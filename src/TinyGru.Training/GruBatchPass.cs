using System.Runtime.CompilerServices;
using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>
/// Forward and backward passes (backpropagation through time) over up to <see cref="Capacity"/> sequences at
/// once, for an optional token embedding, stacked GRU layers and the dense layers (hidden ones, then the head).
/// Every activation is kept time-major — [T, b, ·], the rows of one timestep contiguous — so each step is a few
/// small matrix products over the batch. All buffers
/// are allocated here; <see cref="Load"/>, <see cref="Forward"/>, <see cref="Loss"/> and <see cref="Backward"/>
/// allocate nothing. One instance per thread.
/// </summary>
internal sealed class GruBatchPass
{
    private readonly GruNetworkShape _shape;
    private readonly int _steps;
    private readonly TargetTiming _timing;
    private readonly LossKind _loss;
    private readonly float[] _input;     // [T, b, I]: the features, or the embedding rows of the tokens
    private readonly int[] _tokens;      // [T, b]: token ids (token networks), else empty
    private readonly float[] _dInput;    // [T, b, E]: ∂L/∂(embedding rows) (token networks), else empty
    private readonly float[][] _dense;   // per hidden dense layer [T?, b, D]: its activated outputs
    private readonly float[][] _dDense;  // per hidden dense layer [T?, b, D]: ∂L/∂(its pre-activation)
    private readonly float[][] _hs;      // per layer [T+1, b, H]: h_0 = 0, then the output of each step
    private readonly float[][] _pre;     // per layer [T, b, 3H]: W·x + b_i
    private readonly float[][] _gates;   // per layer [T, b, 3H]: r, z, n after activation
    private readonly float[][] _aux;     // per layer [T, b, H]: U_n·h + b_hn (reset-after) or r ⊙ h (reset-before)
    private readonly float[][] _dPre;    // per layer [T, b, 3H]: ∂L/∂(W·x + b_i)
    private readonly float[][] _dRec;    // per layer [T, b, 3H]: ∂L/∂(U·h + b_h), reset-after only
    private readonly float[][] _dOut;    // per layer [T, b, H]: ∂L/∂h_t from the layer above or the head
    private readonly float[] _rec;       // [b, 3H]: U·h + b_h for one step
    private readonly float[] _dh;        // [b, H]: ∂L/∂h_t for one step
    private readonly float[] _carry;     // [b, H]: ∂L/∂h_{t−1} being accumulated
    private readonly float[] _dq;        // [b, H]: ∂L/∂(r ⊙ h), reset-before only
    private readonly float[] _y;         // [T?, b, O]: head outputs (raw: logits for the cross-entropies)
    private readonly float[] _dy;        // [T?, b, O]
    private readonly float[] _targets;   // [T?, b, O]
    private readonly int[] _labels;      // [T?, b]
    private readonly int[] _range;       // [b]: indices for LoadRange

    public GruBatchPass(GruNetworkShape shape, int steps, TargetTiming timing, LossKind loss, int capacity)
    {
        _shape = shape;
        _steps = steps;
        _timing = timing;
        _loss = loss;
        Capacity = capacity;
        int rows = steps * capacity, layers = shape.LayerCount, hMax = shape.MaxHiddenSize;
        _input = new float[rows * shape.InputSize];
        _tokens = shape.IsTokenInput ? new int[rows] : Array.Empty<int>();
        _dInput = shape.IsTokenInput ? new float[rows * shape.InputSize] : Array.Empty<float>();
        _hs = new float[layers][];
        _pre = new float[layers][];
        _gates = new float[layers][];
        _aux = new float[layers][];
        _dPre = new float[layers][];
        _dRec = new float[layers][];
        _dOut = new float[layers][];
        for (int k = 0; k < layers; k++)
        {
            int h = shape.HiddenSize(k);
            _hs[k] = new float[(steps + 1) * capacity * h];
            _pre[k] = new float[rows * 3 * h];
            _gates[k] = new float[rows * 3 * h];
            _aux[k] = new float[rows * h];
            _dPre[k] = new float[rows * 3 * h];
            _dRec[k] = shape.Convention == GateConvention.ResetAfter ? new float[rows * 3 * h] : _dPre[k];
            _dOut[k] = new float[rows * h];
        }
        _rec = new float[capacity * 3 * hMax];
        _dh = new float[capacity * hMax];
        _carry = new float[capacity * hMax];
        _dq = new float[capacity * hMax];
        int outputs = OutputRowsFor(capacity) * shape.OutputSize;
        _dense = new float[shape.DenseCount - 1][];
        _dDense = new float[shape.DenseCount - 1][];
        for (int d = 0; d < _dense.Length; d++)
        {
            _dense[d] = new float[OutputRowsFor(capacity) * shape.DenseOutputSize(d)];
            _dDense[d] = new float[_dense[d].Length];
        }
        _y = new float[outputs];
        _dy = new float[outputs];
        _targets = new float[outputs];
        _labels = new int[OutputRowsFor(capacity)];
        _range = new int[capacity];
        Gradient = new float[shape.ParameterCount];
    }

    /// <summary>Most sequences one pass holds.</summary>
    public int Capacity { get; }

    /// <summary>Sequences loaded by the last <see cref="Load"/>.</summary>
    public int Rows { get; private set; }

    /// <summary>Head output rows: b for sequence-to-one, T·b (time-major) for sequence-to-sequence.</summary>
    public int OutputRows => OutputRowsFor(Rows);

    /// <summary>Raw head outputs of the last forward pass [OutputRows, O].</summary>
    public ReadOnlySpan<float> Outputs => _y.AsSpan(0, OutputRows * _shape.OutputSize);

    /// <summary>Targets of the loaded batch [OutputRows, O] (real-valued losses).</summary>
    public ReadOnlySpan<float> Targets => _targets.AsSpan(0, OutputRows * _shape.OutputSize);

    /// <summary>Class indices of the loaded batch [OutputRows] (cross-entropy).</summary>
    public ReadOnlySpan<int> Labels => _labels.AsSpan(0, OutputRows);

    /// <summary>∂L/∂parameters, accumulated by <see cref="Backward"/>; the caller clears it.</summary>
    public float[] Gradient { get; }

    private int OutputRowsFor(int rows) => _timing == TargetTiming.LastStep ? rows : _steps * rows;

    /// <summary>Gathers sequences <paramref name="indices"/> of <paramref name="set"/> into time-major buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Load(SequenceSet set, ReadOnlySpan<int> indices)
    {
        int b = indices.Length, inputs = _shape.StepInputSize, outputs = _shape.OutputSize, per = set.TargetsPerSequence;
        if (b > Capacity) throw new ArgumentException($"at most {Capacity} sequences per pass");
        if (set.InputSize != inputs) throw new ArgumentException($"the set has {set.InputSize} values per step; the network takes {inputs}");
        Rows = b;
        for (int m = 0; m < b; m++)
        {
            int s = indices[m];
            if (_shape.VocabularySize is int vocabulary)
                for (int t = 0; t < _steps; t++)
                {
                    float id = set.Inputs[s * _steps + t];
                    if (!(id >= 0) || id >= vocabulary || id != MathF.Floor(id))
                        throw new ArgumentOutOfRangeException(nameof(set), id, $"token id {id} is not a whole number from 0 to {vocabulary - 1}");
                    _tokens[t * b + m] = (int)id;
                }
            else
                for (int t = 0; t < _steps; t++)
                    set.Inputs.AsSpan((s * _steps + t) * inputs, inputs).CopyTo(_input.AsSpan((t * b + m) * inputs, inputs));
            for (int t = 0; t < per; t++)
            {
                int row = t * b + m, source = s * per + t;
                if (set.Labels is not null) _labels[row] = set.Labels[source];
                else set.Targets.AsSpan(source * outputs, outputs).CopyTo(_targets.AsSpan(row * outputs, outputs));
            }
        }
    }

    /// <summary>Gathers sequences <paramref name="start"/> … start + count − 1 of <paramref name="set"/>.</summary>
    public void LoadRange(SequenceSet set, int start, int count)
    {
        for (int i = 0; i < count; i++) _range[i] = start + i;
        Load(set, _range.AsSpan(0, count));
    }

    /// <summary>
    /// Runs the loaded sequences through the network. <paramref name="transposed"/> holds Wᵀ, Uᵀ and the head's
    /// Wᵀ (see <see cref="TransposedWeights"/>), so every forward product streams along the output row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(float[] parameters, float[] transposed)
    {
        int b = Rows, steps = _steps;
        if (_shape.IsTokenInput)
        {
            // x_t = E[token_t]: gather the rows (the backward pass scatters into them)
            int e = _shape.InputSize;
            var table = _shape.Embedding.Of(parameters);
            for (int r = 0; r < steps * b; r++) table.Slice(_tokens[r] * e, e).CopyTo(_input.AsSpan(r * e, e));
        }
        ReadOnlySpan<float> x = _input;
        for (int k = 0; k < _shape.LayerCount; k++)
        {
            int h = _shape.HiddenSize(k), h3 = 3 * h, inputs = _shape.LayerInputSize(k), bh = b * h;
            var pre = _pre[k].AsSpan(0, steps * b * h3);
            var hs = _hs[k].AsSpan(0, (steps + 1) * bh);
            var gates = _gates[k];
            var aux = _aux[k];
            var wt = _shape.TransposedInputWeights(k).Of(transposed);        // [I, 3H]
            var ut = _shape.TransposedRecurrentWeights(k).Of(transposed);    // [H, 3H]
            var bi = _shape.InputBias(k).Of(parameters);                     // [3H]
            var bhr = _shape.RecurrentBias(k).Of(parameters);                // [3H]

            // Input projections of every step at once: pre [T·b, 3H] = b_i + x [T·b, I] · Wᵀ [I, 3H]
            MatrixKernels.BroadcastRows(bi, pre, h3, steps * b);
            MatrixKernels.AddProduct(x, inputs, wt, h3, pre, h3, steps * b, inputs, h3);
            hs.Slice(0, bh).Clear();

            for (int t = 0; t < steps; t++)
            {
                var hPrev = hs.Slice(t * bh, bh);                            // [b, H]
                var hNext = hs.Slice((t + 1) * bh, bh);                      // [b, H]
                var preT = pre.Slice(t * b * h3, b * h3);                    // [b, 3H]
                var gatesT = gates.AsSpan(t * b * h3, b * h3);               // [b, 3H]
                var auxT = aux.AsSpan(t * bh, bh);                           // [b, H]
                var rec = _rec.AsSpan(0, b * h3);                            // [b, 3H]
                if (_shape.Convention == GateConvention.ResetAfter)
                {
                    // rec = b_h + h_{t−1} · Uᵀ
                    MatrixKernels.BroadcastRows(bhr, rec, h3, b);
                    MatrixKernels.AddProduct(hPrev, h, ut, h3, rec, h3, b, h, h3);
                    for (int m = 0; m < b; m++)
                        GruCellKernels.ForwardResetAfter(preT.Slice(m * h3, h3), rec.Slice(m * h3, h3), hPrev.Slice(m * h, h),
                            gatesT.Slice(m * h3, h3), auxT.Slice(m * h, h), hNext.Slice(m * h, h));
                }
                else
                {
                    // r and z blocks: rec[:, 0:2H] = b_h + h_{t−1} · Uᵀ[:, 0:2H]
                    MatrixKernels.BroadcastRows(bhr.Slice(0, 2 * h), rec, h3, b);
                    MatrixKernels.AddProduct(hPrev, h, ut, h3, rec, h3, b, h, 2 * h);
                    for (int m = 0; m < b; m++)
                        GruCellKernels.ForwardResetBeforeGates(preT.Slice(m * h3, h3), rec.Slice(m * h3, h3), hPrev.Slice(m * h, h),
                            gatesT.Slice(m * h3, h3), auxT.Slice(m * h, h));
                    // n block: rec[:, 2H:3H] = b_hn + (r ⊙ h) · Uᵀ[:, 2H:3H]
                    var recN = rec.Slice(2 * h);
                    MatrixKernels.BroadcastRows(bhr.Slice(2 * h), recN, h3, b);
                    MatrixKernels.AddProduct(auxT, h, ut.Slice(2 * h), h3, recN, h3, b, h, h);
                    for (int m = 0; m < b; m++)
                        GruCellKernels.ForwardResetBeforeState(preT.Slice(m * h3, h3), rec.Slice(m * h3, h3), hPrev.Slice(m * h, h),
                            gatesT.Slice(m * h3, h3), hNext.Slice(m * h, h));
                }
            }
            x = hs.Slice(bh);                                                // [T·b, H]: this layer's outputs feed the next
        }

        // Hidden dense layers: a [rows, D] = act(b + a_in [rows, in] · Wᵀ [in, D]); then the head without activation
        int rows = OutputRows, width = _shape.LastHiddenSize, last = _shape.DenseCount - 1;
        Span<float> a = HeadInput();
        for (int d = 0; d <= last; d++)
        {
            int n = _shape.DenseOutputSize(d);
            var z = d == last ? _y.AsSpan(0, rows * n) : _dense[d].AsSpan(0, rows * n);
            MatrixKernels.BroadcastRows(_shape.DenseBias(d).Of(parameters), z, n, rows);
            MatrixKernels.AddProduct(a, width, _shape.TransposedDenseWeight(d).Of(transposed), n, z, n, rows, width, n);
            if (d < last) DenseKernels.Activate(_shape.DenseActivation(d), z);
            a = z;
            width = n;
        }
    }

    /// <summary>Sum of the loss over the batch; leaves ∂(scale·loss)/∂y for <see cref="Backward"/>.</summary>
    public double Loss(float scale) =>
        LossFunction.Evaluate(_loss, Outputs, OutputRows, _shape.OutputSize, Targets, Labels, scale, _dy);

    /// <summary>Backpropagates the gradient left by <see cref="Loss"/> and adds ∂L/∂parameters to <see cref="Gradient"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(float[] parameters)
    {
        int b = Rows, steps = _steps, last = _shape.LayerCount - 1, rows = OutputRows;
        int hl = _shape.LastHiddenSize, o = _shape.OutputSize;
        var grad = Gradient;
        var dTop = _dOut[last].AsSpan(0, steps * b * hl);
        dTop.Clear();
        var dHead = _timing == TargetTiming.LastStep ? dTop.Slice((steps - 1) * b * hl, b * hl) : dTop;

        // Dense layers, head first: ∂W [out, in] += dzᵀ · a_in, ∂b += Σ dz, ∂a_in = dz · W, then ∂z_in = ∂a_in ⊙ act′
        Span<float> dz = _dy.AsSpan(0, rows * o);
        for (int d = _shape.DenseCount - 1; d >= 0; d--)
        {
            int n = _shape.DenseOutputSize(d), inputs = _shape.DenseInputSize(d);
            Span<float> a = d == 0 ? HeadInput() : _dense[d - 1].AsSpan(0, rows * inputs);
            MatrixKernels.AddTransposedProduct(dz, n, a, inputs, _shape.DenseWeight(d).Of(grad), inputs, n, rows, inputs);
            MatrixKernels.AddColumnSums(dz, n, rows, _shape.DenseBias(d).Of(grad));
            var below = d == 0 ? dHead : _dDense[d - 1].AsSpan(0, rows * inputs);
            if (d > 0) below.Clear();
            MatrixKernels.AddProduct(dz, n, _shape.DenseWeight(d).Of(parameters), inputs, below, inputs, rows, n, inputs);
            if (d > 0) DenseKernels.MultiplyDerivative(_shape.DenseActivation(d - 1), a, below);
            dz = below;
        }

        for (int k = last; k >= 0; k--)
        {
            int h = _shape.HiddenSize(k), h3 = 3 * h, inputs = _shape.LayerInputSize(k), bh = b * h;
            var hs = _hs[k].AsSpan(0, (steps + 1) * bh);
            var gates = _gates[k];
            var aux = _aux[k];
            var dPre = _dPre[k].AsSpan(0, steps * b * h3);
            var dRec = _dRec[k].AsSpan(0, steps * b * h3);
            var dOut = _dOut[k];
            var u = _shape.RecurrentWeights(k).Of(parameters);                // [3H, H]
            var carry = _carry.AsSpan(0, bh);
            var dh = _dh.AsSpan(0, bh);
            carry.Clear();

            for (int t = steps - 1; t >= 0; t--)
            {
                var hPrev = hs.Slice(t * bh, bh);
                var gatesT = gates.AsSpan(t * b * h3, b * h3);
                var auxT = aux.AsSpan(t * bh, bh);
                var dPreT = dPre.Slice(t * b * h3, b * h3);
                dOut.AsSpan(t * bh, bh).CopyTo(dh);                           // ∂L/∂h_t = from above + from step t+1
                MatrixKernels.Add(carry, dh);
                if (_shape.Convention == GateConvention.ResetAfter)
                {
                    var dRecT = dRec.Slice(t * b * h3, b * h3);
                    for (int m = 0; m < b; m++)
                        GruCellKernels.BackwardResetAfter(dh.Slice(m * h, h), gatesT.Slice(m * h3, h3), hPrev.Slice(m * h, h), auxT.Slice(m * h, h),
                            dPreT.Slice(m * h3, h3), dRecT.Slice(m * h3, h3), carry.Slice(m * h, h));
                    // carry += dRec [b, 3H] · U [3H, H]
                    MatrixKernels.AddProduct(dRecT, h3, u, h, carry, h, b, h3, h);
                }
                else
                {
                    for (int m = 0; m < b; m++)
                        GruCellKernels.BackwardResetBeforeState(dh.Slice(m * h, h), gatesT.Slice(m * h3, h3), hPrev.Slice(m * h, h),
                            dPreT.Slice(m * h3, h3), carry.Slice(m * h, h));
                    // dq [b, H] = dn [b, H] · U_n [H, H]
                    var dq = _dq.AsSpan(0, bh);
                    dq.Clear();
                    MatrixKernels.AddProduct(dPreT.Slice(2 * h), h3, u.Slice(2 * h * h), h, dq, h, b, h, h);
                    for (int m = 0; m < b; m++)
                        GruCellKernels.BackwardResetBeforeGate(dq.Slice(m * h, h), gatesT.Slice(m * h3, h3), hPrev.Slice(m * h, h),
                            dPreT.Slice(m * h3, h3), carry.Slice(m * h, h));
                    // carry += d(r, z) [b, 2H] · U_rz [2H, H]
                    MatrixKernels.AddProduct(dPreT, h3, u, h, carry, h, b, 2 * h, h);
                }
            }

            // Weight gradients over all steps at once.
            int n = steps * b;
            var x = k == 0 ? _input.AsSpan(0, n * inputs) : _hs[k - 1].AsSpan(b * inputs, n * inputs); // [T·b, I]
            var hPrevAll = hs.Slice(0, n * h);                                                        // [T·b, H]: h_{t−1}
            MatrixKernels.AddColumnSums(dPre, h3, n, _shape.InputBias(k).Of(grad));
            MatrixKernels.AddColumnSums(dRec, h3, n, _shape.RecurrentBias(k).Of(grad));
            MatrixKernels.AddTransposedProduct(dPre, h3, x, inputs, _shape.InputWeights(k).Of(grad), inputs, h3, n, inputs); // ∂W [3H, I] += dPreᵀ · x
            var dU = _shape.RecurrentWeights(k).Of(grad);
            if (_shape.Convention == GateConvention.ResetAfter)
                MatrixKernels.AddTransposedProduct(dRec, h3, hPrevAll, h, dU, h, h3, n, h);                            // ∂U [3H, H] += dRecᵀ · h
            else
            {
                MatrixKernels.AddTransposedProduct(dPre, h3, hPrevAll, h, dU, h, 2 * h, n, h);                          // ∂U_rz += d(r, z)ᵀ · h
                MatrixKernels.AddTransposedProduct(dPre.Slice(2 * h), h3, aux.AsSpan(0, n * h), h, dU.Slice(2 * h * h), h, h, n, h); // ∂U_n += dnᵀ · (r ⊙ h)
            }

            if (k > 0)
            {
                // ∂L/∂(outputs of layer k−1) [T·b, I] = dPre [T·b, 3H] · W [3H, I]
                var below = _dOut[k - 1].AsSpan(0, n * inputs);
                below.Clear();
                MatrixKernels.AddProduct(dPre, h3, _shape.InputWeights(k).Of(parameters), inputs, below, inputs, n, h3, inputs);
            }
            else if (_shape.IsTokenInput)
            {
                // ∂L/∂x [T·b, E] = dPre · W, scatter-added into the rows of the tokens that were looked up
                var dx = _dInput.AsSpan(0, n * inputs);
                dx.Clear();
                MatrixKernels.AddProduct(dPre, h3, _shape.InputWeights(0).Of(parameters), inputs, dx, inputs, n, h3, inputs);
                var table = _shape.Embedding.Of(grad);
                for (int r = 0; r < n; r++) MatrixKernels.Add(dx.Slice(r * inputs, inputs), table.Slice(_tokens[r] * inputs, inputs));
            }
        }
    }

    /// <summary>What the head reads: the last layer's final state [b, H], or its state at every step [T·b, H].</summary>
    private Span<float> HeadInput()
    {
        int b = Rows, h = _shape.LastHiddenSize;
        var hs = _hs[^1];
        return _timing == TargetTiming.LastStep ? hs.AsSpan(_steps * b * h, b * h) : hs.AsSpan(b * h, _steps * b * h);
    }
}

/// <summary>Wᵀ [I, 3H] and Uᵀ [H, 3H] of every layer and every dense layer's Wᵀ [in, out]: the layouts the forward products stream along.</summary>
internal static class TransposedWeights
{
    public static float[] Create(GruNetworkShape shape) => new float[shape.TransposedCount];

    /// <summary>Refreshes <paramref name="transposed"/> from the canonical <paramref name="parameters"/> (after every optimizer step).</summary>
    public static void Refresh(GruNetworkShape shape, float[] parameters, float[] transposed)
    {
        for (int k = 0; k < shape.LayerCount; k++)
        {
            int h3 = 3 * shape.HiddenSize(k);
            MatrixKernels.Transpose(shape.InputWeights(k).Of(parameters), h3, shape.LayerInputSize(k), shape.TransposedInputWeights(k).Of(transposed));
            MatrixKernels.Transpose(shape.RecurrentWeights(k).Of(parameters), h3, shape.HiddenSize(k), shape.TransposedRecurrentWeights(k).Of(transposed));
        }
        for (int d = 0; d < shape.DenseCount; d++)
            MatrixKernels.Transpose(shape.DenseWeight(d).Of(parameters), shape.DenseOutputSize(d), shape.DenseInputSize(d), shape.TransposedDenseWeight(d).Of(transposed));
    }
}

using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Runtime;

/// <summary>
/// Runs an integer-only <see cref="ModelPrecision.Int8"/> model exactly as docs/quantization.md specifies: the oracle
/// that generated int8 code must match bit for bit. Plain loops over <see cref="FixedPointGruModel"/>; only the
/// input quantization and the output de-quantization touch floating point. <see cref="Step(ReadOnlySpan{float}, Span{float})"/> allocates nothing.
/// </summary>
public sealed class Int8ReferenceEngine : IGruModel
{
    private readonly FixedPointGruModel _fp;
    private readonly GruModel _model;
    private readonly int[][] _h;    // per layer: hidden state [H_k], Q0.15
    private readonly int[] _x;      // quantized input minus zero point [I]
    private readonly float[] _changes; // what the network sees before normalization, with a series transform [I]
    private readonly int[] _px;     // requantized W·x [3H_max], Q.12
    private readonly int[] _ph;     // requantized U·h [3H_max], Q.12
    private readonly int[] _r;      // reset gate [H_max], Q0.15 (reset-before: r ⊙ h)
    private readonly int[] _z;      // update gate [H_max], Q0.15
    private readonly int[] _logits; // head output [O], Q.12
    private readonly int[][] _dense; // per hidden dense layer: its output [width], Q0.15 or the layer's own int16-range unit

    /// <summary>Creates an engine in the zero state; throws <see cref="ModelFormatException"/> for a model that is not int8.</summary>
    public Int8ReferenceEngine(GruModel model)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _fp = FixedPointGruModel.Create(model);
        int maxH = model.Layers.Max(l => l.HiddenSize);
        _h = model.Layers.Select(l => new int[l.HiddenSize]).ToArray();
        _x = new int[model.InputSize];
        _changes = new float[model.InputSize];
        SeriesState = model.SeriesTransform is { } transform ? new SeriesTransformState(transform) : null;
        _px = new int[3 * maxH];
        _ph = new int[3 * maxH];
        _r = new int[maxH];
        _z = new int[maxH];
        _logits = new int[model.OutputSize];
        _dense = _fp.Dense.Select(d => new int[d.OutputSize]).ToArray();
    }

    /// <summary>Values per step: I, or 1 (the token id as a float) for a token model.</summary>
    public int InputSize => _model.StepInputSize;

    /// <summary>Output size O.</summary>
    public int OutputSize => _model.OutputSize;

    /// <summary>The hidden state of layer <paramref name="layer"/> in Q0.15.</summary>
    public ReadOnlySpan<int> HiddenState(int layer) => _h[layer];

    /// <summary>The last step's head output before the activation, in Q.12 (the last layer's Q0.15 state without a head).</summary>
    public ReadOnlySpan<int> Logits => _logits;

    /// <summary>
    /// The state of the model's <see cref="SeriesTransform"/> (the previous raw input of differenced features), or
    /// null without one. Part of the recurrent state: <see cref="Reset"/> clears it; copy it with
    /// <see cref="SeriesTransformState.CopyTo"/> beside the hidden state.
    /// </summary>
    public SeriesTransformState? SeriesState { get; }

    /// <summary>Sets every hidden state to zero and forgets the previous input of a series transform.</summary>
    public void Reset()
    {
        foreach (var h in _h) Array.Clear(h);
        SeriesState?.Reset();
    }

    /// <summary>
    /// Advances one timestep: <paramref name="input"/> [I] in the user's units → <paramref name="output"/> [O]. For a token
    /// model the input is one value, the token id (a whole number 0 … V−1, else <see cref="ArgumentOutOfRangeException"/>).
    /// </summary>
    public void Step(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != InputSize || output.Length != OutputSize)
            throw new ArgumentException($"expected input of length {InputSize} and output of length {OutputSize}, got {input.Length} and {output.Length}");
        if (_model.Embedding is { } embedding)
        {
            Step(embedding.TokenOf(input[0]), output);
            return;
        }
        StepToLogits(input);
        WriteOutput(output);
        SeriesState?.AddBack(input, output);                                               // residual, in float
    }

    /// <summary>
    /// Advances one timestep of a token model: layer 0's int8 input is row <paramref name="token"/> of the int8 embedding.
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the id and V when it is outside 0 … V−1.
    /// </summary>
    public void Step(int token, Span<float> output)
    {
        var embedding = _model.Embedding ?? throw new InvalidOperationException("this model takes feature vectors, not token ids; call Step(ReadOnlySpan<float>, Span<float>)");
        if (output.Length != OutputSize)
            throw new ArgumentException($"expected output of length {OutputSize}, got {output.Length}");
        LoadToken(embedding, token);
        StepFromInput();
        WriteOutput(output);
    }

    /// <summary>Advances one timestep and returns the index of the largest output, compared in integers.</summary>
    public int Classify(ReadOnlySpan<float> input)
    {
        if (input.Length != InputSize) throw new ArgumentException($"expected input of length {InputSize}, got {input.Length}");
        if (_model.Embedding is { } embedding)
        {
            LoadToken(embedding, embedding.TokenOf(input[0]));
            StepFromInput();
        }
        else StepToLogits(input);
        int best = 0;
        for (int o = 1; o < _logits.Length; o++)
            if (_logits[o] > _logits[best]) best = o;
        return best;
    }

    /// <summary>Runs a whole sequence from the current state: <paramref name="sequence"/> [T, I] → <paramref name="outputs"/> [T, O].</summary>
    public void Run(ReadOnlySpan<float> sequence, Span<float> outputs)
    {
        if (sequence.Length % InputSize != 0 || outputs.Length != sequence.Length / InputSize * OutputSize)
            throw new ArgumentException($"expected a sequence of T·{InputSize} values and T·{OutputSize} outputs, got {sequence.Length} and {outputs.Length}");
        int steps = sequence.Length / InputSize;
        for (int t = 0; t < steps; t++)
            Step(sequence.Slice(t * InputSize, InputSize), outputs.Slice(t * OutputSize, OutputSize));
    }

    private void StepToLogits(ReadOnlySpan<float> input)
    {
        if (SeriesState is { } series)
        {
            series.Apply(input, _changes);                                                 // float, before quantization
            input = _changes;
        }

        // xq = clamp(round((x − mean) · 1/(std·s_x)) + zp, −128, 127); the layer sees xq − zp
        for (int i = 0; i < _x.Length; i++)
            _x[i] = FixedPoint.QuantizeInput((input[i] - _fp.InputMean[i]) * _fp.InputMultiplier[i], _fp.InputZeroPoint) - _fp.InputZeroPoint;
        StepFromInput();
    }

    // x = E_q[t]: the int8 row with the table's one scale and zero point 0
    private void LoadToken(TokenEmbedding embedding, int token)
    {
        int offset = embedding.RowOffset(token);                                           // throws for an id outside 0 … V−1
        var table = _fp.EmbeddingTable!;
        for (int i = 0; i < _x.Length; i++) _x[i] = table[offset + i];
    }

    private void StepFromInput()
    {
        ReadOnlySpan<int> layerInput = _x;
        for (int k = 0; k < _h.Length; k++)
        {
            StepLayer(_fp.Layers[k], layerInput, _h[k]);
            layerInput = _h[k];
        }

        // Hidden dense layers: x_{d+1} = act_d(W_d·x_d + b_d)   (|acc| ≤ width·127·32767)
        for (int d = 0; d < _dense.Length; d++)
        {
            DenseLayer(_fp.Dense[d], layerInput, _dense[d]);
            layerInput = _dense[d];
        }

        if (_fp.HeadWeights is not { } w)
        {
            layerInput.CopyTo(_logits);
            return;
        }
        int hs = layerInput.Length;
        for (int o = 0; o < _logits.Length; o++)
        {
            int acc = 0;                                                   // y = Wy·h + by   (|acc| ≤ H·127·32767)
            for (int j = 0; j < hs; j++) acc += w[o * hs + j] * layerInput[j];
            _logits[o] = FixedPoint.Requantize(acc, _fp.HeadRequantization![o]) + _fp.HeadBias![o];
        }
    }

    private void StepLayer(FixedPointLayer layer, ReadOnlySpan<int> x, int[] h)
    {
        int hs = layer.HiddenSize, cols = layer.InputSize;
        bool after = _model.Convention == GateConvention.ResetAfter;

        // px = requant(W·x)   [3H]
        for (int row = 0; row < 3 * hs; row++)
        {
            int acc = 0;
            for (int i = 0; i < cols; i++) acc += layer.InputWeights[row * cols + i] * x[i];
            _px[row] = FixedPoint.Requantize(acc, layer.InputRequantization[row]);
        }
        // ph = requant(U·h)   [3H] (reset-before: r and z rows only; n needs r ⊙ h first)
        int rows = after ? 3 * hs : 2 * hs;
        for (int row = 0; row < rows; row++)
            _ph[row] = FixedPoint.Requantize(Dot(layer.RecurrentWeights, row * hs, h, hs), layer.RecurrentRequantization[row]);

        for (int j = 0; j < hs; j++)
        {
            _r[j] = _fp.Gate(_px[j] + _ph[j] + layer.GateBias[j]);                // r = σ(Wr·x + Ur·h + br)  (σ or hard sigmoid)
            _z[j] = _fp.Gate(_px[hs + j] + _ph[hs + j] + layer.GateBias[hs + j]); // z = σ(Wz·x + Uz·h + bz)
        }
        if (!after)
        {
            for (int j = 0; j < hs; j++) _r[j] = FixedPoint.MultiplyQ15(_r[j], h[j]);     // r ⊙ h, Q0.15
            for (int j = 0; j < hs; j++)
                _ph[2 * hs + j] = FixedPoint.Requantize(Dot(layer.RecurrentWeights, (2 * hs + j) * hs, _r, hs), layer.RecurrentRequantization[2 * hs + j]);
        }
        for (int j = 0; j < hs; j++)
        {
            int pre = _px[2 * hs + j] + layer.GateBias[2 * hs + j];
            pre += after
                ? FixedPoint.MultiplyQ15(_r[j], FixedPoint.Clamp(_ph[2 * hs + j] + layer.RecurrentNBias[j], FixedPoint.ResetProductLimit)) // n = tanh(Wn·x + bin + r ⊙ (Un·h + bhn))
                : _ph[2 * hs + j];                                                                                                       // n = tanh(Wn·x + Un·(r ⊙ h) + bn)
            int n = FixedPoint.Tanh(pre);
            h[j] = n + FixedPoint.MultiplyQ15(_z[j], h[j] - n);                           // h' = n + z ⊙ (h − n)
        }
    }

    private static void DenseLayer(FixedPointDenseLayer layer, ReadOnlySpan<int> x, int[] y)
    {
        int cols = layer.InputSize;
        for (int o = 0; o < y.Length; o++)
        {
            int acc = 0;
            for (int j = 0; j < cols; j++) acc += layer.Weights[o * cols + j] * x[j];
            int pre = FixedPoint.Requantize(acc, layer.Requantization[o]) + layer.Bias[o];
            y[o] = layer.Activation switch
            {
                HeadActivation.Tanh => FixedPoint.Tanh(pre),                                         // Q.12 → Q0.15
                HeadActivation.Sigmoid => FixedPoint.Sigmoid(pre),
                HeadActivation.Relu => FixedPoint.DenseOutput(pre, relu: true),                     // output units, 0 … 32767
                _ => FixedPoint.DenseOutput(pre, relu: false),                                       // output units, ±32767
            };
        }
    }

    private static int Dot(sbyte[] m, int offset, int[] v, int length)
    {
        int acc = 0;                                                                       // |acc| ≤ H·127·32767 < 2^31
        for (int i = 0; i < length; i++) acc += m[offset + i] * v[i];
        return acc;
    }

    private void WriteOutput(Span<float> output)
    {
        var head = _model.Head;
        int o = _logits.Length;
        if (head is null)
            for (int i = 0; i < o; i++) output[i] = _logits[i] * (1f / 32768);              // Q0.15 state
        else
        {
            switch (head.Activation)
            {
                case HeadActivation.Softmax:
                    int max = int.MinValue;
                    foreach (var v in _logits) max = Math.Max(max, v);
                    int sum = 0;                                                           // ≤ O·32767 < 2^31
                    for (int i = 0; i < o; i++) sum += FixedPoint.Exp(_logits[i] - max);
                    for (int i = 0; i < o; i++) output[i] = FixedPoint.Exp(_logits[i] - max) / (float)sum;
                    break;
                case HeadActivation.Sigmoid:
                    for (int i = 0; i < o; i++) output[i] = FixedPoint.Sigmoid(_logits[i]) * (1f / 32768);
                    break;
                case HeadActivation.Tanh:
                    for (int i = 0; i < o; i++) output[i] = FixedPoint.Tanh(_logits[i]) * (1f / 32768);
                    break;
                case HeadActivation.Relu:
                    for (int i = 0; i < o; i++) output[i] = (_logits[i] > 0 ? _logits[i] : 0) * (1f / FixedPoint.OneQ12);
                    break;
                default:
                    for (int i = 0; i < o; i++) output[i] = _logits[i] * (1f / FixedPoint.OneQ12);
                    break;
            }
        }
        if (_model.OutputScaling is { } s)
            for (int i = 0; i < o; i++) output[i] = output[i] * s.Scale[i] + s.Offset[i];
    }
}

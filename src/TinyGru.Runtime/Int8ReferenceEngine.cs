using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Runtime;

/// <summary>
/// Runs an integer-only <see cref="ModelPrecision.Int8"/> model exactly as docs/quantization.md specifies: the oracle
/// that generated int8 code must match bit for bit. Plain loops over <see cref="FixedPointGruModel"/>; only the
/// input quantization and the output de-quantization touch floating point. <see cref="Step"/> allocates nothing.
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
    }

    /// <summary>Input size I.</summary>
    public int InputSize => _model.InputSize;

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

    /// <summary>Advances one timestep: <paramref name="input"/> [I] in the user's units → <paramref name="output"/> [O].</summary>
    public void Step(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != InputSize || output.Length != OutputSize)
            throw new ArgumentException($"expected input of length {InputSize} and output of length {OutputSize}, got {input.Length} and {output.Length}");
        StepToLogits(input);
        WriteOutput(output);
        SeriesState?.AddBack(input, output);                                               // residual, in float
    }

    /// <summary>Advances one timestep and returns the index of the largest output, compared in integers.</summary>
    public int Classify(ReadOnlySpan<float> input)
    {
        if (input.Length != InputSize) throw new ArgumentException($"expected input of length {InputSize}, got {input.Length}");
        StepToLogits(input);
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

        ReadOnlySpan<int> layerInput = _x;
        for (int k = 0; k < _h.Length; k++)
        {
            StepLayer(_fp.Layers[k], layerInput, _h[k]);
            layerInput = _h[k];
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
            _r[j] = FixedPoint.Sigmoid(_px[j] + _ph[j] + layer.GateBias[j]);                // r = σ(Wr·x + Ur·h + br)
            _z[j] = FixedPoint.Sigmoid(_px[hs + j] + _ph[hs + j] + layer.GateBias[hs + j]); // z = σ(Wz·x + Uz·h + bz)
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
                default:
                    for (int i = 0; i < o; i++) output[i] = _logits[i] * (1f / FixedPoint.OneQ12);
                    break;
            }
        }
        if (_model.OutputScaling is { } s)
            for (int i = 0; i < o; i++) output[i] = output[i] * s.Scale[i] + s.Offset[i];
    }
}

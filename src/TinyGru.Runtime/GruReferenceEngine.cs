using TinyGru.Model;

namespace TinyGru.Runtime;

/// <summary>
/// Runs any <see cref="GruModel"/> one timestep at a time. It is the oracle that generated code is tested
/// against, so it favours clarity over speed: plain loops, dot products accumulated in double, exact
/// sigmoid and tanh. All buffers are allocated in the constructor; <see cref="Step(ReadOnlySpan{float}, Span{float})"/> allocates nothing.
/// </summary>
public sealed class GruReferenceEngine : IGruModel
{
    private readonly GruModel _model;
    private readonly float[][] _h;     // per layer: hidden state [H_k]
    private readonly float[] _x;       // normalized input [I]
    private readonly float[] _changes; // what the network sees before normalization, with a series transform [I]
    private readonly double[] _gx;     // W·x + b_i  [3H_max]
    private readonly double[] _gh;     // U·h + b_h  [3H_max]
    private readonly float[] _rh;      // r ⊙ h, reset-before only [H_max]
    private readonly float[] _y;       // head output [O]
    private readonly float[][] _dense; // per hidden dense layer: its output [width]

    /// <summary>Creates an engine in the zero state.</summary>
    public GruReferenceEngine(GruModel model)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        int maxH = model.Layers.Max(l => l.HiddenSize);
        _h = model.Layers.Select(l => new float[l.HiddenSize]).ToArray();
        _x = new float[model.InputSize];
        _changes = new float[model.InputSize];
        SeriesState = model.SeriesTransform is { } transform ? new SeriesTransformState(transform) : null;
        _gx = new double[3 * maxH];
        _gh = new double[3 * maxH];
        _rh = new float[maxH];
        _y = new float[model.OutputSize];
        _dense = model.HiddenDenseLayers.Select(d => new float[d.OutputSize]).ToArray();
    }

    /// <summary>The model this engine runs.</summary>
    public GruModel Model => _model;

    /// <summary>Values per step: I, or 1 (the token id as a float) for a token model.</summary>
    public int InputSize => _model.StepInputSize;

    /// <summary>Output size O.</summary>
    public int OutputSize => _model.OutputSize;

    /// <summary>The current hidden state of layer <paramref name="layer"/>.</summary>
    public ReadOnlySpan<float> HiddenState(int layer) => _h[layer];

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

        var raw = input;
        if (SeriesState is { } series)
        {
            series.Apply(raw, _changes);                                // changes of differenced features
            input = _changes;
        }

        // x' = (x − mean) / std
        var norm = _model.InputNormalization;
        for (int i = 0; i < _x.Length; i++)
            _x[i] = norm is null ? input[i] : (input[i] - norm.Mean[i]) / norm.Std[i];
        StepFrom(output);
        SeriesState?.AddBack(raw, output);                              // residual: + the last observed target
    }

    /// <summary>
    /// Advances one timestep of a token model: the first GRU layer reads row <paramref name="token"/> of the embedding.
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the id and V when it is outside 0 … V−1.
    /// </summary>
    public void Step(int token, Span<float> output)
    {
        var embedding = _model.Embedding ?? throw new InvalidOperationException("this model takes feature vectors, not token ids; call Step(ReadOnlySpan<float>, Span<float>)");
        if (output.Length != OutputSize)
            throw new ArgumentException($"expected output of length {OutputSize}, got {output.Length}");
        Array.Copy(embedding.Table, embedding.RowOffset(token), _x, 0, _x.Length);
        StepFrom(output);
    }

    private void StepFrom(Span<float> output)
    {
        ReadOnlySpan<float> layerInput = _x;
        for (int k = 0; k < _h.Length; k++)
        {
            StepLayer(_model.Layers[k], layerInput, _h[k]);
            layerInput = _h[k];
        }

        // Hidden dense layers: x_{d+1} = act_d(W_d·x_d + b_d)
        for (int d = 0; d < _dense.Length; d++)
        {
            ApplyHead(_model.HiddenDenseLayers[d], layerInput, _dense[d]);
            layerInput = _dense[d];
        }

        var head = _model.Head;
        if (head is null) layerInput.CopyTo(_y);
        else ApplyHead(head, layerInput, _y);

        // y' = y · scale + offset
        var scaling = _model.OutputScaling;
        for (int o = 0; o < _y.Length; o++)
            output[o] = scaling is null ? _y[o] : _y[o] * scaling.Scale[o] + scaling.Offset[o];
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

    private void StepLayer(GruLayerSpec layer, ReadOnlySpan<float> x, float[] h)
    {
        int hs = layer.HiddenSize, r = 0, z = hs, n = 2 * hs; // gate block offsets: r, z, n

        // gx = W·x + b_i   [3H]
        MatVec(layer.InputWeights, layer.InputBias, x, _gx, 3 * hs);

        if (_model.Convention == GateConvention.ResetAfter)
        {
            // gh = U·h + b_h   [3H]
            MatVec(layer.RecurrentWeights, layer.RecurrentBias, h, _gh, 3 * hs);
            for (int j = 0; j < hs; j++)
            {
                double rj = Gate(_gx[r + j] + _gh[r + j]);              // r = σ(Wr·x + br_i + Ur·h + br_h)
                double zj = Gate(_gx[z + j] + _gh[z + j]);              // z = σ(Wz·x + bz_i + Uz·h + bz_h)
                double nj = Math.Tanh(_gx[n + j] + rj * _gh[n + j]);    // n = tanh(Wn·x + bn_i + r ⊙ (Un·h + bn_h))
                h[j] = (float)((1 - zj) * nj + zj * h[j]);              // h' = (1 − z) ⊙ n + z ⊙ h
            }
            return;
        }

        // Reset-before: r and z need only the r and z rows of U·h; n needs U_n·(r ⊙ h).
        MatVec(layer.RecurrentWeights, layer.RecurrentBias, h, _gh, 2 * hs);
        for (int j = 0; j < hs; j++)
        {
            double rj = Gate(_gx[r + j] + _gh[r + j]);                  // r = σ(Wr·x + br_i + Ur·h + br_h)
            _gh[z + j] = Gate(_gx[z + j] + _gh[z + j]);                 // z = σ(Wz·x + bz_i + Uz·h + bz_h)
            _rh[j] = (float)(rj * h[j]);
        }
        for (int j = 0; j < hs; j++)
        {
            double un = layer.RecurrentBias[n + j];                     // n = tanh(Wn·x + bn_i + Un·(r ⊙ h) + bn_h)
            int row = (n + j) * hs;
            for (int i = 0; i < hs; i++) un += (double)layer.RecurrentWeights[row + i] * _rh[i];
            double nj = Math.Tanh(_gx[n + j] + un);
            double zj = _gh[z + j];
            h[j] = (float)((1 - zj) * nj + zj * h[j]);                  // safe in place: n reads r ⊙ h from _rh
        }
    }

    private static void ApplyHead(DenseHeadSpec head, ReadOnlySpan<float> h, float[] y)
    {
        int o = head.OutputSize, hs = head.InputSize;
        for (int i = 0; i < o; i++)
        {
            double acc = head.Bias[i];                                  // y = W·h + b
            for (int j = 0; j < hs; j++) acc += (double)head.Weight[i * hs + j] * h[j];
            y[i] = (float)acc;
        }
        switch (head.Activation)
        {
            case HeadActivation.Relu:
                for (int i = 0; i < o; i++) y[i] = Math.Max(y[i], 0f);
                break;
            case HeadActivation.Softmax:
                float max = float.NegativeInfinity;
                foreach (var v in y) max = Math.Max(max, v);
                double sum = 0;
                for (int i = 0; i < o; i++) sum += Math.Exp(y[i] - max);
                for (int i = 0; i < o; i++) y[i] = (float)(Math.Exp(y[i] - max) / sum);
                break;
            case HeadActivation.Sigmoid:
                for (int i = 0; i < o; i++) y[i] = (float)Sigmoid(y[i]);
                break;
            case HeadActivation.Tanh:
                for (int i = 0; i < o; i++) y[i] = (float)Math.Tanh(y[i]);
                break;
        }
    }

    /// <summary>out[0..rows) = M[rows, cols]·v + b, accumulated in double.</summary>
    private static void MatVec(float[] m, float[] b, ReadOnlySpan<float> v, double[] result, int rows)
    {
        int cols = v.Length;
        for (int i = 0; i < rows; i++)
        {
            double acc = b[i];
            int row = i * cols;
            for (int j = 0; j < cols; j++) acc += (double)m[row + j] * v[j];
            result[i] = acc;
        }
    }

    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>The model's gate function σ: the logistic sigmoid or one of the hard sigmoids.</summary>
    private double Gate(double x) => _model.GateActivation == GateActivation.Sigmoid ? Sigmoid(x) : Activations.Gate(_model.GateActivation, x);
}

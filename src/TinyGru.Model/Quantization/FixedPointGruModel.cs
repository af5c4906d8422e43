namespace TinyGru.Model.Quantization;

/// <summary>The integers one GRU layer of the integer-only scheme computes with (docs/quantization.md).</summary>
public sealed class FixedPointLayer
{
    internal FixedPointLayer(int inputSize, int hiddenSize, sbyte[] w, sbyte[] u, Requantization[] wq, Requantization[] uq, int[] gateBias, int[] recurrentNBias)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        InputWeights = w;
        RecurrentWeights = u;
        InputRequantization = wq;
        RecurrentRequantization = uq;
        GateBias = gateBias;
        RecurrentNBias = recurrentNBias;
    }

    /// <summary>I of this layer.</summary>
    public int InputSize { get; }

    /// <summary>H of this layer.</summary>
    public int HiddenSize { get; }

    /// <summary>W [3H, I] int8, gate blocks r, z, n.</summary>
    public sbyte[] InputWeights { get; }

    /// <summary>U [3H, H] int8, gate blocks r, z, n.</summary>
    public sbyte[] RecurrentWeights { get; }

    /// <summary>[3H] requantization of W·x to Q.12.</summary>
    public Requantization[] InputRequantization { get; }

    /// <summary>[3H] requantization of U·h (U_n·(r ⊙ h) for reset-before) to Q.12.</summary>
    public Requantization[] RecurrentRequantization { get; }

    /// <summary>
    /// [3H] Q.12 biases added outside the reset product: b_i + b_h for r and z; b_in for n (reset-after) or
    /// b_in + b_hn (reset-before).
    /// </summary>
    public int[] GateBias { get; }

    /// <summary>[H] Q.12 b_hn, added to U_n·h inside the reset product (reset-after); zeros for reset-before.</summary>
    public int[] RecurrentNBias { get; }
}

/// <summary>
/// The integers one hidden dense layer of the integer-only scheme computes with (docs/quantization.md, "Hidden dense
/// layers"). tanh/sigmoid layers requantize to a Q.12 pre-activation and output Q0.15; relu/none layers requantize
/// straight to their output scale, whose int16 range is chosen from a weight bound so that it cannot overflow.
/// </summary>
public sealed class FixedPointDenseLayer
{
    internal FixedPointDenseLayer(int inputSize, int outputSize, HeadActivation activation, sbyte[] weights, Requantization[] requantization,
        int[] bias, double inputScale, double outputScale, double bound)
    {
        InputSize = inputSize;
        OutputSize = outputSize;
        Activation = activation;
        Weights = weights;
        Requantization = requantization;
        Bias = bias;
        InputScale = inputScale;
        OutputScale = outputScale;
        Bound = bound;
    }

    /// <summary>Input width (the last GRU layer's H or the previous dense layer's width).</summary>
    public int InputSize { get; }

    /// <summary>Output width.</summary>
    public int OutputSize { get; }

    /// <summary>none, relu, tanh or sigmoid.</summary>
    public HeadActivation Activation { get; }

    /// <summary>True for tanh and sigmoid: Q.12 pre-activation, Q0.15 output. False for relu and none: output in <see cref="OutputScale"/> units.</summary>
    public bool OutputIsQ15 => Activation is HeadActivation.Tanh or HeadActivation.Sigmoid;

    /// <summary>W [out, in] int8.</summary>
    public sbyte[] Weights { get; }

    /// <summary>[out] requantization of the accumulators: to Q.12 (tanh/sigmoid) or to the output scale (relu/none).</summary>
    public Requantization[] Requantization { get; }

    /// <summary>[out] biases in Q.12 (tanh/sigmoid) or in output units, within ±32767 (relu/none).</summary>
    public int[] Bias { get; }

    /// <summary>Real value of one input unit.</summary>
    public double InputScale { get; }

    /// <summary>Real value of one output unit: 2^−15 for tanh/sigmoid, Bound / 32767 for relu/none.</summary>
    public double OutputScale { get; }

    /// <summary>max_o (Σ_j |W_oj| · max|x| + |b_o|): a bound on the real pre-activation, from the weights alone.</summary>
    public double Bound { get; }
}

/// <summary>
/// The integer-only form of an <see cref="ModelPrecision.Int8"/> model: every number its <c>Step</c> uses, derived
/// once from the model's int8 weights, float32 scales and biases. The reference engine and both code emitters
/// read this, so they cannot disagree on a multiplier, shift or rounded bias.
/// </summary>
public sealed class FixedPointGruModel
{
    private FixedPointGruModel(GruModel model, float[] inputMean, float[] inputMultiplier, int zeroPoint, FixedPointLayer[] layers,
        sbyte[]? headWeights, Requantization[]? headRequantization, int[]? headBias, FixedPointDenseLayer[] dense, double headInputScale, sbyte[]? embedding)
    {
        Dense = dense;
        HeadInputScale = headInputScale;
        EmbeddingTable = embedding;
        GateSlope = FixedPoint.HardSigmoidSlope(model.GateActivation);
        Model = model;
        InputMean = inputMean;
        InputMultiplier = inputMultiplier;
        InputZeroPoint = zeroPoint;
        Layers = layers;
        HeadWeights = headWeights;
        HeadRequantization = headRequantization;
        HeadBias = headBias;
    }

    /// <summary>The model this was derived from.</summary>
    public GruModel Model { get; }

    /// <summary>[I] subtracted from the raw input (the normalization mean, or 0).</summary>
    public float[] InputMean { get; }

    /// <summary>[I] multiplies (x − mean): 1 / (std · input scale), rounded to float32.</summary>
    public float[] InputMultiplier { get; }

    /// <summary>The int8 input zero point.</summary>
    public int InputZeroPoint { get; }

    /// <summary>The layers, first to last.</summary>
    public IReadOnlyList<FixedPointLayer> Layers { get; }

    /// <summary>The hidden dense layers between the last GRU layer and the head, first to last.</summary>
    public IReadOnlyList<FixedPointDenseLayer> Dense { get; }

    /// <summary>Real value of one unit of the head's input: 2^−15 (a Q0.15 state or tanh/sigmoid layer), or the last relu/none layer's output scale.</summary>
    public double HeadInputScale { get; }

    /// <summary>
    /// Token models: the embedding [V, E] as int8 with one scale for the whole table (the input scale, zero point 0);
    /// row t is layer 0's quantized input. Null for feature models.
    /// </summary>
    public sbyte[]? EmbeddingTable { get; }

    /// <summary>The gates' <see cref="FixedPoint.HardSigmoidSlope"/>: 0 for the logistic sigmoid.</summary>
    public int GateSlope { get; }

    /// <summary>The r and z gate function of a Q.12 pre-activation, as Q0.15 (<see cref="FixedPoint.Gate"/>).</summary>
    public int Gate(int pre) => FixedPoint.Gate(pre, GateSlope);

    /// <summary>Head W [O, H] int8, or null without a head.</summary>
    public sbyte[]? HeadWeights { get; }

    /// <summary>[O] requantization of the head accumulators to Q.12 logits.</summary>
    public Requantization[]? HeadRequantization { get; }

    /// <summary>[O] Q.12 head biases.</summary>
    public int[]? HeadBias { get; }

    /// <summary>
    /// Derives the integer form of <paramref name="model"/>. Throws <see cref="ModelFormatException"/> (without a
    /// file name) when the model is not <see cref="ModelPrecision.Int8"/> or a scale or bias does not fit the scheme.
    /// </summary>
    public static FixedPointGruModel Create(GruModel model)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        var quant = model.Quantization;
        if (quant is null || quant.Precision != ModelPrecision.Int8 || quant.Input is null)
            throw new ModelFormatException(null, "precision", $"the model is {ModelPrecisions.Name(model.Precision)}; the integer-only form needs an int8 model with input quantization");

        int inputs = model.InputSize;
        var mean = new float[inputs];
        var multiplier = new float[inputs];
        for (int i = 0; i < inputs; i++)
        {
            double std = model.InputNormalization?.Std[i] ?? 1.0;
            mean[i] = model.InputNormalization?.Mean[i] ?? 0f;
            multiplier[i] = (float)(1.0 / (std * quant.Input.Scale));
        }

        var layers = new FixedPointLayer[model.Layers.Count];
        double inputScale = quant.Input.Scale;
        for (int k = 0; k < layers.Length; k++)
        {
            var spec = model.Layers[k];
            var q = quant.Layers[k];
            int h = spec.HiddenSize;
            var wq = Requantizations(q.InputWeights, inputScale, TensorNames.InputWeights(k));
            var uq = Requantizations(q.RecurrentWeights, StateScale, TensorNames.RecurrentWeights(k));
            var gateBias = new int[3 * h];
            var nBias = new int[h];
            bool after = model.Convention == GateConvention.ResetAfter;
            for (int j = 0; j < 3 * h; j++)
            {
                bool n = j >= 2 * h;
                double b = spec.InputBias[j] + (n && after ? 0.0 : spec.RecurrentBias[j]);
                gateBias[j] = Bias(b, TensorNames.InputBias(k), j);
                if (n && after) nBias[j - 2 * h] = Bias(spec.RecurrentBias[j], TensorNames.RecurrentBias(k), j);
            }
            layers[k] = new FixedPointLayer(spec.InputSize, h, q.InputWeights.Values, q.RecurrentWeights.Values, wq, uq, gateBias, nBias);
            inputScale = StateScale;
        }

        // Hidden dense layers: the real input bound starts at the state's |h| < 1 and follows the layers (docs/quantization.md).
        var dense = new FixedPointDenseLayer[model.HiddenDenseLayers.Count];
        double scale = StateScale, inputBound = 1.0;
        for (int d = 0; d < dense.Length; d++)
        {
            var spec = model.HiddenDenseLayers[d];
            var q = quant.HiddenDense[d];
            dense[d] = DenseLayer(spec, q, d, scale, inputBound);
            scale = dense[d].OutputScale;
            inputBound = dense[d].OutputIsQ15 ? 1.0 : dense[d].Bound;
        }

        sbyte[]? headW = null;
        Requantization[]? headQ = null;
        int[]? headB = null;
        if (model.Head is { } head && quant.Head is { } hq)
        {
            headW = hq.Values;
            headQ = Requantizations(hq, scale, TensorNames.HeadWeight, scale == StateScale ? NormalizeHint : DenseHint);
            headB = new int[head.OutputSize];
            for (int o = 0; o < headB.Length; o++) headB[o] = Bias(head.Bias[o], TensorNames.HeadBias, o);
        }

        sbyte[]? embedding = null;
        if (model.Embedding is not null)
        {
            var e = quant.Embedding ?? throw new ModelFormatException(null, $"tensor '{TensorNames.Embedding}'", "the embedding is not quantized");
            for (int v = 0; v < e.Rows; v++)
                if (e.RowScales[v] != quant.Input.Scale)
                    throw new ModelFormatException(null, $"tensor '{TensorNames.Embedding}{TensorNames.ScaleSuffix}'",
                        $"row {v} has scale {F(e.RowScales[v])}; an integer-only int8 token model has one scale for the whole table, equal to the input scale {F(quant.Input.Scale)}");
            if (quant.Input.ZeroPoint != 0)
                throw new ModelFormatException(null, $"tensor '{TensorNames.InputQuantZeroPoint}'", $"is {quant.Input.ZeroPoint}; a token model's int8 input is its embedding row, with zero point 0");
            embedding = e.Values;
        }
        return new FixedPointGruModel(model, mean, multiplier, quant.Input.ZeroPoint, layers, headW, headQ, headB, dense, scale, embedding);
    }

    /// <summary>
    /// One hidden dense layer. The real pre-activation of output o is bounded by B_o = Σ_j |W_oj|·X + |b_o| (X the
    /// input's real bound). tanh/sigmoid: Q.12 like the gates. relu/none: output unit s = max_o B_o / 32767, so the
    /// output needs int16 at most; the accumulator goes straight to that unit (multiplier W scale · input scale / s ≤ 1/127).
    /// </summary>
    private static FixedPointDenseLayer DenseLayer(DenseHeadSpec spec, QuantizedMatrix q, int d, double inputScale, double inputBound)
    {
        int rows = spec.OutputSize, cols = spec.InputSize;
        double bound = 0;
        for (int o = 0; o < rows; o++)
        {
            double sum = Math.Abs((double)spec.Bias[o]);
            for (int j = 0; j < cols; j++) sum += Math.Abs((double)spec.Weight[o * cols + j]) * inputBound;
            bound = Math.Max(bound, sum);
        }
        string tensor = TensorNames.DenseWeight(d);
        var bias = new int[rows];
        if (spec.Activation is HeadActivation.Tanh or HeadActivation.Sigmoid)
        {
            var rq = Requantizations(q, inputScale, tensor, inputScale == StateScale ? NormalizeHint : DenseHint);
            for (int o = 0; o < rows; o++) bias[o] = Bias(spec.Bias[o], TensorNames.DenseBias(d), o);
            return new FixedPointDenseLayer(cols, rows, spec.Activation, q.Values, rq, bias, inputScale, StateScale, bound);
        }
        double outputScale = bound > 0 ? bound / FixedPoint.DenseOutputLimit : StateScale;
        var requant = new Requantization[rows];
        for (int o = 0; o < rows; o++)
        {
            double multiplier = q.RowScales[o] * inputScale / outputScale;
            if (!FixedPoint.TryRequantizationFor(multiplier, out requant[o]))
                throw new ModelFormatException(null, $"tensor '{tensor}'", $"row {o}: requantization multiplier {F(multiplier)} does not fit the integer-only scheme");
            bias[o] = (int)Math.Round(spec.Bias[o] / outputScale, MidpointRounding.AwayFromZero);  // |b| ≤ bound → within ±32767
        }
        return new FixedPointDenseLayer(cols, rows, spec.Activation, q.Values, requant, bias, inputScale, outputScale, bound);
    }

    private static string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The real value of one Q0.15 unit.</summary>
    public const double StateScale = 1.0 / 32768;

    private const string NormalizeHint = "normalize the inputs (train --normalize) or use int8-weights";

    private const string DenseHint = "the input comes from a relu/none dense layer whose weight bound is too large; use int8-weights";

    private static Requantization[] Requantizations(QuantizedMatrix m, double inputScale, string tensor, string hint = NormalizeHint)
    {
        var result = new Requantization[m.Rows];
        for (int i = 0; i < m.Rows; i++)
        {
            double multiplier = m.RowScales[i] * inputScale * FixedPoint.OneQ12;
            if (!FixedPoint.TryRequantizationFor(multiplier, out result[i]))
                throw new ModelFormatException(null, $"tensor '{tensor}'",
                    $"row {i}: weight scale {F(m.RowScales[i])} × input scale {F(inputScale)} is too large for the integer-only scheme (must be below 1/16); " + hint);
        }
        return result;
    }

    private static int Bias(double value, string tensor, int index)
    {
        if (!FixedPoint.TryBiasQ12(value, out int q))
            throw new ModelFormatException(null, $"tensor '{tensor}'", $"element {index} is {value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}; the integer-only scheme needs biases within ±32768");
        return q;
    }
}

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
/// The integer-only form of an <see cref="ModelPrecision.Int8"/> model: every number its <c>Step</c> uses, derived
/// once from the model's int8 weights, float32 scales and biases. The reference engine and both code emitters
/// read this, so they cannot disagree on a multiplier, shift or rounded bias.
/// </summary>
public sealed class FixedPointGruModel
{
    private FixedPointGruModel(GruModel model, float[] inputMean, float[] inputMultiplier, int zeroPoint, FixedPointLayer[] layers,
        sbyte[]? headWeights, Requantization[]? headRequantization, int[]? headBias)
    {
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

        sbyte[]? headW = null;
        Requantization[]? headQ = null;
        int[]? headB = null;
        if (model.Head is { } head && quant.Head is { } hq)
        {
            headW = hq.Values;
            headQ = Requantizations(hq, StateScale, TensorNames.HeadWeight);
            headB = new int[head.OutputSize];
            for (int o = 0; o < headB.Length; o++) headB[o] = Bias(head.Bias[o], TensorNames.HeadBias, o);
        }
        return new FixedPointGruModel(model, mean, multiplier, quant.Input.ZeroPoint, layers, headW, headQ, headB);
    }

    /// <summary>The real value of one Q0.15 unit.</summary>
    public const double StateScale = 1.0 / 32768;

    private static Requantization[] Requantizations(QuantizedMatrix m, double inputScale, string tensor)
    {
        var result = new Requantization[m.Rows];
        for (int i = 0; i < m.Rows; i++)
        {
            double multiplier = m.RowScales[i] * inputScale * FixedPoint.OneQ12;
            if (!FixedPoint.TryRequantizationFor(multiplier, out result[i]))
                throw new ModelFormatException(null, $"tensor '{tensor}'",
                    $"row {i}: weight scale {m.RowScales[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)} × input scale {inputScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} is too large for the integer-only scheme (must be below 1/16); normalize the inputs (train --normalize) or use int8-weights");
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

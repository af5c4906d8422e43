namespace TinyGru.Model.Quantization;

/// <summary>
/// How the integer-only scheme turns a normalized input x' into int8: q = clamp(round(x' / Scale) + ZeroPoint, −128, 127),
/// x' ≈ (q − ZeroPoint) · Scale. Chosen by calibration (<see cref="ModelQuantizer"/>).
/// </summary>
public sealed class InputQuantization
{
    /// <summary>Creates the parameters.</summary>
    public InputQuantization(float scale, int zeroPoint)
    {
        Scale = scale;
        ZeroPoint = zeroPoint;
    }

    /// <summary>Real value of one int8 step, &gt; 0.</summary>
    public float Scale { get; }

    /// <summary>The int8 value that stands for 0.0, −128 … 127.</summary>
    public int ZeroPoint { get; }

    /// <summary>Parameters covering [min, max] (widened to include 0) with 256 levels.</summary>
    public static InputQuantization ForRange(double min, double max)
    {
        min = Math.Min(min, 0);
        max = Math.Max(max, 0);
        if (!(max - min > 1e-12)) return new InputQuantization(1f / 128, 0);
        float scale = (float)((max - min) / 255);
        int zp = (int)Math.Round(-128 - min / scale, MidpointRounding.AwayFromZero);
        return new InputQuantization(scale, Math.Max(-128, Math.Min(127, zp)));
    }
}

/// <summary>The quantized tensors of one GRU layer.</summary>
public sealed class QuantizedLayer
{
    /// <summary>Creates the layer's quantized matrices.</summary>
    public QuantizedLayer(QuantizedMatrix inputWeights, QuantizedMatrix recurrentWeights)
    {
        InputWeights = inputWeights ?? throw new ArgumentNullException(nameof(inputWeights));
        RecurrentWeights = recurrentWeights ?? throw new ArgumentNullException(nameof(recurrentWeights));
    }

    /// <summary>W [3H, I] as int8 with per-row scales.</summary>
    public QuantizedMatrix InputWeights { get; }

    /// <summary>U [3H, H] as int8 with per-row scales.</summary>
    public QuantizedMatrix RecurrentWeights { get; }
}

/// <summary>
/// The quantized form of a <see cref="GruModel"/>: int8 matrices for every layer and the head, and for the
/// integer-only precision the input's int8 parameters. Biases, normalization and output scaling stay float32.
/// </summary>
public sealed class ModelQuantization
{
    /// <summary>Creates the quantization; <see cref="GruModel"/> checks it against the model.</summary>
    public ModelQuantization(ModelPrecision precision, IReadOnlyList<QuantizedLayer> layers, QuantizedMatrix? head, InputQuantization? input,
        IReadOnlyList<QuantizedMatrix>? hiddenDense = null, QuantizedMatrix? embedding = null)
    {
        Precision = precision;
        Layers = (layers ?? throw new ArgumentNullException(nameof(layers))).ToArray();
        Head = head;
        Input = input;
        HiddenDense = hiddenDense?.ToArray() ?? Array.Empty<QuantizedMatrix>();
        Embedding = embedding;
    }

    /// <summary>One weight matrix per hidden dense layer (int8-weights only; format version 3).</summary>
    public IReadOnlyList<QuantizedMatrix> HiddenDense { get; }

    /// <summary>The embedding table [V, E] with one scale per token row (int8-weights only; format version 3).</summary>
    public QuantizedMatrix? Embedding { get; }

    /// <summary><see cref="ModelPrecision.Int8Weights"/> or <see cref="ModelPrecision.Int8"/>.</summary>
    public ModelPrecision Precision { get; }

    /// <summary>One entry per GRU layer.</summary>
    public IReadOnlyList<QuantizedLayer> Layers { get; }

    /// <summary>The head weight [O, H], when the model has a head.</summary>
    public QuantizedMatrix? Head { get; }

    /// <summary>Input int8 parameters; required for <see cref="ModelPrecision.Int8"/>, absent otherwise.</summary>
    public InputQuantization? Input { get; }
}

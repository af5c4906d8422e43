using TinyGru.Model.Quantization;

namespace TinyGru.Model;

/// <summary>Flash (read-only data) and RAM (mutable state and scratch) one precision of a model needs.</summary>
public sealed class PrecisionFootprint
{
    internal PrecisionFootprint(ModelPrecision precision, long flashBytes, long ramBytes)
    {
        Precision = precision;
        FlashBytes = flashBytes;
        RamBytes = ramBytes;
    }

    /// <summary>The precision.</summary>
    public ModelPrecision Precision { get; }

    /// <summary>Weights, scales, biases, requantization constants, normalization and activation tables.</summary>
    public long FlashBytes { get; }

    /// <summary>Recurrent state plus per-step scratch (gate pre-activations and the quantized input).</summary>
    public long RamBytes { get; }
}

/// <summary>
/// Memory a model needs in each precision, counted for TinyGru's own layout (docs/quantization.md, "Footprint"):
/// generated code may pad rows for its vector width, which its XML doc reports separately.
/// </summary>
public sealed class ModelFootprint
{
    private ModelFootprint(long float32WeightBytes, long int8WeightBytes, long stateBytes, PrecisionFootprint[] precisions)
    {
        Float32WeightBytes = float32WeightBytes;
        Int8WeightBytes = int8WeightBytes;
        StateBytes = stateBytes;
        Precisions = precisions;
    }

    /// <summary>Bytes of all layer and head parameters as float32 (normalization excluded).</summary>
    public long Float32WeightBytes { get; }

    /// <summary>Bytes of the int8-weights form: int8 matrices plus float32 row scales and biases.</summary>
    public long Int8WeightBytes { get; }

    /// <summary>Bytes of recurrent state as float32 (every layer's H).</summary>
    public long StateBytes { get; }

    /// <summary>Flash and RAM for float32, int8-weights and int8, in that order.</summary>
    public IReadOnlyList<PrecisionFootprint> Precisions { get; }

    /// <summary>The footprint of one precision.</summary>
    public PrecisionFootprint For(ModelPrecision precision) => Precisions[(int)precision];

    /// <summary>Bytes of the two int16 activation tables (tanh and exp, 513 entries each) of the integer-only scheme.</summary>
    public const int TableBytes = 2 * 513 * 2;

    /// <summary>Computes the footprint of <paramref name="model"/>.</summary>
    public static ModelFootprint Of(GruModel model)
    {
        long values = 0, rows = 0, layerBiases = 0, nBiases = 0, scratch = 0, embeddingRows = 0;
        foreach (var l in model.Layers)
        {
            long r = 3L * l.HiddenSize;
            values += r * l.InputSize + r * l.HiddenSize;   // W, U
            rows += 2 * r;                                  // one scale (or requantization) per row of W and U
            layerBiases += 2 * r;                           // b_i, b_h
            nBiases += l.HiddenSize;
            scratch = Math.Max(scratch, 2 * r);             // W·x and U·h of the widest layer
        }
        if (model.Embedding is { } embedding)
        {
            values += embedding.ParameterCount;             // the table, one scale per row when int8
            embeddingRows = embedding.VocabularySize;
        }
        long headValues = 0, headRows = 0;
        foreach (var dense in model.DenseLayers)
        {
            headValues += (long)dense.OutputSize * dense.InputSize;
            headRows += dense.OutputSize;                   // one bias (and scale) per output
        }
        foreach (var dense in model.HiddenDenseLayers)
            scratch = Math.Max(scratch, 2L * dense.OutputSize); // a hidden dense layer's input and output
        long normalization = 4L * 2 * (model.InputNormalization is null ? 0 : model.InputSize)
                           + 4L * 2 * (model.OutputScaling is null ? 0 : model.OutputSize);
        long state = model.StateSize;
        // A series transform's remembered raw inputs (float in every precision: the transform runs outside the int8 core).
        long transformState = 4L * (model.SeriesTransform?.StateSize ?? 0);

        var f32 = new PrecisionFootprint(ModelPrecision.Float32,
            4 * (values + layerBiases + headValues + headRows) + normalization,
            4 * (state + scratch + model.OutputSize) + transformState);
        long int8Weights = values + headValues + 4 * (rows + embeddingRows + headRows) + 4 * (layerBiases + headRows);
        var w8 = new PrecisionFootprint(ModelPrecision.Int8Weights, int8Weights + normalization,
            4 * (state + scratch + model.OutputSize) + transformState);
        // Integer-only: one packed int32 requantization (pre-shift, multiplier, shift) per row; int32 Q.12 biases
        // (r and z combined, n split for the reset product); input mean and multiplier (a token model's embedding has one
        // scale instead, folded into the requantization); Q0.15 state as int16.
        var i8 = new PrecisionFootprint(ModelPrecision.Int8,
            values + headValues + 4 * (rows + headRows) + 4 * (layerBiases / 2 + nBiases + headRows)
                + (model.IsTokenInput ? 0 : 4L * 2 * model.InputSize) + 4L * 2 * (model.OutputScaling is null ? 0 : model.OutputSize) + TableBytes,
            2 * state + 4 * (scratch + model.InputSize + model.OutputSize) + transformState);
        return new ModelFootprint(model.ParameterCount * 4, int8Weights, state * 4, new[] { f32, w8, i8 });
    }
}

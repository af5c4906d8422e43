namespace TinyGru.Model.Quantization;

/// <summary>What calibration saw: the range of the normalized inputs over the calibration data.</summary>
public sealed class CalibrationRange
{
    /// <summary>Creates a range.</summary>
    public CalibrationRange(double min, double max, long rows, double headroom = 0)
    {
        if (!(headroom >= 0) || double.IsInfinity(headroom)) throw new ArgumentOutOfRangeException(nameof(headroom), "the input headroom must be a fraction ≥ 0");
        Min = min;
        Max = max;
        Rows = rows;
        Headroom = headroom;
    }

    /// <summary>
    /// Fraction by which the int8 input range extends beyond what was seen, on each side (0: exactly min … max).
    /// Inputs beyond the range saturate, so headroom trades resolution for range (docs/quantization.md).
    /// </summary>
    public double Headroom { get; }

    /// <summary>The same range with <paramref name="headroom"/>.</summary>
    public CalibrationRange WithHeadroom(double headroom) => new(Min, Max, Rows, headroom);

    /// <summary>The int8 input parameters for this range: min … max widened by <see cref="Headroom"/>, and 0 included.</summary>
    public InputQuantization ToInputQuantization() => InputQuantization.ForRange(Min * (1 + Headroom), Max * (1 + Headroom));

    /// <summary>Smallest normalized input value seen.</summary>
    public double Min { get; }

    /// <summary>Largest normalized input value seen.</summary>
    public double Max { get; }

    /// <summary>Number of input rows seen.</summary>
    public long Rows { get; }

    /// <summary>The range of <paramref name="model"/>'s normalized inputs over <paramref name="inputRows"/> (each [I], raw units).</summary>
    public static CalibrationRange Observe(GruModel model, IEnumerable<float[]> inputRows)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        if (inputRows is null) throw new ArgumentNullException(nameof(inputRows));
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        long rows = 0;
        var norm = model.InputNormalization;
        foreach (var row in inputRows)
        {
            if (row.Length != model.InputSize)
                throw new ArgumentException($"calibration row {rows} has {row.Length} values; the model takes {model.InputSize}");
            for (int i = 0; i < row.Length; i++)
            {
                double v = norm is null ? row[i] : (row[i] - norm.Mean[i]) / (double)norm.Std[i];
                if (double.IsNaN(v) || double.IsInfinity(v)) continue;
                if (v < min) min = v;
                if (v > max) max = v;
            }
            rows++;
        }
        if (rows == 0) throw new ArgumentException("the calibration data has no rows");
        return new CalibrationRange(min, max, rows);
    }
}

/// <summary>
/// Quantizes a float32 model (post-training): int8 weights per row, and for the integer-only precision the int8 input
/// parameters from a calibration range. The result's float weights are the dequantized int8 values, so every float
/// consumer of <see cref="GruModel"/> sees exactly what the int8 model computes with.
/// </summary>
public static class ModelQuantizer
{
    /// <summary>
    /// Quantizes <paramref name="model"/> to <paramref name="precision"/>. <paramref name="calibration"/> is required for
    /// <see cref="ModelPrecision.Int8"/> (see <see cref="CalibrationRange.ToInputQuantization"/>) except for token
    /// models, whose int8 input is the embedding table quantized with one scale (ignored for them). A model that is already
    /// quantized is re-quantized from its float weights. Throws <see cref="ModelFormatException"/> when the model does
    /// not fit the scheme.
    /// </summary>
    public static GruModel Quantize(GruModel model, ModelPrecision precision, CalibrationRange? calibration = null)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        if (precision == ModelPrecision.Float32) return model.WithoutQuantization();
        bool tokens = model.Embedding is not null;
        if (precision == ModelPrecision.Int8 && calibration is null && !tokens)
            throw new ArgumentException("int8 (integer-only) quantization needs calibration data for the input range", nameof(calibration));

        var layers = new List<GruLayerSpec>();
        var qLayers = new List<QuantizedLayer>();
        foreach (var l in model.Layers)
        {
            var w = QuantizedMatrix.Quantize(l.InputWeights, 3 * l.HiddenSize, l.InputSize);
            var u = QuantizedMatrix.Quantize(l.RecurrentWeights, 3 * l.HiddenSize, l.HiddenSize);
            qLayers.Add(new QuantizedLayer(w, u));
            layers.Add(new GruLayerSpec(l.InputSize, l.HiddenSize, w.Dequantize(), u.Dequantize(), l.InputBias, l.RecurrentBias));
        }
        DenseHeadSpec? head = null;
        QuantizedMatrix? qHead = null;
        if (model.Head is { } h)
        {
            qHead = QuantizedMatrix.Quantize(h.Weight, h.OutputSize, h.InputSize);
            head = new DenseHeadSpec(h.InputSize, h.OutputSize, qHead.Dequantize(), h.Bias, h.Activation);
        }
        // int8-weights of the version-3 parts: each hidden dense layer per output row, the embedding per token row.
        var hidden = new List<DenseHeadSpec>();
        var qHidden = new List<QuantizedMatrix>();
        foreach (var d in model.HiddenDenseLayers)
        {
            var q = QuantizedMatrix.Quantize(d.Weight, d.OutputSize, d.InputSize);
            qHidden.Add(q);
            hidden.Add(new DenseHeadSpec(d.InputSize, d.OutputSize, q.Dequantize(), d.Bias, d.Activation));
        }
        TokenEmbedding? embedding = null;
        QuantizedMatrix? qEmbedding = null;
        if (model.Embedding is { } e)
        {
            // Integer-only: one scale for the whole table, so that every row is the same int8 input to layer 0.
            qEmbedding = precision == ModelPrecision.Int8
                ? QuantizedMatrix.QuantizePerTensor(e.Table, e.VocabularySize, e.EmbeddingSize)
                : QuantizedMatrix.Quantize(e.Table, e.VocabularySize, e.EmbeddingSize);
            embedding = new TokenEmbedding(e.VocabularySize, e.EmbeddingSize, qEmbedding.Dequantize());
        }
        var input = precision != ModelPrecision.Int8 ? null
            : tokens ? new InputQuantization(qEmbedding!.RowScales[0], 0)      // the table's int8 values are the input
            : calibration!.ToInputQuantization();
        var quantization = new ModelQuantization(precision, qLayers, qHead, input, qHidden, qEmbedding);
        return new GruModel(model.Convention, layers, head, model.InputNormalization, model.OutputScaling, model.Metadata, quantization,
            hidden, embedding, model.GateActivation, model.SeriesTransform);
    }
}

using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Training;

/// <summary>
/// Post-training quantization with its evidence: the quantized model, what calibration saw, and the float and
/// quantized models evaluated on the same examples (task metric and how far the outputs moved).
/// </summary>
public sealed record QuantizationReport
{
    /// <summary>The quantized model (its float weights are the dequantized int8 values).</summary>
    public required GruModel Quantized { get; init; }

    /// <summary>The normalized input range over the calibration rows.</summary>
    public required CalibrationRange Calibration { get; init; }

    /// <summary>The float model on the evaluation examples.</summary>
    public required ModelEvaluation Float { get; init; }

    /// <summary>The quantized model on the same examples.</summary>
    public required ModelEvaluation Result { get; init; }

    /// <summary>Largest |quantized − float| over every evaluated output.</summary>
    public required double MaxDeviation { get; init; }

    /// <summary>Mean |quantized − float| over every evaluated output.</summary>
    public required double MeanDeviation { get; init; }

    /// <summary>
    /// Quantizes <paramref name="model"/> to <paramref name="precision"/>, calibrating the input range on the
    /// sequences at <paramref name="calibration"/> and evaluating both models on those at <paramref name="evaluation"/>.
    /// </summary>
    public static QuantizationReport Run(GruModel model, ModelPrecision precision, SequenceExamples examples, IReadOnlyList<int> calibration, IReadOnlyList<int> evaluation, double inputHeadroom = 0)
    {
        if (model.StepInputSize != examples.InputSize)
            throw new TrainingException(model.IsTokenInput
                ? $"the model takes one token id per step; the data has {examples.InputSize} values per step ({string.Join(", ", examples.FeatureNames)})"
                : $"the model takes {model.InputSize} features per step; the data has {examples.InputSize} ({string.Join(", ", examples.FeatureNames)})");
        if (calibration.Count == 0) throw new TrainingException("there are no calibration examples");
        // A token model's int8 input is its embedding table (one scale, zero point 0): there is no input range to observe.
        var range = model.IsTokenInput
            ? new CalibrationRange(0, 0, Rows(examples, calibration).LongCount())
            : CalibrationRange.Observe(model, Rows(examples, calibration, model.SeriesTransform)).WithHeadroom(inputHeadroom);
        var quantized = ModelQuantizer.Quantize(model.WithoutQuantization(), precision, range);
        var before = ModelEvaluation.Of(model.WithoutQuantization(), examples, evaluation);
        var after = ModelEvaluation.Of(quantized, examples, evaluation);
        double max = 0, sum = 0;
        for (int i = 0; i < before.Predictions.Length; i++)
        {
            double d = Math.Abs((double)after.Predictions[i] - before.Predictions[i]);
            max = Math.Max(max, d);
            sum += d;
        }
        return new QuantizationReport
        {
            Quantized = quantized,
            Calibration = range,
            Float = before,
            Result = after,
            MaxDeviation = max,
            MeanDeviation = before.Predictions.Length == 0 ? 0 : sum / before.Predictions.Length,
        };
    }

    /// <summary>
    /// Every timestep's feature vector [I] of the sequences at <paramref name="indices"/>, as the network sees it before
    /// normalization: through <paramref name="transform"/> (changes of differenced features) when there is one.
    /// </summary>
    public static IEnumerable<float[]> Rows(SequenceExamples examples, IReadOnlyList<int> indices, SeriesTransform? transform = null)
    {
        var source = transform is null ? examples : examples.Transformed(transform);
        int i = source.InputSize, t = source.Steps;
        foreach (int n in indices)
            for (int s = 0; s < t; s++)
                yield return source.Inputs.AsSpan((n * t + s) * i, i).ToArray();
    }
}

using System.Globalization;
using TinyGru.Model;
using TinyGru.Runtime;

namespace TinyGru.Training;

/// <summary>
/// How well a model does on examples, measured in the user's units with the reference engine for its precision
/// (<see cref="ReferenceEngines"/>: <see cref="Int8ReferenceEngine"/> for integer-only int8 models,
/// <see cref="GruReferenceEngine"/> otherwise) — the engines every other one is tested against — so the numbers
/// describe the model file itself.
/// </summary>
public sealed record ModelEvaluation
{
    /// <summary>Examples evaluated.</summary>
    public required int Count { get; init; }

    /// <summary>Classification or multi-label: fraction of correct predictions (per label for multi-label).</summary>
    public double? Accuracy { get; init; }

    /// <summary>Classification: counts [actual, predicted] over <see cref="Labels"/>.</summary>
    public int[,]? ConfusionMatrix { get; init; }

    /// <summary>Class or output names.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Regression and forecast: root mean squared error over all outputs.</summary>
    public double? Rmse { get; init; }

    /// <summary>Regression and forecast: mean absolute error over all outputs.</summary>
    public double? Mae { get; init; }

    /// <summary>The model's outputs [Count, P, O] in the user's units (after the head activation and output scaling).</summary>
    public required float[] Predictions { get; init; }

    /// <summary>Forecast: RMSE of predicting the last value in the window.</summary>
    public double? NaiveRmse { get; init; }

    /// <summary>Forecast: MAE of predicting the last value in the window.</summary>
    public double? NaiveMae { get; init; }

    /// <summary>Forecast with a known season length: RMSE of predicting each target's value one season before the forecast time (seasonal naive).</summary>
    public double? SeasonalNaiveRmse { get; init; }

    /// <summary>Forecast with a known season length: MAE of the seasonal-naive forecast.</summary>
    public double? SeasonalNaiveMae { get; init; }

    /// <summary>Runs <paramref name="model"/> over the examples at <paramref name="indices"/>.</summary>
    public static ModelEvaluation Of(GruModel model, SequenceExamples examples, IReadOnlyList<int> indices)
    {
        if (model.StepInputSize != examples.InputSize)
            throw new TrainingException($"the model takes {model.StepInputSize} features per step; the data has {examples.InputSize} ({string.Join(", ", examples.FeatureNames)})");
        if (model.OutputSize != examples.OutputSize)
            throw new TrainingException($"the model has {model.OutputSize} outputs; the data has {examples.OutputSize} targets ({string.Join(", ", examples.OutputNames)})");
        if (indices.Count == 0) throw new TrainingException("there are no examples to evaluate");
        var engine = ReferenceEngines.Create(model);
        int x = examples.Steps * examples.InputSize, o = model.OutputSize, per = examples.TargetsPerSequence;
        var y = new float[o];
        var predictions = new float[indices.Count * per * o];
        for (int n = 0; n < indices.Count; n++)
        {
            engine.Reset();
            var sequence = examples.Inputs.AsSpan(indices[n] * x, x);
            for (int t = 0; t < examples.Steps; t++)
            {
                engine.Step(sequence.Slice(t * examples.InputSize, examples.InputSize), y);
                int p = per == 1 ? t - (examples.Steps - 1) : t;        // which target this step's output answers, if any
                if (p >= 0) y.CopyTo(predictions, (n * per + p) * o);
            }
        }

        switch (examples.Task)
        {
            case LearningTask.Classification:
            {
                var confusion = new int[o, o];
                int correct = 0;
                for (int n = 0; n < indices.Count; n++)
                {
                    int actual = examples.Labels![indices[n]], predicted = GruTrainer.ArgMax(predictions.AsSpan(n * o, o));
                    confusion[actual, predicted]++;
                    if (actual == predicted) correct++;
                }
                return new ModelEvaluation { Count = indices.Count, Accuracy = (double)correct / indices.Count, ConfusionMatrix = confusion, Labels = examples.OutputNames, Predictions = predictions };
            }
            case LearningTask.MultiLabel:
            {
                int correct = 0;
                for (int n = 0; n < indices.Count; n++)
                    for (int j = 0; j < o; j++)
                        if ((predictions[n * o + j] > 0.5f) == (examples.Targets![indices[n] * o + j] > 0.5f)) correct++;
                return new ModelEvaluation { Count = indices.Count, Accuracy = (double)correct / (indices.Count * o), Labels = examples.OutputNames, Predictions = predictions };
            }
            default:
            {
                int values = per * o;
                var (rmse, mae) = Errors(predictions, examples.Targets!, indices, values);
                double? naiveRmse = null, naiveMae = null;
                if (examples.LastValues is not null)
                {
                    var naive = new float[indices.Count * values];
                    for (int n = 0; n < indices.Count; n++) examples.LastValues.AsSpan(indices[n] * values, values).CopyTo(naive.AsSpan(n * values, values));
                    (naiveRmse, naiveMae) = Errors(naive, examples.Targets!, indices, values);
                }
                double? seasonalRmse = null, seasonalMae = null;
                if (examples.SeasonalValues is { } seasonal)
                {
                    var naive = new float[indices.Count * values];
                    for (int n = 0; n < indices.Count; n++) seasonal.AsSpan(indices[n] * values, values).CopyTo(naive.AsSpan(n * values, values));
                    if (Array.TrueForAll(naive, v => !float.IsNaN(v)))       // only when the series reaches a season back from every example
                        (seasonalRmse, seasonalMae) = Errors(naive, examples.Targets!, indices, values);
                }
                return new ModelEvaluation
                {
                    Count = indices.Count, Rmse = rmse, Mae = mae, NaiveRmse = naiveRmse, NaiveMae = naiveMae,
                    SeasonalNaiveRmse = seasonalRmse, SeasonalNaiveMae = seasonalMae, Labels = examples.OutputNames, Predictions = predictions,
                };
            }
        }
    }

    /// <summary>The headline metrics as provenance entries (accuracy or rmse/mae, prefixed).</summary>
    public IReadOnlyDictionary<string, string> ToMetrics(string prefix)
    {
        var inv = CultureInfo.InvariantCulture;
        var metrics = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Accuracy is double a) metrics[prefix + "accuracy"] = a.ToString("0.0000", inv);
        if (Rmse is double r) metrics[prefix + "rmse"] = r.ToString("G6", inv);
        if (Mae is double m) metrics[prefix + "mae"] = m.ToString("G6", inv);
        if (NaiveRmse is double nr) metrics[prefix + "naive_rmse"] = nr.ToString("G6", inv);
        if (SeasonalNaiveRmse is double sr) metrics[prefix + "seasonal_naive_rmse"] = sr.ToString("G6", inv);
        return metrics;
    }

    /// <summary>Errors over <paramref name="o"/> values per example (every output of every target step).</summary>
    private static (double Rmse, double Mae) Errors(float[] predictions, float[] targets, IReadOnlyList<int> indices, int o)
    {
        double squares = 0, absolute = 0;
        for (int n = 0; n < indices.Count; n++)
            for (int j = 0; j < o; j++)
            {
                double e = predictions[n * o + j] - targets[indices[n] * o + j];
                squares += e * e;
                absolute += Math.Abs(e);
            }
        int count = indices.Count * o;
        return (Math.Sqrt(squares / count), absolute / count);
    }
}

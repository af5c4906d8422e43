using System.Globalization;
using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>
/// Choosing and setting up series transforms (docs/forecasting.md). A differenced model is fed m more rows than
/// <c>--window</c> (m = 1, or the season length for <c>seasonal</c>): its first m steps after a reset see no change (0),
/// so <c>--window W</c> gives the network W real changes, as a differenced PyTorch model of window W sees.
/// </summary>
public static class SeriesTransforms
{
    /// <summary>The candidates <c>auto</c> compares, in order (ties keep the earlier, simpler one): seasonal only when the season is known.</summary>
    public static IReadOnlyList<SeriesTransformKind> CandidatesFor(DataSpec spec) => spec.Season is null or < 2
        ? new[] { SeriesTransformKind.None, SeriesTransformKind.Difference }
        : new[] { SeriesTransformKind.None, SeriesTransformKind.Difference, SeriesTransformKind.Seasonal };

    /// <summary>How much lower (relative) a later candidate's validation RMSE must be to replace an earlier one.</summary>
    public const double PreferenceMargin = 0.15;

    /// <summary>Validation fraction carved from the training part when <c>auto</c> needs one and the user gave none.</summary>
    public const double CarvedValidationFraction = 0.2;

    /// <summary>The spec the examples are read with: <paramref name="primingRows"/> more rows per window (the lag of differenced inputs).</summary>
    public static DataSpec LoadingSpec(DataSpec spec, int primingRows) =>
        primingRows > 0 && spec.Layout == DataLayout.Series && spec.Window is int w ? spec with { Window = w + primingRows } : spec;

    /// <summary>The spec to read data for <paramref name="model"/> with (eval, quantize, finetune): m more rows per window for a model differenced at lag m.</summary>
    public static DataSpec LoadingSpec(DataSpec spec, GruModel model) => LoadingSpec(spec, PrimingRows(model.SeriesTransform));

    /// <summary>Rows that only prime the transform's differences (they see a change of 0): 1, or the season + 1; 0 when it differences no input.</summary>
    public static int PrimingRows(SeriesTransform? transform) => transform?.DifferencesInputs == true ? transform.History : 0;

    /// <summary>Rows that only prime a transform of <paramref name="kind"/>: 0, 1 or the season length + 1.</summary>
    public static int PrimingRows(SeriesTransformKind kind, DataSpec spec) => kind switch
    {
        SeriesTransformKind.Difference => 1,
        SeriesTransformKind.Seasonal => 1 + (spec.Season ?? throw new TrainingException("--transform seasonal needs --season (the season length in steps, e.g. 12 for monthly data)")),
        _ => 0,
    };

    /// <summary>
    /// The transform of <paramref name="kind"/> for <paramref name="examples"/>: for <see cref="SeriesTransformKind.Difference"/>
    /// every feature differenced and every target that is also a feature forecast as a change (null for none).
    /// </summary>
    public static SeriesTransform? Create(SeriesTransformKind kind, SequenceExamples examples, DataSpec spec, string source)
    {
        if (kind == SeriesTransformKind.None) return null;
        if (spec.Layout != DataLayout.Series) throw new TrainingException($"{source}: --transform {Name(kind)} applies to --layout series");
        var features = examples.FeatureNames.ToList();
        var residual = examples.OutputNames.Select(n => features.IndexOf(n)).ToArray();
        if (kind != SeriesTransformKind.Seasonal) return SeriesTransform.Difference(examples.InputSize, residual);
        int season = spec.Season!.Value;
        if (season < 2) throw new TrainingException($"{source}: --transform seasonal needs --season 2 or more (1 is --transform difference)");
        if (spec.Horizon >= season)
            throw new TrainingException($"{source}: --transform seasonal adds back the change over the horizon one season before; --horizon {spec.Horizon} must be shorter than the season of {season}");
        return SeriesTransform.Seasonal(examples.InputSize, residual, season, spec.Horizon);
    }

    /// <summary>"none", "difference" or "seasonal".</summary>
    public static string Name(SeriesTransformKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The provenance name of a model's transform.</summary>
    public static string Name(SeriesTransform? transform) =>
        transform is null ? "none"
        : (transform.IsSeasonal ? $"seasonal (season {transform.Season.ToString(CultureInfo.InvariantCulture)})" : "difference")
          + (transform.DifferencesInputs && transform.IsResidual ? ""
            : transform.DifferencesInputs ? " (inputs only; a target is not a feature)"
            : " (residual only)");

    /// <summary>Parses a --transform value.</summary>
    public static SeriesTransformKind Parse(string text) => text switch
    {
        "none" => SeriesTransformKind.None,
        "difference" => SeriesTransformKind.Difference,
        "seasonal" => SeriesTransformKind.Seasonal,
        "auto" => SeriesTransformKind.Auto,
        _ => throw new TrainingException($"--transform: '{text}' is not one of auto, none, difference, seasonal"),
    };

    /// <summary>The autocorrelation of the changes at the season lag above which <see cref="DetectSeason"/> reports a season.</summary>
    public const double SeasonAutocorrelation = 0.5;

    /// <summary>
    /// A season length found in the first target's training rows (the rows before the test part, never the test part):
    /// the lag m from 2 to a third of those rows at which the changes y_t − y_{t−1} correlate most with themselves, when
    /// that autocorrelation is at least <see cref="SeasonAutocorrelation"/> and m is longer than the horizon; null otherwise.
    /// Measured (docs/forecasting.md): airpassengers 0.80 at 12 (monthly, yearly season); sunspots 0.44 at 11; eustock ≤ 0.06.
    /// </summary>
    public static (int Season, double Autocorrelation)? DetectSeason(CsvTable table, DataSpec spec)
    {
        if (spec.Layout != DataLayout.Series || spec.Targets.Count == 0) return null;
        // One row per step of the first target, after the missing-value policy, as the windows are read.
        var rows = SequenceExamples.Load(table, spec with { Window = 1, Horizon = 1, EveryStep = false, Features = new[] { spec.Targets[0] }, Season = null });
        int n = rows.Count;
        int training = spec.TestFraction is double f ? n - (int)Math.Round(n * f) : spec.TestEvery is null ? n : 0;
        var changes = new double[Math.Max(0, training - 1)];
        for (int t = 1; t < training; t++) changes[t - 1] = rows.Inputs[t] - rows.Inputs[t - 1];
        if (changes.Length < 8) return null;
        double mean = changes.Average(), variance = changes.Sum(c => (c - mean) * (c - mean));
        if (!(variance > 0)) return null;
        (int Season, double Autocorrelation)? best = null;
        for (int lag = Math.Max(2, spec.Horizon + 1); lag <= changes.Length / 3; lag++)
        {
            double sum = 0;
            for (int t = lag; t < changes.Length; t++) sum += (changes[t] - mean) * (changes[t - lag] - mean);
            double r = sum / variance;
            if (best is null || r > best.Value.Autocorrelation) best = (lag, r);
        }
        return best is { } b && b.Autocorrelation >= SeasonAutocorrelation ? b : null;
    }

    /// <summary>One candidate's result on the validation windows.</summary>
    /// <param name="Kind">The transform.</param>
    /// <param name="ValidationRmse">RMSE in the user's units on the validation windows (the reference engine on raw values).</param>
    /// <param name="BestEpoch">The epoch with the lowest validation loss (the weights scored), 1 … the epochs trained.</param>
    public readonly record struct Candidate(SeriesTransformKind Kind, double ValidationRmse, int BestEpoch = 0);

    /// <summary>
    /// <c>--transform auto</c>: trains every candidate with <paramref name="options"/> on the training part less its
    /// validation windows (the user's, or the latest <see cref="CarvedValidationFraction"/> of it when there are
    /// none), scores each on those windows in the user's units, and returns the best kind and every candidate's
    /// score. A later candidate replaces an earlier one only when its RMSE is lower by <see cref="PreferenceMargin"/>.
    /// Never looks at the test part.
    /// </summary>
    public static (SeriesTransformKind Chosen, IReadOnlyList<Candidate> Candidates) Choose(CsvTable table, DataSpec spec, TrainingOptions options, CancellationToken cancellation = default)
    {
        if (spec.Layout != DataLayout.Series) return (SeriesTransformKind.None, Array.Empty<Candidate>());
        var scoring = spec.ValidationFraction > 0 ? spec : spec with { ValidationFraction = CarvedValidationFraction };
        var results = new List<Candidate>();
        foreach (var kind in CandidatesFor(spec))
        {
            var job = TrainingJob.Prepare(table, scoring with { Transform = kind });
            double rmse;
            int bestEpoch = 0;
            try
            {
                var result = job.Run(options, cancellation: cancellation);
                bestEpoch = result.BestEpoch;
                rmse = ModelEvaluation.Of(job.BuildModel(result, options, null), job.Examples, job.Split.Validation).Rmse!.Value;
            }
            catch (TrainingException) { rmse = double.PositiveInfinity; }    // a candidate that diverged loses
            results.Add(new Candidate(kind, rmse, bestEpoch));
        }
        // Levels are the simpler model (no state): a later candidate must beat the best so far by PreferenceMargin, more
        // than the seed-to-seed spread of one validation RMSE (about 10 % on sunspots, whose levels are stationary).
        var best = results[0];
        foreach (var c in results.Skip(1))
            if (c.ValidationRmse < best.ValidationRmse * (1 - PreferenceMargin) || !double.IsFinite(best.ValidationRmse)) best = c;
        return (best.Kind, results);
    }

    /// <summary>
    /// The epochs the chosen transform is retrained for on the whole training part: its best validation epoch when the
    /// validation windows were carved out for the choice (the retrained model has none to pick its best epoch with);
    /// <paramref name="options"/>' epochs when the user gave validation windows (the final run then keeps its best epoch
    /// itself). On airpassengers the seasonal model's best epoch is 3–72 of 200; trained all 200 its test RMSE median
    /// is 22.24, trained to its best epoch 18.65 (docs/forecasting.md).
    /// </summary>
    public static int FinalEpochs(SeriesTransformKind chosen, IReadOnlyList<Candidate> candidates, TrainingOptions options, DataSpec spec) =>
        spec.ValidationFraction > 0 ? options.Epochs
        : candidates.FirstOrDefault(c => c.Kind == chosen).BestEpoch is int best and > 0 ? Math.Min(best, options.Epochs) : options.Epochs;

    /// <summary>"none 57.2, difference 20.3 (validation RMSE): difference" for messages and provenance.</summary>
    public static string Describe(SeriesTransformKind chosen, IReadOnlyList<Candidate> candidates) =>
        string.Join(", ", candidates.Select(c => $"{Name(c.Kind)} {c.ValidationRmse.ToString("G5", CultureInfo.InvariantCulture)}")) + $" (validation RMSE): {Name(chosen)}";
}

namespace TinyGru.Training;

/// <summary>How rows of a CSV file become sequences.</summary>
public enum DataLayout
{
    /// <summary>One sequence per row: label column(s), the other columns the flattened sequence, step-major.</summary>
    Sequences,
    /// <summary>One timestep per row: sliding windows of feature columns predict target columns some steps ahead.</summary>
    Series,
}

/// <summary>What to do with empty or non-numeric cells in the columns used.</summary>
public enum MissingPolicy
{
    /// <summary>Stop with a message naming the line and column.</summary>
    Error,
    /// <summary>Leave out the rows that have them.</summary>
    Drop,
    /// <summary>Fill them linearly from the nearest values along time (holding the first/last value at the ends).</summary>
    Interpolate,
}

/// <summary>What the network learns to output.</summary>
public enum LearningTask
{
    /// <summary>One class per sequence (softmax cross-entropy); class names kept in the model.</summary>
    Classification,
    /// <summary>Several independent 0/1 labels per sequence (sigmoid binary cross-entropy).</summary>
    MultiLabel,
    /// <summary>Real values per sequence (MSE).</summary>
    Regression,
    /// <summary>Future values of a series (MSE).</summary>
    Forecast,
}

/// <summary>How a series is transformed before the network sees it (docs/forecasting.md).</summary>
public enum SeriesTransformKind
{
    /// <summary>Levels in, levels out (z-scored).</summary>
    None,
    /// <summary>Every feature differenced (x_t − x_{t−1}); each target forecast as its last value plus a predicted change.</summary>
    Difference,
    /// <summary>Every feature differenced over one season (x_t − x_{t−m}, m = <see cref="DataSpec.Season"/>); each target forecast as its value one season before plus a predicted seasonal change.</summary>
    Seasonal,
    /// <summary>Train each candidate on a validation split of the training part and keep the best (<c>tinygru train</c>'s default for series).</summary>
    Auto,
}

/// <summary>How the inputs are scaled before the network sees them (stored as the model's input mean and std; docs/benchmarks.md, digits).</summary>
public enum InputScaling
{
    /// <summary><see cref="PooledStd"/> when the features look like one quantity on one scale (see <see cref="InputScalings.Resolve"/>), <see cref="Feature"/> otherwise.</summary>
    Auto,
    /// <summary>Each feature z-scored with its own mean and standard deviation.</summary>
    Feature,
    /// <summary>One mean and one standard deviation over all features, for features in the same units.</summary>
    Pooled,
    /// <summary>Divided by one standard deviation over all features, not centered: zero stays zero (intensities, pixels, counts).</summary>
    PooledStd,
    /// <summary>Raw values (no input normalization in the model).</summary>
    None,
}

/// <summary>The data flags of <c>tinygru train</c> and <c>eval</c>.</summary>
public sealed record DataSpec
{
    /// <summary>Sequences or series.</summary>
    public DataLayout Layout { get; init; } = DataLayout.Sequences;

    /// <summary>Sequences layout: label column(s) by name or 1-based number.</summary>
    public IReadOnlyList<string> Labels { get; init; } = Array.Empty<string>();

    /// <summary>Sequences layout: timesteps per row (default: one feature per step).</summary>
    public int? Steps { get; init; }

    /// <summary>Sequences layout: classification (default), multi-label or regression. Series are always forecasts.</summary>
    public LearningTask? Task { get; init; }

    /// <summary>Series layout: target column(s).</summary>
    public IReadOnlyList<string> Targets { get; init; } = Array.Empty<string>();

    /// <summary>Input columns: for series the features of a step (default: the targets); for sequences the flattened sequence, step-major (default: every column but the labels).</summary>
    public IReadOnlyList<string> Features { get; init; } = Array.Empty<string>();

    /// <summary>Series layout: timesteps per window.</summary>
    public int? Window { get; init; }

    /// <summary>Series layout: the target is this many steps after the window's last step.</summary>
    public int Horizon { get; init; } = 1;

    /// <summary>
    /// Series layout: a target at every step of the window — the value <see cref="Horizon"/> steps after that step —
    /// rather than only after the last (sequence-to-sequence). Trains the model to forecast from any amount of history.
    /// </summary>
    public bool EveryStep { get; init; }

    /// <summary>
    /// Series layout: the season length m in steps (12 for monthly data with a yearly cycle): enables the seasonal transform
    /// and the seasonal-naive baseline. 0: no season (<c>train --transform auto</c> then does not look for one); null: not given.
    /// </summary>
    public int? Season { get; init; }

    /// <summary>Series layout: the transform to train with (<see cref="SeriesTransformKind.Auto"/> is resolved by <see cref="SeriesTransforms.Choose"/>).</summary>
    public SeriesTransformKind Transform { get; init; } = SeriesTransformKind.None;

    /// <summary>How the inputs are scaled (<see cref="InputScaling.Auto"/> is resolved on the training part by <see cref="InputScalings.Resolve"/>).</summary>
    public InputScaling Scale { get; init; } = InputScaling.Auto;

    /// <summary>Every K-th sequence (index mod K = 0) is test data.</summary>
    public int? TestEvery { get; init; }

    /// <summary>The last fraction of the rows or windows, in file order, is test data.</summary>
    public double? TestFraction { get; init; }

    /// <summary>Fraction of the training data held out for validation (random for sequences, the last part for series).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Seed of the random validation pick.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Sequences layout, token input: the number of token ids V. Each feature column then holds one token id per step
    /// (a whole number from 0 to V − 1; one column per step); null for feature vectors.
    /// </summary>
    public int? Vocabulary { get; init; }

    /// <summary>Empty or non-numeric cells.</summary>
    public MissingPolicy Missing { get; init; } = MissingPolicy.Error;

    /// <summary>The task: series are forecasts; sequences default to classification.</summary>
    public LearningTask EffectiveTask => Layout == DataLayout.Series ? LearningTask.Forecast : Task ?? LearningTask.Classification;
}

using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>
/// Normalization computed on the training examples only: per-feature mean and standard deviation of the inputs
/// and, for real-valued targets, of the targets. Stored in the model (<see cref="InputNormalization"/>,
/// <see cref="OutputScaling"/>) so that every engine takes and returns values in the user's units.
/// </summary>
public sealed class DataStatistics
{
    private readonly bool _normalizesInputs;

    private DataStatistics(float[] inputMean, float[] inputStd, float[]? outputOffset, float[]? outputScale, bool normalizesInputs = true,
        InputScaling scaling = InputScaling.Feature, string? scalingReason = null)
    {
        _normalizesInputs = normalizesInputs;
        Scaling = scaling;
        ScalingReason = scalingReason;
        InputMean = inputMean;
        InputStd = inputStd;
        OutputOffset = outputOffset;
        OutputScale = outputScale;
    }

    /// <summary>How the inputs were scaled (never <see cref="InputScaling.Auto"/>).</summary>
    public InputScaling Scaling { get; }

    /// <summary>Why <see cref="InputScaling.Auto"/> chose <see cref="Scaling"/>, or null when the scaling was given.</summary>
    public string? ScalingReason { get; }

    /// <summary>[I] feature means.</summary>
    public float[] InputMean { get; }

    /// <summary>[I] feature standard deviations (1 for a constant feature, which then only loses its mean).</summary>
    public float[] InputStd { get; }

    /// <summary>[O] target means, or null for class targets.</summary>
    public float[]? OutputOffset { get; }

    /// <summary>[O] target standard deviations, or null for class targets.</summary>
    public float[]? OutputScale { get; }

    /// <summary>
    /// Statistics of <paramref name="examples"/> at <paramref name="trainIndices"/>, the inputs scaled as
    /// <paramref name="scaling"/> says (<see cref="InputScaling.Auto"/> resolved by <see cref="InputScalings.Resolve"/>).
    /// </summary>
    public static DataStatistics Compute(SequenceExamples examples, IReadOnlyList<int> trainIndices, InputScaling scaling = InputScaling.Feature)
    {
        int inputs = examples.InputSize, x = examples.Steps * inputs, rows = trainIndices.Count * examples.Steps;
        float Input(int n, int f) => examples.Inputs[trainIndices[n / examples.Steps] * x + n % examples.Steps * inputs + f];
        string? reason = null;
        if (scaling == InputScaling.Auto) (scaling, reason) = InputScalings.Resolve(rows, inputs, Input);
        float[] mean, std;
        switch (scaling)
        {
            case InputScaling.Feature:
                (mean, std) = MeanStd(rows, inputs, Input);
                break;
            case InputScaling.None:
                (mean, std) = (new float[inputs], Enumerable.Repeat(1f, inputs).ToArray());
                break;
            default:
                // Pooled: every feature's values are one column of rows × inputs values.
                var (m, sd) = MeanStd(rows * inputs, 1, (r, _) => Input(r / inputs, r % inputs));
                mean = Enumerable.Repeat(scaling == InputScaling.Pooled ? m[0] : 0f, inputs).ToArray();
                std = Enumerable.Repeat(sd[0], inputs).ToArray();
                break;
        }
        bool normalizes = scaling != InputScaling.None;
        if (examples.Targets is null || examples.Task == LearningTask.MultiLabel) return new DataStatistics(mean, std, null, null, normalizes, scaling, reason);
        int o = examples.OutputSize, per = examples.TargetsPerSequence;
        var (offset, scale) = MeanStd(trainIndices.Count * per, o, (r, j) => examples.Targets[(trainIndices[r / per] * per + r % per) * o + j]);
        return new DataStatistics(mean, std, offset, scale, normalizes, scaling, reason);
    }

    /// <summary>
    /// A trained model's own normalization, for fine-tuning it: its input mean and std (0 and 1 without one) and output
    /// scaling (none without one). <see cref="InputNormalization"/> is null when the model has none.
    /// </summary>
    public static DataStatistics FromModel(GruModel model)
    {
        var norm = model.InputNormalization;
        var scaling = model.OutputScaling;
        return new DataStatistics(
            norm is null ? new float[model.InputSize] : (float[])norm.Mean.Clone(),
            norm is null ? Enumerable.Repeat(1f, model.InputSize).ToArray() : (float[])norm.Std.Clone(),
            scaling is null ? null : (float[])scaling.Offset.Clone(),
            scaling is null ? null : (float[])scaling.Scale.Clone(),
            norm is not null);
    }

    /// <summary>The model's input normalization (null only for statistics taken from a model that had none).</summary>
    public InputNormalization? InputNormalization => _normalizesInputs ? new((float[])InputMean.Clone(), (float[])InputStd.Clone()) : null;

    /// <summary>The model's output scaling, or null for class targets.</summary>
    public OutputScaling? OutputScaling => OutputScale is null ? null : new OutputScaling((float[])OutputScale.Clone(), (float[])OutputOffset!.Clone());

    private static (float[] Mean, float[] Std) MeanStd(int rows, int columns, Func<int, int, float> value)
    {
        var mean = new float[columns];
        var std = new float[columns];
        for (int c = 0; c < columns; c++)
        {
            double sum = 0, squares = 0;
            for (int r = 0; r < rows; r++) sum += value(r, c);
            double m = rows == 0 ? 0 : sum / rows;
            for (int r = 0; r < rows; r++) { double d = value(r, c) - m; squares += d * d; }
            double s = rows == 0 ? 0 : Math.Sqrt(squares / rows);
            mean[c] = (float)m;
            // A constant column has no spread to divide by; 1 keeps it finite (and it becomes 0 after centering).
            std[c] = s > 1e-6 * Math.Max(1, Math.Abs(m)) ? (float)s : 1f;
        }
        return (mean, std);
    }
}

/// <summary>Which examples train, validate and test.</summary>
/// <param name="Train">Training indices, in file order.</param>
/// <param name="Validation">Validation indices (empty without --validation-fraction).</param>
/// <param name="Test">Test indices (empty without --test-every or --test-fraction).</param>
public sealed record DataSplit(int[] Train, int[] Validation, int[] Test)
{
    /// <summary>Splits <paramref name="examples"/> as <paramref name="spec"/> says; throws when a part would be empty.</summary>
    public static DataSplit Of(SequenceExamples examples, DataSpec spec, string source)
    {
        int n = examples.Count;
        if (spec.TestEvery is not null && spec.TestFraction is not null) throw new TrainingException("give --test-every or --test-fraction, not both");
        if (spec.TestEvery is int every)
        {
            if (every < 2) throw new TrainingException("--test-every must be at least 2");
            if (spec.Layout == DataLayout.Series) throw new TrainingException("--test-every would mix past and future windows of a series; use --test-fraction (the last part of the series)");
        }
        if (spec.TestFraction is double f && !(f > 0 && f < 1)) throw new TrainingException("--test-fraction must be between 0 and 1");
        if (!(spec.ValidationFraction >= 0 && spec.ValidationFraction < 1)) throw new TrainingException("--validation-fraction must be from 0 to below 1");

        var all = Enumerable.Range(0, n);
        int[] test = spec.TestEvery is int k ? all.Where(i => i % k == 0).ToArray()
            : spec.TestFraction is double fraction ? all.Skip(n - Math.Min(n, (int)Math.Round((n + PrimingRows(examples, spec)) * fraction))).ToArray()
            : Array.Empty<int>();
        var testSet = new HashSet<int>(test);
        var rest = all.Where(i => !testSet.Contains(i)).ToArray();
        // Series: sized like the test part on windows of --window rows, so every transform validates on the same last targets.
        int validationCount = Math.Min(rest.Length, (int)Math.Round((rest.Length + PrimingRows(examples, spec)) * spec.ValidationFraction));
        int[] validation;
        if (spec.Layout == DataLayout.Series) validation = rest.Skip(rest.Length - validationCount).ToArray(); // the most recent windows
        else
        {
            var shuffled = (int[])rest.Clone();
            new Random(spec.Seed).Shuffle(shuffled);
            validation = shuffled.Take(validationCount).OrderBy(i => i).ToArray();
        }
        var validationSet = new HashSet<int>(validation);
        var train = rest.Where(i => !validationSet.Contains(i)).ToArray();

        string units = spec.Layout == DataLayout.Series ? "windows" : "sequences";
        string Parts() => $"{n} {units}: {train.Length} train, {validation.Length} validation, {test.Length} test";
        if ((spec.TestEvery is not null || spec.TestFraction is not null) && test.Length == 0)
            throw new TrainingException($"{source}: too few rows for the split ({Parts()}); the test set would be empty");
        if (spec.ValidationFraction > 0 && validation.Length == 0)
            throw new TrainingException($"{source}: too few rows for the split ({Parts()}); the validation set would be empty");
        if (train.Length < 2)
            throw new TrainingException($"{source}: too few rows for the split ({Parts()}); training needs at least 2");
        return new DataSplit(train, validation, test);
    }

    /// <summary>
    /// Windows a differenced model loses to priming (its windows are longer by the lag): the test part is sized on the
    /// windows of <c>--window</c> rows, so it holds the same last targets whatever the transform.
    /// </summary>
    private static int PrimingRows(SequenceExamples examples, DataSpec spec) =>
        spec.Layout == DataLayout.Series && spec.Window is int w ? Math.Max(0, examples.Steps - w) : 0;
}

using System.Globalization;
using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>
/// From a CSV table to a <see cref="GruModel"/>: reads the examples, splits them, computes normalization on the
/// training part, trains, and describes the result — task, class labels, normalization, settings and metrics —
/// in the model's metadata. <c>tinygru train</c>, <c>tinygru demo</c>, the tests and the benchmark all go through here.
/// </summary>
public sealed class TrainingJob
{
    private TrainingJob(string source, DataSpec spec, SequenceExamples examples, DataSplit split, DataStatistics statistics)
    {
        Source = source;
        Spec = spec;
        Examples = examples;
        Split = split;
        Statistics = statistics;
        Train = examples.ToSequenceSet(split.Train, statistics);
        Validation = split.Validation.Length == 0 ? null : examples.ToSequenceSet(split.Validation, statistics);
    }

    /// <summary>The data file's name.</summary>
    public string Source { get; }

    /// <summary>How the data was read and split.</summary>
    public DataSpec Spec { get; }

    /// <summary>Every example, in the user's units.</summary>
    public SequenceExamples Examples { get; }

    /// <summary>Train, validation and test indices into <see cref="Examples"/>.</summary>
    public DataSplit Split { get; }

    /// <summary>Normalization from the training part.</summary>
    public DataStatistics Statistics { get; }

    /// <summary>The training part in the network's units.</summary>
    public SequenceSet Train { get; }

    /// <summary>The validation part in the network's units, or null.</summary>
    public SequenceSet? Validation { get; }

    /// <summary>The loss the task calls for.</summary>
    public LossKind Loss => LossFor(Examples.Task);

    /// <summary>Reads, splits and normalizes the data of <paramref name="table"/>.</summary>
    public static TrainingJob Prepare(CsvTable table, DataSpec spec)
    {
        var examples = SequenceExamples.Load(table, spec);
        var split = DataSplit.Of(examples, spec, table.Source);
        return new TrainingJob(table.Source, spec, examples, split, DataStatistics.Compute(examples, split.Train));
    }

    /// <summary>The loss for a task.</summary>
    public static LossKind LossFor(LearningTask task) => task switch
    {
        LearningTask.Classification => LossKind.SoftmaxCrossEntropy,
        LearningTask.MultiLabel => LossKind.SigmoidBinaryCrossEntropy,
        _ => LossKind.MeanSquaredError,
    };

    /// <summary>Trains with <paramref name="options"/> (its loss is replaced by the task's).</summary>
    public TrainingResult Run(TrainingOptions options, Action<EpochReport>? onEpoch = null, CancellationToken cancellation = default) =>
        GruTrainer.Train(Train, Validation, options with { Loss = Loss }, Statistics.OutputScale, onEpoch, cancellation);

    /// <summary>
    /// The trained model with its normalization, task, class labels and provenance (data, settings, and the
    /// metrics in <paramref name="metrics"/>).
    /// </summary>
    public GruModel BuildModel(TrainingResult result, TrainingOptions options, string? name, IReadOnlyDictionary<string, string>? metrics = null)
    {
        var o = options with { Loss = Loss };
        var inv = CultureInfo.InvariantCulture;
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source"] = "tinygru train",
            ["data"] = Path.GetFileName(Source),
            ["data.layout"] = Spec.Layout == DataLayout.Series ? "series" : "sequences",
            ["data.steps"] = Examples.Steps.ToString(inv),
            ["data.features"] = string.Join(",", Examples.FeatureNames),
            ["data.split"] = $"{Split.Train.Length} train, {Split.Validation.Length} validation, {Split.Test.Length} test",
            ["train.loss"] = o.Loss switch { LossKind.SoftmaxCrossEntropy => "softmax-cross-entropy", LossKind.SigmoidBinaryCrossEntropy => "sigmoid-bce", _ => "mse" },
            ["train.hidden"] = string.Join(",", o.HiddenSizes),
            ["train.epochs"] = $"{result.History.Count} of {o.Epochs}",
            ["train.best_epoch"] = result.BestEpoch.ToString(inv),
            ["train.batch"] = o.BatchSize.ToString(inv),
            ["train.optimizer"] = o.Optimizer == OptimizerKind.AdamW ? "adamw" : "adam",
            ["train.lr"] = o.LearningRate.ToString("R", inv),
            ["train.weight_decay"] = o.WeightDecay.ToString("R", inv),
            ["train.schedule"] = o.Schedule.ToString().ToLowerInvariant(),
            ["train.seed"] = o.Seed.ToString(inv),
            ["train.final_loss"] = result.History[^1].TrainLoss.ToString("G6", inv),
        };
        if (o.ClipNorm is double clip) provenance["train.clip_norm"] = clip.ToString("R", inv);
        if (Spec.Layout == DataLayout.Series)
        {
            provenance["data.window"] = Examples.Steps.ToString(inv);
            provenance["data.horizon"] = Spec.Horizon.ToString(inv);
            provenance["data.targets"] = Spec.EveryStep ? "every step" : "last step";
        }
        if (metrics is not null)
            foreach (var m in metrics) provenance["metric." + m.Key] = m.Value;

        var task = Examples.Task switch
        {
            LearningTask.Forecast => ModelTask.Forecast,
            LearningTask.Regression => ModelTask.Regression,
            _ => ModelTask.Classification,
        };
        var labels = task == ModelTask.Classification ? Examples.OutputNames : null;
        var metadata = new ModelMetadata(name, task, labels, provenance);
        return result.Parameters.ToModel(LossFunction.ActivationFor(o.Loss), Statistics.InputNormalization, Statistics.OutputScaling, metadata);
    }
}

using System.Globalization;
using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Training;

/// <summary>
/// From a CSV table to a <see cref="GruModel"/>: reads the examples, splits them, computes normalization on the
/// training part, trains, and describes the result — task, class labels, normalization, settings and metrics —
/// in the model's metadata. <c>tinygru train</c>, <c>tinygru demo</c>, the tests and the benchmark all go through here.
/// </summary>
public sealed class TrainingJob
{
    private TrainingJob(string source, DataSpec spec, SequenceExamples examples, SeriesTransform? transform, DataSplit split, Func<SequenceExamples, DataStatistics> statistics,
        bool quantizationAware, GruModel? baseModel, double inputHeadroom, bool int8WeightsOnly)
    {
        Source = source;
        Spec = spec;
        Examples = examples;
        Transform = transform;
        NetworkExamples = transform is null ? examples : examples.Transformed(transform);
        Split = split;
        Statistics = statistics(NetworkExamples);
        BaseModel = baseModel;
        QuantizationAware = quantizationAware;
        // Token models: ids are never quantized, and their QAT fake-quantizes the table per row as int8-weights does
        // (integer-only int8 uses one scale for the whole table), so their inputs stay float.
        if (quantizationAware && !int8WeightsOnly)
            InputQuantizer = InputFakeQuantizer.Calibrate(Statistics.InputNormalization, examples.InputSize, TrainingRows(), inputHeadroom);
        Train = NetworkExamples.ToSequenceSet(split.Train, Statistics, InputQuantizer);
        Validation = split.Validation.Length == 0 ? null : NetworkExamples.ToSequenceSet(split.Validation, Statistics, InputQuantizer);
    }

    /// <summary>The series transform the model is trained with (differenced inputs, residual targets), or null.</summary>
    public SeriesTransform? Transform { get; }

    /// <summary>
    /// <see cref="Examples"/> as the network sees them (through <see cref="Transform"/>; the same object without one):
    /// what the statistics, the training sets and the calibration rows are made of. Evaluation uses the raw examples.
    /// </summary>
    public SequenceExamples NetworkExamples { get; }

    /// <summary>How <c>auto</c> chose <see cref="Transform"/> (each candidate's validation RMSE), recorded in provenance; null otherwise.</summary>
    public string? TransformChoice { get; set; }

    /// <summary>How the season was found when the user gave none (recorded in provenance); null otherwise.</summary>
    public string? SeasonFound { get; set; }

    /// <summary>How <c>auto</c> chose the epochs of the final run (recorded in provenance); null when they are the user's.</summary>
    public string? EpochsChoice { get; set; }

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

    /// <summary>
    /// Quantization-aware jobs: the int8 input quantization calibrated on the training rows and applied to
    /// <see cref="Train"/> and <see cref="Validation"/>; null otherwise.
    /// </summary>
    public InputFakeQuantizer? InputQuantizer { get; }

    /// <summary>
    /// Quantization-aware training: the weights are fake-quantized to int8 (per row); the inputs too when
    /// <see cref="InputQuantizer"/> is set (integer-only int8), not for token models (int8-weights).
    /// </summary>
    public bool QuantizationAware { get; }

    /// <summary>The calibration the trained model is quantized with (the training rows' range), for quantization-aware jobs.</summary>
    public CalibrationRange? Calibration => InputQuantizer?.Range;

    /// <summary>The model being fine-tuned, or null when training from scratch.</summary>
    public GruModel? BaseModel { get; }

    /// <summary>
    /// Reads, splits and normalizes the data of <paramref name="table"/>. With <paramref name="quantizationAware"/>,
    /// the inputs are also fake-quantized to int8 (<see cref="InputQuantizer"/>).
    /// </summary>
    /// Token models (<c>spec.Vocabulary</c>) get int8-weights QAT, without int8 inputs.
    public static TrainingJob Prepare(CsvTable table, DataSpec spec, bool quantizationAware = false, double inputHeadroom = 0)
    {
        if (spec.Vocabulary is not null)
        {
            // Token ids are looked up, not scaled: a token model has no input normalization.
            if (spec.Scale is not (InputScaling.Auto or InputScaling.None))
                throw new TrainingException($"--scale {InputScalings.Name(spec.Scale)} does not apply to token input (--vocab): ids are looked up in the embedding, not scaled");
            if (inputHeadroom > 0) throw new TrainingException("--input-headroom does not apply to token input (--vocab): token ids are not quantized");
            spec = spec with { Scale = InputScaling.None };
        }
        if (spec.Transform == SeriesTransformKind.Auto)
            throw new TrainingException("--transform auto is resolved by SeriesTransforms.Choose, which prepares one job per candidate");
        var examples = SequenceExamples.Load(table, SeriesTransforms.LoadingSpec(spec, SeriesTransforms.PrimingRows(spec.Transform, spec)));
        var transform = SeriesTransforms.Create(spec.Transform, examples, spec, table.Source);
        var split = DataSplit.Of(examples, spec, table.Source);
        return new TrainingJob(table.Source, spec, examples, transform, split, network => DataStatistics.Compute(network, split.Train, spec.Scale), quantizationAware, null, inputHeadroom,
            spec.Vocabulary is not null);
    }

    /// <summary>
    /// Reads and splits the data to fine-tune <paramref name="model"/> on it: the model's own normalization and class
    /// order are used, so the fine-tuned model takes and returns the same units. Throws <see cref="TrainingException"/>
    /// when the model and the data do not fit together.
    /// </summary>
    public static TrainingJob PrepareFineTune(CsvTable table, DataSpec spec, GruModel model, bool quantizationAware, double inputHeadroom = 0)
    {
        if (model.Head is null) throw new TrainingException("the model has no dense head; fine-tuning needs one (as tinygru train makes)");
        if (model.Precision != ModelPrecision.Float32)
            throw new TrainingException($"the model is {ModelPrecisions.Name(model.Precision)}; fine-tune the float32 model it was quantized from");
        if (model.GateActivation != GateActivation.Sigmoid)
            throw new TrainingException($"the model's gates are {Activations.Name(model.GateActivation)}; the trainer trains sigmoid gates");
        if (model.Embedding is { } embedding)
        {
            if (spec.Vocabulary is int v && v != embedding.VocabularySize)
                throw new TrainingException($"--vocab {v} differs from the model's vocabulary of {embedding.VocabularySize} ids");
            spec = spec with { Vocabulary = embedding.VocabularySize };
        }
        else if (spec.Vocabulary is not null) throw new TrainingException("--vocab: the model takes feature vectors, not token ids");
        bool classes = spec.EffectiveTask == LearningTask.Classification;
        // The model's class order: its labels, or 0 … O−1 for a model without them (as eval reads it).
        IReadOnlyList<string>? known = !classes ? null
            : model.Metadata.ClassLabels.Count > 0 ? model.Metadata.ClassLabels
            : Enumerable.Range(0, model.OutputSize).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var examples = SequenceExamples.Load(table, SeriesTransforms.LoadingSpec(spec, model), known);
        if (model.StepInputSize != examples.InputSize)
            throw new TrainingException($"the model takes {model.InputSize} features per step; the data has {examples.InputSize} ({string.Join(", ", examples.FeatureNames)})");
        if (model.OutputSize != examples.OutputSize)
            throw new TrainingException($"the model has {model.OutputSize} outputs; the data has {examples.OutputSize} ({string.Join(", ", examples.OutputNames)})");
        var activation = LossFunction.ActivationFor(LossFor(examples.Task));
        if (model.Head.Activation != activation)
            throw new TrainingException($"the model's head activation is {model.Head.Activation.ToString().ToLowerInvariant()}; a {examples.Task.ToString().ToLowerInvariant()} task trains a {activation.ToString().ToLowerInvariant()} head");
        var split = DataSplit.Of(examples, spec, table.Source);
        return new TrainingJob(table.Source, spec, examples, model.SeriesTransform, split, _ => DataStatistics.FromModel(model), quantizationAware, model, inputHeadroom,
            model.Embedding is not null);
    }

    /// <summary>Every timestep of every training sequence [I] as the network sees it before normalization (changes for differenced features): the calibration rows.</summary>
    public IEnumerable<float[]> TrainingRows()
    {
        int i = NetworkExamples.InputSize, x = NetworkExamples.Steps * i;
        foreach (int s in Split.Train)
            for (int t = 0; t < NetworkExamples.Steps; t++)
                yield return NetworkExamples.Inputs.AsSpan(s * x + t * i, i).ToArray();
    }

    /// <summary>The loss for a task.</summary>
    public static LossKind LossFor(LearningTask task) => task switch
    {
        LearningTask.Classification => LossKind.SoftmaxCrossEntropy,
        LearningTask.MultiLabel => LossKind.SigmoidBinaryCrossEntropy,
        _ => LossKind.MeanSquaredError,
    };

    /// <summary>
    /// Trains with <paramref name="options"/> (its loss is replaced by the task's; quantization-aware when the job is),
    /// starting from <see cref="BaseModel"/> when fine-tuning (its layer sizes and convention replace the options').
    /// </summary>
    public TrainingResult Run(TrainingOptions options, Action<EpochReport>? onEpoch = null, CancellationToken cancellation = default) =>
        GruTrainer.Train(Train, Validation, Effective(options), Statistics.OutputScale, onEpoch, cancellation,
            BaseModel is null ? null : GruParameters.FromModel(BaseModel));

    /// <summary>The options as this job runs them.</summary>
    public TrainingOptions Effective(TrainingOptions options)
    {
        var o = options with { Loss = Loss, QuantizationAware = QuantizationAware, VocabularySize = Spec.Vocabulary };
        return BaseModel is not { } m ? o : o with
        {
            HiddenSizes = m.Layers.Select(l => l.HiddenSize).ToArray(),
            Convention = m.Convention,
            DenseSizes = m.HiddenDenseLayers.Select(d => d.OutputSize).ToArray(),
            DenseActivations = m.HiddenDenseLayers.Count == 0 ? new[] { HeadActivation.Relu } : m.HiddenDenseLayers.Select(d => d.Activation).ToArray(),
            VocabularySize = m.Embedding?.VocabularySize,
            EmbeddingSize = m.Embedding?.EmbeddingSize ?? o.EmbeddingSize,
        };
    }

    /// <summary>
    /// The int8 model a quantization-aware job trained: <paramref name="model"/> quantized with <see cref="Calibration"/>
    /// to <paramref name="precision"/>. Its int8 weights are the fake-quantized weights of training.
    /// </summary>
    public GruModel Quantize(GruModel model, ModelPrecision precision = ModelPrecision.Int8) =>
        ModelQuantizer.Quantize(model, precision, precision != ModelPrecision.Int8 ? null : Calibration ?? CalibrationRange.Observe(model, TrainingRows()));

    /// <summary>
    /// The trained model with its normalization, task, class labels and provenance (data, settings, and the
    /// metrics in <paramref name="metrics"/>).
    /// </summary>
    public GruModel BuildModel(TrainingResult result, TrainingOptions options, string? name, IReadOnlyDictionary<string, string>? metrics = null)
    {
        var o = Effective(options);
        var inv = CultureInfo.InvariantCulture;
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source"] = BaseModel is null ? "tinygru train" : "tinygru finetune",
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
        if (BaseModel is null)
        {
            provenance["train.scale"] = InputScalings.Name(Statistics.Scaling);
            if (Statistics.ScalingReason is not null) provenance["train.scale_choice"] = "auto: " + Statistics.ScalingReason;
        }
        if (o.DenseSizes.Count > 0) provenance["train.dense"] = string.Join(",", o.DenseSizes) + " (" + Activations.FormatList(o.DenseActivationPerLayer()) + ")";
        if (o.VocabularySize is int vocabulary)
        {
            provenance["data.input"] = "token ids";
            provenance["train.vocab"] = vocabulary.ToString(inv);
            provenance["train.embedding"] = o.EmbeddingSize.ToString(inv);
        }
        if (o.ClipNorm is double clip) provenance["train.clip_norm"] = clip.ToString("R", inv);
        if (BaseModel is not null) provenance["finetune.from"] = BaseModel.Metadata.Name ?? "(unnamed model)";
        if (QuantizationAware && InputQuantizer is null)
            provenance["train.qat"] = "int8 weights (per row; dense stack and embedding included), float inputs, straight-through estimator: for --precision int8-weights (a token model's integer-only table has one scale; quantize it with tinygru quantize --precision int8)";
        if (InputQuantizer is { } q)
        {
            // What quantization-aware training assumed: quantize with this range to get the model that was trained.
            provenance["train.qat"] = "int8 weights (per row) and int8 inputs, straight-through estimator";
            provenance["qat.input_min"] = q.Range.Min.ToString("R", inv);
            provenance["qat.input_max"] = q.Range.Max.ToString("R", inv);
            if (q.Range.Headroom > 0) provenance["qat.input_headroom"] = q.Range.Headroom.ToString("R", inv);
            provenance["qat.input_scale"] = q.Quantization.Scale.ToString("R", inv);
            provenance["qat.input_zero_point"] = q.Quantization.ZeroPoint.ToString(inv);
        }
        if (Spec.Layout == DataLayout.Series)
        {
            provenance["data.window"] = Examples.Steps.ToString(inv);
            provenance["data.horizon"] = Spec.Horizon.ToString(inv);
            provenance["data.targets"] = Spec.EveryStep ? "every step" : "last step";
            provenance["train.transform"] = SeriesTransforms.Name(Transform);
            if (SeriesTransforms.PrimingRows(Transform) is int priming and > 0) provenance["data.window"] = $"{Examples.Steps - priming} changes ({Examples.Steps} rows)";
            if (Spec.Season is int season and > 0) provenance["data.season"] = SeasonFound is null ? season.ToString(inv) : "detected: " + SeasonFound;
            if (TransformChoice is not null) provenance["train.transform_choice"] = TransformChoice;
            if (EpochsChoice is not null) provenance["train.epochs_choice"] = EpochsChoice;
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
        return result.Parameters.ToModel(LossFunction.ActivationFor(o.Loss), Statistics.InputNormalization, Statistics.OutputScaling, metadata, Transform);
    }
}

using System.Globalization;
using System.CommandLine;
using System.Runtime.InteropServices;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary><c>tinygru train --data FILE.csv --layout … -o model.safetensors</c>: fits a GRU model on CSV data.</summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var data = new DataOptions();
        var hidden = new Option<string>("--hidden") { Description = "hidden size of every GRU layer, or a comma-separated size per layer", DefaultValueFactory = _ => "32" };
        var dense = new Option<string?>("--dense") { Description = "hidden dense layers between the GRU and the head: comma-separated widths, e.g. 32,16 (default: none, the GRU feeds the head)" };
        var denseActivation = new Option<string>("--dense-activation") { Description = "activation of the --dense layers: relu (default), tanh, sigmoid or none; one for all, or comma-separated, one per layer", DefaultValueFactory = _ => "relu" };
        var vocab = new Option<int?>("--vocab") { Description = "token input: the number of token ids V; every input column of the data (--layout sequences, one column per step) holds one id from 0 to V-1, looked up in a learned embedding" };
        var embedding = new Option<int?>("--embedding") { Description = "token input: the embedding size E (needs --vocab; default 16)" };
        var layers = new Option<int?>("--layers") { Description = "number of GRU layers (default 1, or one per --hidden size)" };
        var convention = new Option<string>("--convention") { Description = "reset-after (PyTorch, Keras default) or reset-before (classic GRU, ONNX default)", DefaultValueFactory = _ => TinyGruModelFile.ConventionName(GateConvention.ResetAfter) }
            .AcceptOnlyFromAmong(TinyGruModelFile.ConventionName(GateConvention.ResetAfter), TinyGruModelFile.ConventionName(GateConvention.ResetBefore));
        var epochs = new Option<int>("--epochs") { Description = "passes over the training data", DefaultValueFactory = _ => 40 };
        var batch = new Option<int>("--batch") { Description = "sequences per mini-batch", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "learning rate", DefaultValueFactory = _ => 0.01 };
        var optimizer = new Option<string>("--optimizer") { Description = "adam or adamw", DefaultValueFactory = _ => "adam" }.AcceptOnlyFromAmong("adam", "adamw");
        var weightDecay = new Option<double?>("--weight-decay") { Description = "weight decay (default 0 for adam, 0.01 for adamw, as in PyTorch)" };
        var clipNorm = new Option<double?>("--clip-norm") { Description = "clip the gradient's global norm to this value" };
        var schedule = new Option<string>("--schedule") { Description = "learning-rate schedule: none, cosine (to 0 over the epochs) or step", DefaultValueFactory = _ => "none" }.AcceptOnlyFromAmong("none", "cosine", "step");
        var stepSize = new Option<int>("--step-size") { Description = "step schedule: epochs between decays", DefaultValueFactory = _ => 10 };
        var gamma = new Option<double>("--gamma") { Description = "step schedule: decay factor", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "seed of initialization, shuffling and the validation pick (same seed, same model)", DefaultValueFactory = _ => 0 };
        var patience = new Option<int?>("--patience") { Description = "stop after this many epochs without a better validation loss" };
        var output = new Option<string>("--output", "-o") { Description = "TinyGru model file to write", Required = true };
        var name = new Option<string?>("--name") { Description = "model name to record (default: the data file's name)" };
        var plot = new Option<string?>("--plot") { Description = "write loss and metric curves to this PNG file" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "print nothing but errors" };
        var json = new Option<bool>("--json") { Description = "print the results as JSON" };
        var transform = new Option<string>("--transform")
        {
            Description = "series: auto (default: train each candidate on a validation split of the training part and keep the best; seasonal is a candidate with --season), none (levels), difference (the network sees changes and forecasts the change of each target, added back to its last value) or seasonal (needs --season m: the change minus the change one season before, added back to the last value plus last season's change)",
            DefaultValueFactory = _ => "auto",
        }.AcceptOnlyFromAmong("auto", "none", "difference", "seasonal");
        var scale = new Option<string>("--scale")
        {
            Description = "input scaling, stored in the model's input mean and std: auto (default: pooled-std when every feature starts at 0 on one scale, such as pixels; feature otherwise), feature (z-score each feature), pooled (one mean and std for all features), pooled-std (one std for all, not centered: 0 stays 0) or none",
            DefaultValueFactory = _ => "auto",
        }.AcceptOnlyFromAmong("auto", "feature", "pooled", "pooled-std", "none");
        var qat = QatOption();
        var headroom = HeadroomOption();
        var precision = PrecisionOption();

        var command = new Command("train", "Train a GRU model on a CSV file and write a TinyGru model file");
        data.AddTo(command, withValidation: true);
        foreach (var option in new Option[] { transform, scale, hidden, layers, dense, denseActivation, vocab, embedding, convention, epochs, batch, lr, optimizer, weightDecay, clipNorm, schedule, stepSize, gamma, seed, patience, qat, headroom, precision, output, name, plot, quiet, json })
            command.Options.Add(option);
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            int s = parse.GetValue(seed);
            var spec = data.Spec(parse, s) with { Scale = InputScalings.Parse(parse.GetValue(scale)!), Vocabulary = parse.GetValue(vocab) };
            if (parse.GetValue(embedding) is not null && spec.Vocabulary is null)
                throw new CliException("--embedding needs --vocab (the number of token ids): embeddings are for token input");
            if (spec.Vocabulary is not null && spec.Layout == DataLayout.Series)
                throw new CliException("--vocab: token input is read from --layout sequences (one sequence of token ids per row, one column per step)");
            if (spec.Vocabulary is not null && parse.GetResult(scale) is { Implicit: false })
                throw new CliException($"--scale does not apply to token input (--vocab): ids are looked up in the embedding, not scaled");
            var denseSizes = DenseSizes(parse.GetValue(dense));
            bool adamW = parse.GetValue(optimizer) == "adamw";
            var options = new TrainingOptions
            {
                HiddenSizes = HiddenSizes(parse.GetValue(hidden)!, parse.GetValue(layers)),
                DenseSizes = denseSizes,
                DenseActivations = DenseActivations(parse.GetValue(denseActivation)!, denseSizes.Length),
                VocabularySize = spec.Vocabulary,
                EmbeddingSize = parse.GetValue(embedding) ?? 16,
                Convention = TinyGruModelFile.ParseConvention(parse.GetValue(convention)!, out _),
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                Optimizer = adamW ? OptimizerKind.AdamW : OptimizerKind.Adam,
                WeightDecay = parse.GetValue(weightDecay) ?? (adamW ? 0.01 : 0),
                ClipNorm = parse.GetValue(clipNorm),
                Schedule = parse.GetValue(schedule) switch { "cosine" => ScheduleKind.Cosine, "step" => ScheduleKind.Step, _ => ScheduleKind.Constant },
                StepSize = parse.GetValue(stepSize),
                Gamma = parse.GetValue(gamma),
                Seed = s,
                Patience = parse.GetValue(patience),
            };
            options.Validate();
            bool quantizationAware = parse.GetValue(qat);
            var outputPrecision = Precision(parse.GetValue(precision)!, quantizationAware);
            bool tokens = spec.Vocabulary is not null;
            if (tokens && outputPrecision == ModelPrecision.Int8)
                throw new CliException("--qat --precision int8 of a token model (--vocab): QAT trains the table with a scale per row as int8-weights does, and integer-only int8 uses one scale for the whole table; use --precision int8-weights, or train float32 and run tinygru quantize --precision int8");
            var mode = parse.GetValue(json) ? OutputMode.Json : parse.GetValue(quiet) ? OutputMode.Quiet : OutputMode.Live;
            var view = new TrainingConsole(stdout, mode);
            string dataPath = parse.GetValue(data.Data)!;
            double inputHeadroom = Headroom(parse.GetValue(headroom), quantizationAware && !tokens, tokens ? "int8 inputs, which --vocab models do not have" : "--qat");
            var table = CsvTable.Read(dataPath);
            string? choice = null, seasonFound = null, epochsChoice = null;
            var kind = SeriesTransforms.Parse(parse.GetValue(transform)!);
            // One Ctrl+C handler for the whole command: an interrupt during the auto-transform candidates also stops the
            // final training (a token cancelled there stays cancelled), and there is no moment without a handler.
            using var interrupt = new CancellationTokenSource();
            using var interruptHandler = OnInterrupt(interrupt);
            if (spec.Layout != DataLayout.Series)
            {
                if (kind is SeriesTransformKind.Difference or SeriesTransformKind.Seasonal) throw new CliException($"--transform {SeriesTransforms.Name(kind)} applies to --layout series");
                kind = SeriesTransformKind.None;
            }
            else if (kind == SeriesTransformKind.Auto)
            {
                // A season found in the training rows makes seasonal a candidate (and gives the seasonal-naive baseline).
                if (spec.Season is null && SeriesTransforms.DetectSeason(table, spec) is { } found)
                {
                    spec = spec with { Season = found.Season };
                    seasonFound = $"{found.Season.ToString(CultureInfo.InvariantCulture)} (autocorrelation of the changes {found.Autocorrelation.ToString("F2", CultureInfo.InvariantCulture)} at that lag; --season sets it)";
                    if (mode == OutputMode.Live) stdout.WriteLine($"season: {seasonFound}");
                }
                // Each candidate is trained and scored on validation windows carved from the training part, never the test part.
                SeriesTransformKind chosen;
                IReadOnlyList<SeriesTransforms.Candidate> candidates;
                if (mode == OutputMode.Live) stdout.WriteLine($"transform: auto — training {string.Join(", ", SeriesTransforms.CandidatesFor(spec).Select(SeriesTransforms.Name))} on validation windows of the training part …");
                try { (chosen, candidates) = SeriesTransforms.Choose(table, spec, options, interrupt.Token); }
                catch (TrainingException e) { throw new CliException(e.Message + " No model was written."); }
                choice = SeriesTransforms.Describe(chosen, candidates);
                if (mode == OutputMode.Live) stdout.WriteLine($"transform: {choice}");
                kind = chosen;
                // The final model has no validation windows of its own: it is trained for the chosen candidate's best epoch.
                int epochsChosen = SeriesTransforms.FinalEpochs(chosen, candidates, options, spec);
                if (epochsChosen != options.Epochs)
                {
                    epochsChoice = $"{epochsChosen.ToString(CultureInfo.InvariantCulture)} of {options.Epochs.ToString(CultureInfo.InvariantCulture)} (the best validation epoch of {SeriesTransforms.Name(chosen)})";
                    if (mode == OutputMode.Live) stdout.WriteLine($"epochs: {epochsChoice}");
                    options = options with { Epochs = epochsChosen };
                }
            }
            TrainingJob job;
            try { job = TrainingJob.Prepare(table, spec with { Transform = kind }, quantizationAware, inputHeadroom); }
            catch (TrainingException e) { throw new CliException(e.Message + " No model was written."); }
            job.TransformChoice = choice;
            job.SeasonFound = seasonFound;
            job.EpochsChoice = epochsChoice;
            if (mode == OutputMode.Live && job.Statistics.ScalingReason is { } why && job.Examples.InputSize > 1) stdout.WriteLine($"scale: auto — {why}: {InputScalings.Name(job.Statistics.Scaling)}");
            var outcome = TrainAndSave(job, options, parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(dataPath),
                parse.GetValue(output)!, parse.GetValue(plot), view, outputPrecision, interrupt.Token);
            view.Summary(outcome);
            return 0;
        }));
        return command;
    }

    /// <summary>--qat, shared with <c>finetune</c>.</summary>
    public static Option<bool> QatOption() => new("--qat")
    {
        Description = "quantization-aware training: run the forward pass with int8 weights and int8 inputs (range from the training rows), so the model keeps its accuracy as int8 (docs/qat.md)",
    };

    /// <summary>--input-headroom, shared by <c>quantize</c>, <c>train</c> and <c>finetune</c>.</summary>
    public static Option<double> HeadroomOption() => new("--input-headroom")
    {
        Description = "int8 input range: widen the calibrated range by this fraction on each side (inputs beyond it saturate), e.g. 0.25 for forecasts that may exceed the training range (docs/quantization.md)",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>The --input-headroom value, checked; anything but 0 needs int8 inputs (<paramref name="int8Inputs"/>).</summary>
    public static double Headroom(double value, bool int8Inputs, string needs)
    {
        if (!(value >= 0 && value <= 100))
            throw new CliException($"--input-headroom is {value.ToString(CultureInfo.InvariantCulture)}; expected a fraction from 0 to 100");
        if (value > 0 && !int8Inputs) throw new CliException("--input-headroom needs " + needs);
        return value;
    }

    /// <summary>--precision, shared with <c>finetune</c>.</summary>
    public static Option<string> PrecisionOption() => new Option<string>("--precision")
    {
        Description = "with --qat: write the float32 model (quantize it later with the training rows as calibration), or write it quantized to int8 (integer-only) or int8-weights with the range it was trained with",
        DefaultValueFactory = _ => ModelPrecisions.Name(ModelPrecision.Float32),
    }.AcceptOnlyFromAmong(ModelPrecisions.Name(ModelPrecision.Float32), ModelPrecisions.Name(ModelPrecision.Int8Weights), ModelPrecisions.Name(ModelPrecision.Int8));

    /// <summary>The --precision value; anything but float32 needs --qat.</summary>
    public static ModelPrecision Precision(string text, bool quantizationAware)
    {
        ModelPrecisions.TryParse(text, out var precision);
        if (precision != ModelPrecision.Float32 && !quantizationAware)
            throw new CliException($"--precision {text} needs --qat (a model trained without it is quantized with tinygru quantize)");
        return precision;
    }

    /// <summary>
    /// Trains (cancellable with Ctrl+C), evaluates on the test part, writes the model and the plot (each atomically,
    /// only after training succeeded) and returns what happened. A quantization-aware job is also evaluated as int8
    /// and, with <paramref name="precision"/> other than float32, written quantized with the range it was trained with.
    /// </summary>
    public static TrainingOutcome TrainAndSave(TrainingJob job, TrainingOptions options, string name, string modelPath, string? plotPath, TrainingConsole view,
        ModelPrecision precision = ModelPrecision.Float32, CancellationToken interrupted = default)
    {
        // Both outputs are created (as temporary files) before training and renamed into place together at the end:
        // an unwritable plot path fails now, and a failure at the end replaces neither file.
        using var outputs = new OutputBatch();
        var modelStream = outputs.Add(modelPath, job.Source);
        var plotStream = plotPath is null ? null : outputs.Add(plotPath, job.Source);
        TrainingResult result;
        // A caller that handles Ctrl+C itself passes its token; otherwise Ctrl+C is handled here, for the training only.
        using (var interrupt = CancellationTokenSource.CreateLinkedTokenSource(interrupted))
        using (interrupted.CanBeCanceled ? null : OnInterrupt(interrupt))
        {
            try
            {
                result = view.Run(name, job, onEpoch => job.Run(options, onEpoch, interrupt.Token));
            }
            catch (TrainingException e)
            {
                throw new CliException(e.Message + " No model was written.");
            }
        }

        var model = job.BuildModel(result, options, name);
        ModelEvaluation? test = job.Split.Test.Length == 0 ? null : ModelEvaluation.Of(model, job.Examples, job.Split.Test);
        // QAT: the quantized model it was trained for — integer-only int8, or int8 weights for dense stacks and token models.
        ModelEvaluation? int8Test = test is null || !job.QuantizationAware ? null
            : ModelEvaluation.Of(job.Quantize(model, job.InputQuantizer is null ? ModelPrecision.Int8Weights : ModelPrecision.Int8), job.Examples, job.Split.Test);
        var metrics = new Dictionary<string, string>(StringComparer.Ordinal);
        if (test is not null) foreach (var m in test.ToMetrics("test_")) metrics[m.Key] = m.Value;
        if (int8Test is not null) foreach (var m in int8Test.ToMetrics("int8_test_")) metrics[m.Key] = m.Value;
        if (result.History[result.BestEpoch - 1].ValidationMetric is double v)
            metrics["validation_" + (TrainingConsole.MetricName(job.Examples.Task) == "accuracy" ? "accuracy" : "rmse")] = v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
        model = job.BuildModel(result, options, name, metrics);
        if (precision != ModelPrecision.Float32) model = job.Quantize(model, precision);
        var bytes = TinyGruModelFile.Serialize(model);
        modelStream.Write(bytes);
        if (plotStream is not null)
        {
            string title = $"{Path.GetFileName(job.Source)}: {TrainingConsole.Architecture(model)}";
            plotStream.Write(TrainingPlot.Render(title, result.History, TrainingConsole.MetricName(job.Examples.Task)));
        }
        outputs.Commit();
        return new TrainingOutcome(job, options, result, model, test, modelPath, bytes.Length, plotPath, int8Test);
    }

    /// <summary>Ctrl+C and SIGTERM cancel training instead of killing the process mid-write.</summary>
    private static IDisposable OnInterrupt(CancellationTokenSource source)
    {
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            source.Cancel();
        }
        var registrations = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(s => PosixSignalRegistration.Create(s, Cancel)).ToArray();
        return new Registrations(registrations);
    }

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in registrations) r.Dispose();
        }
    }

    /// <summary>The --dense widths, or none.</summary>
    private static int[] DenseSizes(string? text)
    {
        if (text is null) return Array.Empty<int>();
        var sizes = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int d) || d < 1 || d > ModelLimits.MaxDenseWidth)
                throw new CliException($"--dense: '{part.Trim()}' is not a width from 1 to {ModelLimits.MaxDenseWidth}; give comma-separated widths such as 32,16");
            sizes.Add(d);
        }
        if (sizes.Count > ModelLimits.MaxDenseLayers - 1)
            throw new CliException($"--dense: {sizes.Count} layers; at most {ModelLimits.MaxDenseLayers - 1} (the head is one more dense layer)");
        return sizes.ToArray();
    }

    /// <summary>The --dense-activation list: one entry for every layer, or one per --dense width.</summary>
    private static HeadActivation[] DenseActivations(string text, int layers)
    {
        var list = text.Split(',').Select(part => part.Trim().ToLowerInvariant() switch
        {
            "relu" => HeadActivation.Relu,
            "tanh" => HeadActivation.Tanh,
            "sigmoid" => HeadActivation.Sigmoid,
            "none" => HeadActivation.None,
            _ => throw new CliException($"--dense-activation: '{part.Trim()}' is not relu, tanh, sigmoid or none"),
        }).ToArray();
        if (list.Length != 1 && list.Length != layers)
            throw new CliException($"--dense-activation: {list.Length} activations for {layers} --dense layers; give one for all, or one per layer");
        if (layers == 0 && text != "relu")
            throw new CliException("--dense-activation needs --dense (the widths of the hidden dense layers)");
        return list;
    }

    private static int[] HiddenSizes(string text, int? layers)
    {
        var sizes = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int h) || h < 1)
                throw new CliException($"--hidden: '{part.Trim()}' is not a positive whole number");
            sizes.Add(h);
        }
        if (layers is int count)
        {
            if (count < 1) throw new CliException("--layers: must be at least 1");
            if (sizes.Count == 1) return Enumerable.Repeat(sizes[0], count).ToArray();
            if (sizes.Count != count) throw new CliException($"--layers {count} does not match the {sizes.Count} sizes given to --hidden");
        }
        return sizes.ToArray();
    }
}

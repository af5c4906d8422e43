using System.CommandLine;
using System.Globalization;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>
/// <c>tinygru finetune MODEL --qat --data FILE.csv --layout … -o OUT</c>: continues training a float32 model on CSV data
/// with its own normalization and classes; with --qat, quantization-aware, to win back what int8 quantization loses.
/// </summary>
internal static class FinetuneCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var inv = CultureInfo.InvariantCulture;
        var model = new Argument<string>("model") { Description = "float32 model to fine-tune: TinyGru or PyTorch state_dict .safetensors (--head-activations for an MLP head), .onnx or Keras (with a dense head; hidden dense layers and a token embedding are fine-tuned too)" };
        var import = new ImportCliOptions();
        var data = new DataOptions();
        var epochs = new Option<int>("--epochs") { Description = "passes over the training data", DefaultValueFactory = _ => QuantizationAwareTraining.FineTuneEpochs };
        var batch = new Option<int>("--batch") { Description = "sequences per mini-batch", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "learning rate (a tenth of train's default: the model is adjusted, not retrained)", DefaultValueFactory = _ => QuantizationAwareTraining.FineTuneLearningRate };
        var optimizer = new Option<string>("--optimizer") { Description = "adam or adamw", DefaultValueFactory = _ => "adam" }.AcceptOnlyFromAmong("adam", "adamw");
        var weightDecay = new Option<double?>("--weight-decay") { Description = "weight decay (default 0 for adam, 0.01 for adamw)" };
        var clipNorm = new Option<double?>("--clip-norm") { Description = "clip the gradient's global norm to this value" };
        var seed = new Option<int>("--seed") { Description = "seed of shuffling and the validation pick", DefaultValueFactory = _ => 0 };
        var patience = new Option<int?>("--patience") { Description = "stop after this many epochs without a better validation loss" };
        var qat = TrainCommand.QatOption();
        var headroom = TrainCommand.HeadroomOption();
        var precision = TrainCommand.PrecisionOption();
        var output = new Option<string>("--output", "-o") { Description = "TinyGru model file to write", Required = true };
        var name = new Option<string?>("--name") { Description = "model name to record (default: the model's own name)" };
        var plot = new Option<string?>("--plot") { Description = "write loss and metric curves to this PNG file" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "print nothing but errors" };
        var json = new Option<bool>("--json") { Description = "print the results as JSON" };

        var command = new Command("finetune",
            $"Fine-tune a float32 model on a CSV file (same data flags as train); with --qat, quantization-aware, for a model that keeps its accuracy as int8. Defaults: {QuantizationAwareTraining.FineTuneEpochs} epochs, lr {QuantizationAwareTraining.FineTuneLearningRate.ToString(inv)}, batch 32")
        { model };
        data.AddTo(command, withValidation: true);
        import.AddTo(command);
        foreach (var option in new Option[] { qat, headroom, precision, epochs, batch, lr, optimizer, weightDecay, clipNorm, seed, patience, output, name, plot, quiet, json })
            command.Options.Add(option);
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            bool quantizationAware = parse.GetValue(qat);
            var outputPrecision = TrainCommand.Precision(parse.GetValue(precision)!, quantizationAware);
            int s = parse.GetValue(seed);
            bool adamW = parse.GetValue(optimizer) == "adamw";
            var options = new TrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                Optimizer = adamW ? OptimizerKind.AdamW : OptimizerKind.Adam,
                WeightDecay = parse.GetValue(weightDecay) ?? (adamW ? 0.01 : 0),
                ClipNorm = parse.GetValue(clipNorm),
                Seed = s,
                Patience = parse.GetValue(patience),
            };
            options.Validate();
            string modelPath = parse.GetValue(model)!;
            var baseModel = CliModelLoader.Load(modelPath, import.Parse(parse));
            bool tokens = baseModel.Embedding is not null;
            if (tokens && outputPrecision == ModelPrecision.Int8)
                throw new CliException($"{modelPath}: --qat --precision int8 of a token model: QAT trains the table with a scale per row as int8-weights does, and integer-only int8 uses one scale for the whole table; use --precision int8-weights, or fine-tune to float32 and run tinygru quantize --precision int8");
            var spec = data.Spec(parse, s);
            spec = spec with { Task = spec.Task ?? TaskOf(baseModel) };
            if (spec.Layout == DataLayout.Sequences && baseModel.Metadata.Task == ModelTask.Forecast)
                throw new CliException($"{modelPath}: a forecast model; fine-tune it with --layout series");
            var mode = parse.GetValue(json) ? OutputMode.Json : parse.GetValue(quiet) ? OutputMode.Quiet : OutputMode.Live;
            var view = new TrainingConsole(stdout, mode);
            string dataPath = parse.GetValue(data.Data)!;
            TrainingJob job;
            try { job = TrainingJob.PrepareFineTune(CsvTable.Read(dataPath), spec, baseModel, quantizationAware,
                TrainCommand.Headroom(parse.GetValue(headroom), quantizationAware && !tokens, tokens ? "int8 inputs, which token models do not have" : "--qat")); }
            catch (TrainingException e) { throw new CliException($"{modelPath}: {e.Message}"); }
            var outcome = TrainCommand.TrainAndSave(job, options, parse.GetValue(name) ?? baseModel.Metadata.Name ?? Path.GetFileNameWithoutExtension(modelPath),
                parse.GetValue(output)!, parse.GetValue(plot), view, outputPrecision);
            view.Summary(outcome);
            return 0;
        }));
        return command;
    }

    /// <summary>The task a model was trained for, when its metadata says.</summary>
    private static LearningTask? TaskOf(GruModel m) => m.Metadata.Task switch
    {
        ModelTask.Classification => m.Head?.Activation == HeadActivation.Sigmoid ? LearningTask.MultiLabel : LearningTask.Classification,
        ModelTask.Regression => LearningTask.Regression,
        _ => null,
    };
}

using System.CommandLine;
using TinyGru.Model;

namespace TinyGru.Cli;

/// <summary><c>tinygru convert MODEL -o OUT.safetensors</c>: any supported model → TinyGru model file.</summary>
internal static class ConvertCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, .onnx, Keras .keras/.h5, or a TF.js model.json (or its folder)" };
        var output = new Option<string>("--output", "-o") { Description = "TinyGru model file to write", Required = true };
        var name = new Option<string?>("--name") { Description = "Model name to record" };
        var activation = new Option<string?>("--head-activation") { Description = "Head activation to record (none, softmax, sigmoid, tanh); PyTorch state_dicts do not carry it" };
        var labels = new Option<string?>("--labels") { Description = "Comma-separated class labels, one per output" };
        var inputMean = new Option<string?>("--input-mean") { Description = "Per-feature means to subtract (x' = (x − mean) / std): comma-separated, or a CSV file (e.g. StandardScaler.mean_)" };
        var inputStd = new Option<string?>("--input-std") { Description = "Per-feature standard deviations (StandardScaler.scale_): comma-separated, or a CSV file" };
        var outputScale = new Option<string?>("--output-scale") { Description = "Per-output scales applied last (y' = y · scale + offset): comma-separated, or a CSV file" };
        var outputOffset = new Option<string?>("--output-offset") { Description = "Per-output offsets applied last: comma-separated, or a CSV file" };
        var import = new ImportCliOptions();
        var command = new Command("convert", "Convert a PyTorch, ONNX or Keras model into a TinyGru model file")
        {
            model, output, name, activation, labels, inputMean, inputStd, outputScale, outputOffset,
        };
        import.AddTo(command);
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string source = parse.GetValue(model)!;
            AtomicFile.CheckOutputPath(parse.GetValue(output)!);
            if (parse.GetValue(activation) is not null && parse.GetValue(import.HeadActivations) is not null)
                throw new CliException("--head-activation and --head-activations: give one of them (--head-activations lists every dense layer)");
            var m = CliModelLoader.Load(source, import.Parse(parse));
            m = Apply(m, parse.GetValue(name), parse.GetValue(activation), parse.GetValue(labels));
            m = Scaling(m, parse.GetValue(inputMean), parse.GetValue(inputStd), parse.GetValue(outputScale), parse.GetValue(outputOffset));
            string outPath = parse.GetValue(output)!;
            AtomicFile.WriteAllBytes(outPath, TinyGruModelFile.Serialize(m));
            stdout.WriteLine($"wrote {outPath}: GRU {m.InputSize} → {string.Join(" → ", m.Layers.Select(l => l.HiddenSize))} → {m.OutputSize}, {m.ParameterCount} parameters");
            return 0;
        }));
        return command;
    }

    private static GruModel Apply(GruModel m, string? name, string? activation, string? labels)
    {
        var head = m.Head;
        if (activation is not null)
        {
            if (head is null) throw new CliException("--head-activation: the model has no dense head");
            var a = TinyGruModelFile.ParseActivation(activation, out bool ok);
            if (!ok) throw new CliException($"--head-activation: '{activation}' is not one of none, softmax, sigmoid, tanh, relu");
            head = new DenseHeadSpec(head.InputSize, head.OutputSize, head.Weight, head.Bias, a);
        }
        var md = m.Metadata;
        var labelList = labels is null ? md.ClassLabels : labels.Split(',').Select(l => l.Trim()).ToArray();
        var task = labels is not null && md.Task == ModelTask.Unspecified ? ModelTask.Classification : md.Task;
        try
        {
            return new GruModel(m.Convention, m.Layers, head, m.InputNormalization, m.OutputScaling,
                new ModelMetadata(name ?? md.Name, task, labelList, md.Provenance), m.Quantization, m.HiddenDenseLayers, m.Embedding, m.GateActivation, m.SeriesTransform);
        }
        catch (ModelFormatException e)
        {
            throw new CliException((labels is not null ? "--labels: " : "") + e.Problem);
        }
    }

    /// <summary>Attaches input normalization (both of mean and std) and output scaling (scale, offset defaulting to 1 and 0).</summary>
    private static GruModel Scaling(GruModel m, string? mean, string? std, string? scale, string? offset)
    {
        if (mean is null && std is null && scale is null && offset is null) return m;
        var norm = m.InputNormalization;
        if (mean is not null || std is not null)
        {
            if (m.IsTokenInput)
                throw new CliException("--input-mean/--input-std: this model's input is a token id per step (an embedding); there are no features to normalize");
            if (mean is null || std is null) throw new CliException("--input-mean and --input-std go together: give both (use 0 means or 1 deviations for the identity)");
            var stdValues = ImportCliOptions.ParseVector("--input-std", std, m.InputSize, "input features");
            int bad = Array.FindIndex(stdValues, v => !(v > 0));
            if (bad >= 0) throw new CliException($"--input-std: entry {bad + 1} is {stdValues[bad].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}; a standard deviation must be greater than 0");
            norm = new InputNormalization(ImportCliOptions.ParseVector("--input-mean", mean, m.InputSize, "input features"), stdValues);
        }
        var outScaling = m.OutputScaling;
        if (scale is not null || offset is not null)
        {
            outScaling = new OutputScaling(
                scale is null ? Enumerable.Repeat(1f, m.OutputSize).ToArray() : ImportCliOptions.ParseVector("--output-scale", scale, m.OutputSize, "outputs"),
                offset is null ? new float[m.OutputSize] : ImportCliOptions.ParseVector("--output-offset", offset, m.OutputSize, "outputs"));
        }
        try
        {
            return m.WithScaling(norm, outScaling);
        }
        catch (ModelFormatException e)
        {
            throw new CliException(e.Problem);
        }
    }
}

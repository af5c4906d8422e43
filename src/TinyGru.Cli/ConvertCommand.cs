using System.CommandLine;
using TinyGru.Model;

namespace TinyGru.Cli;

/// <summary><c>tinygru convert MODEL -o OUT.safetensors</c>: any supported model → TinyGru model file.</summary>
internal static class ConvertCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, or .onnx" };
        var output = new Option<string>("--output", "-o") { Description = "TinyGru model file to write", Required = true };
        var name = new Option<string?>("--name") { Description = "Model name to record" };
        var activation = new Option<string?>("--head-activation") { Description = "Head activation to record (none, softmax, sigmoid, tanh); PyTorch state_dicts do not carry it" };
        var labels = new Option<string?>("--labels") { Description = "Comma-separated class labels, one per output" };
        var command = new Command("convert", "Convert a PyTorch or ONNX model into a TinyGru model file") { model, output, name, activation, labels };
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string source = parse.GetValue(model)!;
            AtomicFile.CheckOutputPath(parse.GetValue(output)!);
            var m = ModelLoader.Load(source);
            m = Apply(m, parse.GetValue(name), parse.GetValue(activation), parse.GetValue(labels));
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
            if (!ok) throw new CliException($"--head-activation: '{activation}' is not one of none, softmax, sigmoid, tanh");
            head = new DenseHeadSpec(head.InputSize, head.OutputSize, head.Weight, head.Bias, a);
        }
        var md = m.Metadata;
        var labelList = labels is null ? md.ClassLabels : labels.Split(',').Select(l => l.Trim()).ToArray();
        var task = labels is not null && md.Task == ModelTask.Unspecified ? ModelTask.Classification : md.Task;
        try
        {
            return new GruModel(m.Convention, m.Layers, head, m.InputNormalization, m.OutputScaling,
                new ModelMetadata(name ?? md.Name, task, labelList, md.Provenance));
        }
        catch (ModelFormatException e)
        {
            throw new CliException((labels is not null ? "--labels: " : "") + e.Problem);
        }
    }
}

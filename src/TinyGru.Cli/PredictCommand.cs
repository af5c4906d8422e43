using System.CommandLine;
using System.Globalization;
using System.Text;
using TinyGru.Model;
using TinyGru.Runtime;

namespace TinyGru.Cli;

/// <summary><c>tinygru predict MODEL --input IN.csv [--output OUT.csv]</c>: streams every row through the model from a zero state.</summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, or .onnx" };
        var input = new Option<string>("--input", "-i") { Description = "CSV with one row per timestep and one column per input feature (an optional header row)", Required = true };
        var output = new Option<string?>("--output", "-o") { Description = "Output CSV (default: standard output)" };
        var command = new Command("predict", "Run a model over a sequence, one output row per input row") { model, input, output };
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            var m = ModelLoader.Load(parse.GetValue(model)!);
            var table = CsvMatrix.Read(parse.GetValue(input)!, m.InputSize);
            var text = Predict(m, table);
            var outPath = parse.GetValue(output);
            if (outPath is null) stdout.Write(text);
            else AtomicFile.WriteAllBytes(outPath, new UTF8Encoding(false).GetBytes(text));
            return 0;
        }));
        return command;
    }

    internal static string Predict(GruModel model, CsvMatrix table)
    {
        var engine = ReferenceEngines.Create(model);
        var y = new float[model.OutputSize];
        var sb = new StringBuilder();
        sb.AppendJoin(',', Enumerable.Range(0, model.OutputSize).Select(o => "y" + o.ToString(CultureInfo.InvariantCulture))).Append('\n');
        for (int t = 0; t < table.Rows; t++)
        {
            engine.Step(table.Values.AsSpan(t * table.Columns, table.Columns), y);
            for (int o = 0; o < y.Length; o++)
            {
                if (o > 0) sb.Append(',');
                sb.Append(y[o].ToString("R", CultureInfo.InvariantCulture));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}

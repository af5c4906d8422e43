using System.CommandLine;
using System.Globalization;
using System.Text;
using TinyGru.Model;
using TinyGru.Runtime;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>
/// <c>tinygru predict MODEL --input IN.csv [--features COLS] [--output OUT.csv]</c>: runs every row through the model
/// from a zero state, streaming — read a row, step, write a row — so memory stays constant over any number of rows
/// and the input may be a pipe.
/// </summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, or .onnx" };
        var input = new Option<string>("--input", "-i") { Description = "CSV with one row per timestep and one column per input feature (an optional header row); may be a pipe", Required = true };
        var features = new Option<string?>("--features") { Description = "Comma-separated input columns, by header name or 1-based number, in the model's input order (default: every column)" };
        var output = new Option<string?>("--output", "-o") { Description = "Output CSV (default: standard output)" };
        var command = new Command("predict", "Run a model over a sequence, one output row per input row") { model, input, features, output };
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string modelPath = parse.GetValue(model)!, inputPath = parse.GetValue(input)!;
            var outPath = parse.GetValue(output);
            if (outPath is not null) AtomicFile.CheckOutputPath(outPath, inputPath, modelPath);
            var m = ModelLoader.Load(modelPath);
            var columns = parse.GetValue(features)?.Split(',').Select(c => c.Trim()).ToArray();
            // A pipe has no size, so no whole-file bound: each line is bounded, and rows are not kept.
            using var reader = CsvTable.OpenText(inputPath, long.MaxValue);
            var rows = new CsvRowReader(reader, inputPath, m.InputSize, columns);
            if (outPath is null)
            {
                Predict(m, rows, stdout);
                stdout.Flush();
            }
            else
            {
                AtomicFile.Write(outPath, stream =>
                {
                    using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                    Predict(m, rows, writer);
                }, inputPath, modelPath);
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Writes the header y0,…,yO−1 and one row of outputs per input row; allocates nothing per row beyond reading it.</summary>
    internal static void Predict(GruModel model, CsvRowReader rows, TextWriter writer)
    {
        var engine = ReferenceEngines.Create(model);
        var y = new float[model.OutputSize];
        Span<char> number = stackalloc char[32];
        long count = 0;
        while (rows.Read())
        {
            if (count++ == 0)
            {
                writer.Write(string.Join(",", Enumerable.Range(0, model.OutputSize).Select(o => "y" + o.ToString(CultureInfo.InvariantCulture))));
                writer.Write('\n');
            }
            engine.Step(rows.Values, y);
            for (int o = 0; o < y.Length; o++)
            {
                if (o > 0) writer.Write(',');
                y[o].TryFormat(number, out int n, "R", CultureInfo.InvariantCulture);
                writer.Write(number[..n]);
            }
            writer.Write('\n');
        }
        if (count == 0) throw new CliException($"{rows.Source}: the file has no data rows");
    }
}

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
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, .onnx, Keras .keras/.h5, or a TF.js model.json (or its folder)" };
        var input = new Option<string>("--input", "-i") { Description = "CSV with one row per timestep and one column per input feature, or one column of token ids for a token model (an optional header row); may be a pipe", Required = true };
        var features = new Option<string?>("--features") { Description = "Comma-separated input columns, by header name or 1-based number, in the model's input order (default: every column)" };
        var output = new Option<string?>("--output", "-o") { Description = "Output CSV (default: standard output)" };
        var import = new ImportCliOptions();
        var command = new Command("predict", "Run a model over a sequence, one output row per input row") { model, input, features, output };
        import.AddTo(command);
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string modelPath = parse.GetValue(model)!, inputPath = parse.GetValue(input)!;
            var outPath = parse.GetValue(output);
            if (outPath is not null) AtomicFile.CheckOutputPath(outPath, inputPath, modelPath);
            var m = CliModelLoader.Load(modelPath, import.Parse(parse));
            var columns = parse.GetValue(features)?.Split(',').Select(c => c.Trim()).ToArray();
            // A pipe has no size, so no whole-file bound: each line is bounded, and rows are not kept.
            using var reader = CsvTable.OpenText(inputPath, long.MaxValue);
            var rows = new CsvRowReader(reader, inputPath, m.StepInputSize, columns);
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

    /// <summary>A token model's input must be a whole number 0 … V−1: one line naming the row, not an exception later.</summary>
    private static void CheckToken(string path, long row, float v, TokenEmbedding embedding)
    {
        if (!(v >= 0) || v >= embedding.VocabularySize || v != MathF.Floor(v))
            throw new CliException($"{path}: data row {row}: token id {v.ToString("R", CultureInfo.InvariantCulture)} is not a whole number from 0 to {embedding.VocabularySize - 1} (the model's vocabulary has {embedding.VocabularySize} ids)");
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
            if (model.Embedding is { } embedding) CheckToken(rows.Source, count, rows.Values[0], embedding);
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

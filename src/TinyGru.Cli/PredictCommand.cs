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
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, .onnx, Keras .keras/.h5, or a TF.js model.json (or its folder)" };
        var input = new Option<string>("--input", "-i") { Description = "CSV with one row per timestep and one column per input feature, or one column of token ids for a token model (an optional header row)", Required = true };
        var output = new Option<string?>("--output", "-o") { Description = "Output CSV (default: standard output)" };
        var import = new ImportCliOptions();
        var command = new Command("predict", "Run a model over a sequence, one output row per input row") { model, input, output };
        import.AddTo(command);
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            var m = CliModelLoader.Load(parse.GetValue(model)!, import.Parse(parse));
            string inputPath = parse.GetValue(input)!;
            var table = CsvMatrix.Read(inputPath, m.StepInputSize);
            if (m.Embedding is { } embedding) CheckTokens(inputPath, table, embedding);
            var text = Predict(m, table);
            var outPath = parse.GetValue(output);
            if (outPath is null) stdout.Write(text);
            else AtomicFile.WriteAllBytes(outPath, new UTF8Encoding(false).GetBytes(text));
            return 0;
        }));
        return command;
    }

    /// <summary>Every cell of a token model's input must be a whole number 0 … V−1: one line naming the row, not an exception later.</summary>
    private static void CheckTokens(string path, CsvMatrix table, TokenEmbedding embedding)
    {
        for (int t = 0; t < table.Rows; t++)
        {
            float v = table.Values[t];
            if (!(v >= 0) || v >= embedding.VocabularySize || v != MathF.Floor(v))
                throw new CliException($"{path}: data row {t + 1}: token id {v.ToString("R", CultureInfo.InvariantCulture)} is not a whole number from 0 to {embedding.VocabularySize - 1} (the model's vocabulary has {embedding.VocabularySize} ids)");
        }
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

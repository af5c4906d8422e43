using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text;
using Spectre.Console;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>
/// <c>tinygru demo</c>: trains on the two bundled real data sets (handwritten digits, sunspot numbers) with the
/// PyTorch reference settings, evaluates, writes models, plots and inputs for <c>predict</c> into one folder, and
/// says what to run next.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var folder = new Option<string>("--output", "-o") { Description = "folder for the data, models and plots", DefaultValueFactory = _ => "tinygru-demo" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "print nothing but errors" };
        var command = new Command("demo", "Train, evaluate and save two models on bundled real data (handwritten digits, sunspots) in a few seconds") { folder, quiet };
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string dir = parse.GetValue(folder)!;
            Directory.CreateDirectory(dir);
            var view = new TrainingConsole(stdout, parse.GetValue(quiet) ? OutputMode.Quiet : OutputMode.Live);
            string File(string name) => Path.Combine(dir, name);
            var inv = CultureInfo.InvariantCulture;

            // The PyTorch reference's data, split and settings, so the numbers compare with docs/benchmarks.md.
            // Digits: 8 rows of 8 pixels read as 8 timesteps.
            var digitsTable = Extract("digits.csv", File("digits.csv"));
            var digits = TrainCommand.TrainAndSave(TrainingJob.Prepare(digitsTable, ReferenceTasks.DigitsData), ReferenceTasks.DigitsTraining, "digits",
                File("digits.safetensors"), File("digits-training.png"), view);
            view.Summary(digits);
            int example = digits.Job.Split.Test[0];
            var ex = digits.Job.Examples;
            WriteCsv(File("digit.csv"), string.Join(",", ex.FeatureNames.Select((_, c) => "c" + c.ToString(inv))), ex.Steps, ex.InputSize,
                ex.Inputs.AsSpan(example * ex.Steps * ex.InputSize, ex.Steps * ex.InputSize).ToArray());
            string digitLabel = ex.OutputNames[ex.Labels![example]];

            // Sunspots: 24 years → the next year.
            var sunspotsTable = Extract("sunspots.csv", File("sunspots.csv"));
            var sunspots = TrainCommand.TrainAndSave(TrainingJob.Prepare(sunspotsTable, ReferenceTasks.SunspotsData), ReferenceTasks.SunspotsTraining, "sunspots",
                File("sunspots.safetensors"), File("sunspots-training.png"), view);
            view.Summary(sunspots);
            var test = sunspots.Test!;
            var sx = sunspots.Job.Examples;
            int window = sx.Steps, lastRow = sunspotsTable.Rows.Count - 1;
            double Year(int row) => double.Parse(sunspotsTable.Rows[row][0], inv);
            var years = sunspots.Job.Split.Test.Select(n => Year(n + window)).ToArray(); // window n starts at row n and forecasts row n + W
            AtomicFile.WriteAllBytes(File("sunspots-forecast.png"), TrainingPlot.RenderForecast(
                "Sunspots, test years: GRU forecast vs actual", "yearly mean sunspot number", years,
                sunspots.Job.Split.Test.Select(n => (double)sx.Targets![n]).ToArray(),
                test.Predictions.Select(p => (double)p).ToArray(),
                sunspots.Job.Split.Test.Select(n => (double)sx.LastValues![n]).ToArray()));
            var lastWindow = Enumerable.Range(lastRow - window + 1, window).Select(r => float.Parse(sunspotsTable.Rows[r][1], inv)).ToArray();
            WriteCsv(File("sunspots-last-24-years.csv"), "SUNACTIVITY", window, 1, lastWindow);

            // Post-training integer-only quantization, calibrated on the training part, compared on the test part.
            var digitsInt8 = QuantizeCommand.QuantizeAndSave(digits.Model, ModelPrecision.Int8, ex, digits.Job.Split.Train, digits.Job.Split.Test, true,
                File("digits.csv"), File("digits-int8.safetensors"));
            var sunspotsInt8 = QuantizeCommand.QuantizeAndSave(sunspots.Model, ModelPrecision.Int8, sx, sunspots.Job.Split.Train, sunspots.Job.Split.Test, true,
                File("sunspots.csv"), File("sunspots-int8.safetensors"));

            if (view.Mode == OutputMode.Quiet) return 0;
            var side = new Table().Border(TableBorder.Rounded).Title("float32 vs int8 (integer-only), test data")
                .AddColumn("model").AddColumn("float32").AddColumn("int8").AddColumn(new TableColumn("flash float32 → int8").RightAligned()).AddColumn(new TableColumn("max |Δ output|").RightAligned());
            foreach (var (name, r) in new[] { ("digits", digitsInt8), ("sunspots", sunspotsInt8) })
            {
                var f = ModelFootprint.Of(r.Quantized);
                side.AddRow(name, QuantizeCommand.Metric(r.Float), QuantizeCommand.Metric(r.Result),
                    $"{f.For(ModelPrecision.Float32).FlashBytes.ToString("N0", inv)} → {f.For(ModelPrecision.Int8).FlashBytes.ToString("N0", inv)} B",
                    r.MaxDeviation.ToString("G3", inv));
            }
            view.Console.Write(side);
            string q(string name) => Quote(File(name));
            stdout.WriteLine();
            stdout.WriteLine($"Wrote {dir}{Path.DirectorySeparatorChar}: digits.safetensors, sunspots.safetensors, their int8 versions (*-int8.safetensors), training curves (*-training.png), sunspots-forecast.png and the data.");
            stdout.WriteLine("Next steps:");
            stdout.WriteLine($"  tinygru inspect {q("digits.safetensors")}");
            stdout.WriteLine($"  tinygru predict {q("digits.safetensors")} --input {q("digit.csv")}");
            stdout.WriteLine($"      a test digit ('{digitLabel}'), one row per pixel row; the last output row holds the 10 class probabilities");
            stdout.WriteLine($"  tinygru predict {q("sunspots.safetensors")} --input {q("sunspots-last-24-years.csv")}");
            stdout.WriteLine($"      the last output row is the forecast for {(Year(lastRow) + 1).ToString(inv)}");
            stdout.WriteLine($"  tinygru eval {q("digits.safetensors")} --data {q("digits.csv")} {DataOptions.Describe(ReferenceTasks.DigitsData)}");
            stdout.WriteLine($"  tinygru quantize {q("digits.safetensors")} --calibration {q("digits.csv")} {DataOptions.Describe(ReferenceTasks.DigitsData)} --precision int8 -o {q("digits-int8.safetensors")}");
            stdout.WriteLine($"  tinygru predict {q("digits-int8.safetensors")} --input {q("digit.csv")}");
            stdout.WriteLine("      the same digit through the integer-only model (docs/quantization.md)");
            stdout.WriteLine($"  tinygru train --data YOUR.csv --layout series --target COLUMN --window 24 -o model.safetensors --plot curve.png");
            stdout.WriteLine($"  tinygru generate {q("digits-int8.safetensors")} --namespace Demo --class DigitClassifier -o DigitClassifier.cs");
            stdout.WriteLine("      the C# the source generator builds from a model file (see README: a GRU in your C# program)");
            return 0;
        }));
        return command;
    }

    /// <summary>Copies a bundled data set into the demo folder (so the printed commands work) and parses it.</summary>
    private static CsvTable Extract(string resource, string path)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the bundled data set {resource} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string text = reader.ReadToEnd();
        AtomicFile.WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
        return CsvTable.Parse(text, resource);
    }

    /// <summary>A [rows, columns] table with a header, for <c>tinygru predict</c>.</summary>
    private static void WriteCsv(string path, string header, int rows, int columns, float[] values)
    {
        var sb = new StringBuilder(header).Append('\n');
        for (int r = 0; r < rows; r++)
            sb.AppendJoin(',', values.Skip(r * columns).Take(columns).Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        AtomicFile.WriteAllBytes(path, new UTF8Encoding(false).GetBytes(sb.ToString()));
    }

    private static string Quote(string path) => path.Contains(' ') ? $"\"{path}\"" : path;
}

using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using TinyGru.Model;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>
/// <c>tinygru eval MODEL --data FILE.csv --layout …</c>: accuracy and confusion matrix for classifiers, RMSE and MAE
/// (and the naive last-value baseline for forecasts) for regression, on the test part or on every row.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, or .onnx" };
        var data = new DataOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var plot = new Option<string?>("--plot") { Description = "forecasts: draw the actual values, the forecast and the last-value baseline (and the seasonal-naive one when the season is known) of the first target to this PNG file" };
        var command = new Command("eval", "Evaluate a model on CSV data (the test part with --test-every/--test-fraction, else every row)") { model };
        data.AddTo(command, withValidation: false);
        command.Options.Add(json);
        command.Options.Add(plot);
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string modelPath = parse.GetValue(model)!;
            var m = CliModelLoader.Load(modelPath);
            var spec = data.Spec(parse, 0);
            // A seasonal model knows its season: the seasonal-naive baseline is printed beside the last value's.
            // A token model reads one id per step: the ids are checked against its vocabulary as the data is read.
            spec = spec with { Task = spec.Task ?? TaskOf(m), Season = spec.Season ?? (m.SeriesTransform is { IsSeasonal: true } t ? t.Season : null), Vocabulary = m.Embedding?.VocabularySize };
            if (spec.Layout == DataLayout.Sequences && m.Metadata.Task == ModelTask.Forecast)
                throw new CliException($"{modelPath}: a forecast model; evaluate it with --layout series");
            string dataPath = parse.GetValue(data.Data)!;
            var table = CsvTable.Read(dataPath);
            bool classes = spec.EffectiveTask == LearningTask.Classification;
            var examples = SequenceExamples.Load(table, SeriesTransforms.LoadingSpec(spec, m), classes ? ClassesOf(m) : null); // a differenced model gets one more row per window
            bool testOnly = spec.TestEvery is not null || spec.TestFraction is not null;
            var indices = testOnly ? DataSplit.Of(examples, spec, dataPath).Test : Enumerable.Range(0, examples.Count).ToArray();
            ModelEvaluation evaluation;
            try { evaluation = ModelEvaluation.Of(m, examples, indices); }
            catch (TrainingException e) { throw new CliException($"{dataPath}: {e.Message}"); }
            string part = testOnly ? $"{indices.Length} test examples of {examples.Count}" : $"all {examples.Count} examples";
            if (parse.GetValue(plot) is { } plotPath)
            {
                if (examples.LastValues is null) throw new CliException("--plot draws forecasts; evaluate a series (--layout series)");
                AtomicFile.RequireFolder(plotPath);
                AtomicFile.WriteAllBytes(plotPath, ForecastPlot(Path.GetFileName(dataPath), examples, indices, evaluation, spec.Horizon));
            }
            if (parse.GetValue(json)) stdout.Write(Json(modelPath, dataPath, testOnly, evaluation));
            else Print(new TrainingConsole(stdout, OutputMode.Live).Console, modelPath, m, dataPath, part, evaluation);
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Actual, forecast and last-value baseline of the first target at the row each window forecasts (0-based data row;
    /// with --every-step, the forecast after each window's last step).
    /// </summary>
    private static byte[] ForecastPlot(string data, SequenceExamples examples, IReadOnlyList<int> indices, ModelEvaluation e, int horizon)
    {
        int o = examples.OutputSize, per = examples.TargetsPerSequence, last = per - 1;
        double At(float[] values, int n) => values[(n * per + last) * o];
        var rows = indices.Select(n => (double)(n + examples.Steps - 1 + horizon)).ToArray();
        return TrainingPlot.RenderForecast($"{data}: {examples.OutputNames[0]}, forecast vs actual", examples.OutputNames[0], rows,
            indices.Select(n => At(examples.Targets!, n)).ToArray(),
            Enumerable.Range(0, indices.Count).Select(i => (double)e.Predictions[(i * per + last) * o]).ToArray(),
            indices.Select(n => At(examples.LastValues!, n)).ToArray(),
            e.SeasonalNaiveRmse is null ? null : indices.Select(n => At(examples.SeasonalValues!, n)).ToArray());
    }

    /// <summary>The task a model was trained for, when its metadata says.</summary>
    internal static LearningTask? TaskOf(GruModel m) => m.Metadata.Task switch
    {
        ModelTask.Classification => m.Head?.Activation == HeadActivation.Sigmoid ? LearningTask.MultiLabel : LearningTask.Classification,
        ModelTask.Regression => LearningTask.Regression,
        _ => null,
    };

    /// <summary>The model's class names, or 0 … O−1 when it has none.</summary>
    internal static IReadOnlyList<string> ClassesOf(GruModel m) => m.Metadata.ClassLabels.Count > 0
        ? m.Metadata.ClassLabels
        : Enumerable.Range(0, m.OutputSize).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private static void Print(IAnsiConsole console, string modelPath, GruModel m, string dataPath, string part, ModelEvaluation e)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        void Row(string key, string value) => table.AddRow(new Markup($"[bold]{Markup.Escape(key)}[/]"), new Markup(Markup.Escape(value)));
        Row("model", $"{modelPath}: {TrainingConsole.Architecture(m)}");
        Row("data", $"{dataPath}: {part}");
        if (e.Accuracy is double a) Row("accuracy", (a * 100).ToString("F2", inv) + " %");
        if (e.Rmse is double rmse)
        {
            Row("RMSE", rmse.ToString("G5", inv));
            Row("MAE", e.Mae!.Value.ToString("G5", inv));
        }
        if (e.NaiveRmse is double naive)
            Row("last value", $"RMSE {naive.ToString("G5", inv)}, MAE {e.NaiveMae!.Value.ToString("G5", inv)} (predicting the window's last value)");
        if (e.SeasonalNaiveRmse is double seasonal)
            Row("seasonal naive", $"RMSE {seasonal.ToString("G5", inv)}, MAE {e.SeasonalNaiveMae!.Value.ToString("G5", inv)} (predicting the value one season before)");
        console.Write(table);
        if (e.ConfusionMatrix is not { } cm) return;

        console.WriteLine("confusion matrix (rows: actual class, columns: predicted class)");
        var matrix = new Table().Border(TableBorder.Simple);
        matrix.AddColumn("");
        foreach (var label in e.Labels) matrix.AddColumn(new TableColumn(Markup.Escape(label)).RightAligned());
        for (int i = 0; i < cm.GetLength(0); i++)
        {
            var cells = new List<string> { $"[bold]{Markup.Escape(e.Labels[i])}[/]" };
            for (int j = 0; j < cm.GetLength(1); j++)
                cells.Add(cm[i, j] == 0 ? "[grey]·[/]" : i == j ? $"[green]{cm[i, j]}[/]" : $"[red]{cm[i, j]}[/]");
            matrix.AddRow(cells.ToArray());
        }
        console.Write(matrix);
        console.WriteLine();
    }

    private static string Json(string modelPath, string dataPath, bool testOnly, ModelEvaluation e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", modelPath);
            w.WriteString("data", dataPath);
            w.WriteString("part", testOnly ? "test" : "all");
            TrainingConsole.WriteEvaluation(w, e);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}

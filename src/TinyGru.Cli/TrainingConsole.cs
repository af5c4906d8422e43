using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>How <c>train</c> and <c>demo</c> talk: a live progress bar and a summary table, nothing (--quiet), or JSON (--json).</summary>
internal enum OutputMode { Live, Quiet, Json }

/// <summary>What a finished training run produced, for the summary.</summary>
internal sealed record TrainingOutcome(TrainingJob Job, TrainingOptions Options, TrainingResult Result, GruModel Model,
    ModelEvaluation? Test, string ModelPath, long ModelBytes, string? PlotPath, ModelEvaluation? Int8Test = null);

/// <summary>Progress while training and the summary after it, on the command's standard output.</summary>
internal sealed class TrainingConsole
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly TextWriter _stdout;
    private readonly IAnsiConsole _console;

    public TrainingConsole(TextWriter stdout, OutputMode mode)
    {
        _stdout = stdout;
        Mode = mode;
        _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
        // Logs and pipes have no width; wrapping paths at 80 columns makes them harder to read and to grep.
        if (!_console.Profile.Capabilities.Interactive) _console.Profile.Width = 160;
    }

    public OutputMode Mode { get; }

    public IAnsiConsole Console => _console;

    /// <summary>Runs <paramref name="train"/> under a live bar that advances per epoch with loss, validation metric and ETA.</summary>
    public TrainingResult Run(string title, TrainingJob job, Func<Action<EpochReport>, TrainingResult> train)
    {
        if (Mode != OutputMode.Live) return train(_ => { });
        string metric = MetricName(job.Examples.Task);
        if (!_console.Profile.Capabilities.Interactive)
        {
            // No live display on a pipe or a CI log: one line per tenth of the run.
            return train(r =>
            {
                if (r.Epoch == 1 || r.Epoch == r.Epochs || r.Epoch % Math.Max(1, r.Epochs / 10) == 0) _stdout.WriteLine($"{title}: {Describe(r, metric)}");
            });
        }
        TrainingResult? result = null;
        _console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape($"{title}: starting"), maxValue: 1);
                result = train(r =>
                {
                    task.MaxValue = r.Epochs;
                    task.Value = r.Epoch;
                    task.Description = Markup.Escape($"{title}: {Describe(r, metric)}");
                });
                task.Value = task.MaxValue;
            });
        return result!;
    }

    /// <summary>The summary table (live mode) or one JSON object (json mode) of a finished run.</summary>
    public void Summary(TrainingOutcome o)
    {
        if (Mode == OutputMode.Quiet) return;
        if (Mode == OutputMode.Json)
        {
            _stdout.Write(Json(o));
            return;
        }
        var job = o.Job;
        var ex = job.Examples;
        var r = o.Result;
        var m = o.Model;
        string metric = MetricName(ex.Task);
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        void Row(string key, string value) => table.AddRow(new Markup($"[bold]{Markup.Escape(key)}[/]"), new Markup(Markup.Escape(value)));
        string units = job.Spec.Layout == DataLayout.Series ? "windows" : "sequences";
        string outputs = ex.Task == LearningTask.Classification ? $"{ex.OutputSize} classes" : string.Join(", ", ex.OutputNames);
        string steps = job.Spec.Vocabulary is int vocabulary ? $"{ex.Steps} token ids (of {vocabulary})" : $"{ex.Steps} steps × {ex.InputSize} feature{(ex.InputSize == 1 ? "" : "s")}";
        Row("data", $"{Path.GetFileName(job.Source)}: {ex.Count} {units} of {steps} → {outputs}"
            + (ex.Timing == TargetTiming.EveryStep ? " at every step" : ""));
        Row("split", $"{job.Split.Train.Length} train, {job.Split.Validation.Length} validation, {job.Split.Test.Length} test");
        Row("model", $"{Architecture(m)}, {TinyGruModelFile.ConventionName(m.Convention)}, {m.ParameterCount.ToString("N0", Inv)} parameters");
        string stop = r.StoppedEarly ? $", stopped early (patience {o.Options.Patience})" : "";
        Row("training", $"{r.History.Count} epochs in {r.Elapsed.TotalSeconds.ToString("F2", Inv)} s{stop}; {(o.Options.Optimizer == OptimizerKind.AdamW ? "AdamW" : "Adam")} lr {o.Options.LearningRate.ToString("G", Inv)}, batch {o.Options.BatchSize}, seed {o.Options.Seed}");
        Row("train loss", r.History[^1].TrainLoss.ToString("G4", Inv));
        if (r.History[r.BestEpoch - 1].ValidationMetric is double v)
            Row("validation", $"{FormatMetric(metric, v)} at epoch {r.BestEpoch} (weights kept from it)");
        if (o.Test is { } t) Row(o.Int8Test is null ? "test" : "test, float32", TestText(t));
        if (o.Int8Test is { } q) Row("test, int8", TestText(q) + (o.Job.InputQuantizer is null ? " (int8 weights)" : " (integer-only engine)"));
        if (o.Job.InputQuantizer is not null)
            Row("quantization-aware", $"int8 weights and inputs (scale {o.Job.InputQuantizer.Quantization.Scale.ToString("G6", Inv)}, zero point {o.Job.InputQuantizer.Quantization.ZeroPoint}); written as {ModelPrecisions.Name(m.Precision)}");
        else if (o.Job.QuantizationAware)
            Row("quantization-aware", $"int8 weights, float inputs (a token model: its table per row, as int8-weights); written as {ModelPrecisions.Name(m.Precision)}");
        Row("wrote", o.ModelPath + $" ({o.ModelBytes.ToString("N0", Inv)} bytes)" + (o.PlotPath is null ? "" : ", " + o.PlotPath));
        _console.Write(table);
    }

    public static string MetricName(LearningTask task) => task is LearningTask.Classification or LearningTask.MultiLabel ? "accuracy" : "RMSE";

    public static string FormatMetric(string name, double value) =>
        name == "accuracy" ? $"accuracy {(value * 100).ToString("F2", Inv)} %" : $"RMSE {value.ToString("G4", Inv)}";

    public static string TestText(ModelEvaluation t) => t.Accuracy is double a
        ? $"accuracy {(a * 100).ToString("F2", Inv)} % on {t.Count} examples"
        : $"RMSE {t.Rmse!.Value.ToString("G4", Inv)}, MAE {t.Mae!.Value.ToString("G4", Inv)} on {t.Count} examples"
          + (t.NaiveRmse is double n ? $" (last value: RMSE {n.ToString("G4", Inv)}, MAE {t.NaiveMae!.Value.ToString("G4", Inv)}" : "")
          + (t.NaiveRmse is null ? "" : t.SeasonalNaiveRmse is double s ? $"; seasonal naive: RMSE {s.ToString("G4", Inv)}, MAE {t.SeasonalNaiveMae!.Value.ToString("G4", Inv)})" : ")");

    public static string Architecture(GruModel m) =>
        (m.Embedding is { } e ? $"embedding [{e.VocabularySize}, {e.EmbeddingSize}] → " : "")
        + $"GRU {m.InputSize} → {string.Join(" → ", m.Layers.Select(l => l.HiddenSize))}"
        + string.Concat(m.DenseLayers.Select(d => $" → dense {d.OutputSize}" + (d.Activation == HeadActivation.None ? "" : $" ({TinyGruModelFile.ActivationName(d.Activation)})")));

    private static string Describe(EpochReport r, string metric)
    {
        var sb = new StringBuilder($"epoch {r.Epoch}/{r.Epochs}  loss {r.TrainLoss.ToString("G4", Inv)}");
        if (r.ValidationLoss is double vl) sb.Append($"  val loss {vl.ToString("G4", Inv)}");
        if (r.ValidationMetric is double vm) sb.Append("  val " + FormatMetric(metric, vm));
        return sb.ToString();
    }

    private static string Json(TrainingOutcome o)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            var r = o.Result;
            w.WriteStartObject();
            w.WriteString("model", o.ModelPath);
            if (o.PlotPath is null) w.WriteNull("plot"); else w.WriteString("plot", o.PlotPath);
            w.WriteString("task", TinyGruModelFile.TaskName(o.Model.Metadata.Task));
            w.WriteNumber("parameters", o.Model.ParameterCount);
            w.WriteNumber("trainExamples", o.Job.Split.Train.Length);
            w.WriteNumber("validationExamples", o.Job.Split.Validation.Length);
            w.WriteNumber("testExamples", o.Job.Split.Test.Length);
            w.WriteNumber("epochs", r.History.Count);
            w.WriteNumber("bestEpoch", r.BestEpoch);
            w.WriteBoolean("stoppedEarly", r.StoppedEarly);
            w.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 3));
            w.WriteNumber("trainLoss", r.History[^1].TrainLoss);
            if (o.Test is { } t)
            {
                w.WriteStartObject("test");
                WriteEvaluation(w, t);
                w.WriteEndObject();
            }
            else w.WriteNull("test");
            if (o.Int8Test is { } q)
            {
                w.WriteStartObject("int8Test");
                WriteEvaluation(w, q);
                w.WriteEndObject();
            }
            w.WriteString("precision", ModelPrecisions.Name(o.Model.Precision));
            w.WriteStartArray("history");
            foreach (var e in r.History)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", e.Epoch);
                w.WriteNumber("learningRate", e.LearningRate);
                w.WriteNumber("trainLoss", e.TrainLoss);
                if (e.ValidationLoss is double vl) w.WriteNumber("validationLoss", vl);
                if (e.ValidationMetric is double vm) w.WriteNumber("validationMetric", vm);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Metrics of an evaluation as JSON properties (shared with <c>eval --json</c>).</summary>
    public static void WriteEvaluation(Utf8JsonWriter w, ModelEvaluation t)
    {
        w.WriteNumber("examples", t.Count);
        if (t.Accuracy is double a) w.WriteNumber("accuracy", a);
        if (t.Rmse is double rmse) w.WriteNumber("rmse", rmse);
        if (t.Mae is double mae) w.WriteNumber("mae", mae);
        if (t.NaiveRmse is double nr) w.WriteNumber("naiveRmse", nr);
        if (t.NaiveMae is double nm) w.WriteNumber("naiveMae", nm);
        if (t.SeasonalNaiveRmse is double sr) w.WriteNumber("seasonalNaiveRmse", sr);
        if (t.SeasonalNaiveMae is double sm) w.WriteNumber("seasonalNaiveMae", sm);
        if (t.ConfusionMatrix is { } cm)
        {
            w.WriteStartArray("labels");
            foreach (var l in t.Labels) w.WriteStringValue(l);
            w.WriteEndArray();
            w.WriteStartArray("confusionMatrix");
            for (int i = 0; i < cm.GetLength(0); i++)
            {
                w.WriteStartArray();
                for (int j = 0; j < cm.GetLength(1); j++) w.WriteNumberValue(cm[i, j]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
    }
}

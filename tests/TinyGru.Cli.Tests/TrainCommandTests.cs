using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TinyGru.Model;
using Xunit;

namespace TinyGru.Cli.Tests;

/// <summary><c>tinygru train</c>, <c>eval</c> and <c>demo</c> end to end, and every bad-input path of the trainer.</summary>
public class TrainCommandTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Three classes of 4-step sequences with 2 features: class k hovers around level k.</summary>
    private static string WriteClasses(TempFolder dir, int rows = 90)
    {
        var random = new Random(1);
        var lines = new List<string> { "kind,a0,b0,a1,b1,a2,b2,a3,b3" };
        for (int i = 0; i < rows; i++)
        {
            int k = i % 3;
            lines.Add(new[] { "low", "mid", "high" }[k] + "," + string.Join(",", Enumerable.Range(0, 8).Select(_ => (k * 10 + 3 * random.NextDouble()).ToString("F3", Inv))));
        }
        return Write(dir, "kinds.csv", lines);
    }

    /// <summary>A noisy sine "level" with a "year" column, one row per step.</summary>
    private static string WriteSeries(TempFolder dir, int rows = 150)
    {
        var lines = new List<string> { "year,level" };
        for (int i = 0; i < rows; i++) lines.Add($"{1900 + i},{(50 + 40 * Math.Sin(i * 0.5)).ToString("F3", Inv)}");
        return Write(dir, "levels.csv", lines);
    }

    private static string Write(TempFolder dir, string name, IEnumerable<string> lines)
    {
        var path = dir.File(name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void TrainsAClassifierWhoseFileCarriesLabelsNormalizationAndMetrics()
    {
        using var dir = new TempFolder();
        var data = WriteClasses(dir);
        var model = dir.File("kinds.safetensors");
        var run = CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "kind", "--steps", "4", "--hidden", "8",
            "--epochs", "15", "--test-every", "5", "--seed", "2", "-o", model, "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);

        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(1.0, json.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble());
        Assert.Equal(15, json.RootElement.GetProperty("history").GetArrayLength());
        var m = ModelLoader.Load(model);
        Assert.Equal(new[] { "high", "low", "mid" }, m.Metadata.ClassLabels);
        Assert.Equal(ModelTask.Classification, m.Metadata.Task);
        Assert.Equal(HeadActivation.Softmax, m.Head!.Activation);
        Assert.NotNull(m.InputNormalization);
        Assert.Equal("1.0000", m.Metadata.Provenance["metric.test_accuracy"]);
        Assert.Equal("2", m.Metadata.Provenance["train.seed"]);

        var eval = CliRun.Of("eval", model, "--data", data, "--layout", "sequences", "--label", "kind", "--steps", "4", "--test-every", "5");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Contains("100.00 %", eval.Stdout);
        Assert.Contains("18 test examples of 90", eval.Stdout);
        Assert.Contains("confusion matrix", eval.Stdout);
    }

    // Issue 16, digits: --scale picks how the inputs are scaled; it is stored as the model's input mean and std, so every engine follows.
    [Fact]
    public void ScaleOptionIsStoredAsTheModelsNormalization()
    {
        using var dir = new TempFolder();
        var data = WriteClasses(dir);
        string[] Train(string model, params string[] more) => new[] { "train", "--data", data, "--layout", "sequences", "--label", "kind", "--steps", "4",
            "--hidden", "4", "--epochs", "2", "--test-every", "5", "-o", model }.Concat(more).ToArray();

        var pooled = dir.File("pooled.safetensors");
        Assert.Equal(0, CliRun.Of(Train(pooled, "--scale", "pooled", "-q")).ExitCode);
        var m = ModelLoader.Load(pooled);
        Assert.Single(m.InputNormalization!.Mean.Distinct());
        Assert.Single(m.InputNormalization.Std.Distinct());
        Assert.Equal("pooled", m.Metadata.Provenance["train.scale"]);
        Assert.False(m.Metadata.Provenance.ContainsKey("train.scale_choice"));

        var none = dir.File("none.safetensors");
        Assert.Equal(0, CliRun.Of(Train(none, "--scale", "none", "-q")).ExitCode);
        Assert.Null(ModelLoader.Load(none).InputNormalization);

        // auto: these features do not start at 0 (class k hovers at 10k … 10k + 3), so each is z-scored; auto says so.
        var auto = dir.File("auto.safetensors");
        var run = CliRun.Of(Train(auto));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("scale: auto — not every feature starts at 0: feature", run.Stdout);
        var a = ModelLoader.Load(auto);
        Assert.Equal("feature", a.Metadata.Provenance["train.scale"]);
        Assert.Equal(2, a.InputNormalization!.Std.Distinct().Count());

        CliRun.Of(Train(dir.File("x.safetensors"), "--scale", "sideways")).AssertOneLineError("sideways");
    }

    /// <summary>A trending series: a line rising 2 per step, a sine on top and noise — its test part lies above every training value.</summary>
    private static string WriteTrend(TempFolder dir, int rows = 200)
    {
        var random = new Random(3);
        var lines = new List<string> { "t,level" };
        for (int i = 0; i < rows; i++) lines.Add($"{i},{(2.0 * i + 10 * Math.Sin(i * 0.4) + random.NextDouble()).ToString("F3", Inv)}");
        return Write(dir, "trend.csv", lines);
    }

    // Issue 16: on a trend, levels saturate outside the training range; auto must pick differencing (on validation
    // windows of the training part), say so, record it, and the model must beat the last value on the test part.
    [Fact]
    public void AutoTransformDifferencesATrendAndEveryCommandFollowsTheModel()
    {
        using var dir = new TempFolder();
        var data = WriteTrend(dir);
        var model = dir.File("trend.safetensors");
        // --season 0: this trend's sine (period 15.7 steps) would otherwise be found as a season of 16 and add a candidate.
        var run = CliRun.Of("train", "--data", data, "--layout", "series", "--target", "level", "--window", "10", "--hidden", "8",
            "--epochs", "60", "--test-fraction", "0.2", "--seed", "1", "--season", "0", "-o", model);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.DoesNotContain("season:", run.Stdout);
        Assert.Matches(@"transform: none [0-9.]+, difference [0-9.]+ \(validation RMSE\): difference", run.Stdout);
        var m = ModelLoader.Load(model);
        Assert.Equal("difference", m.Metadata.Provenance["train.transform"]);
        Assert.Contains("(validation RMSE): difference", m.Metadata.Provenance["train.transform_choice"]);
        Assert.NotNull(m.SeriesTransform);
        Assert.Equal(new[] { 0 }, m.SeriesTransform!.ResidualInputs);

        var eval = CliRun.Of("eval", model, "--data", data, "--layout", "series", "--target", "level", "--window", "10", "--test-fraction", "0.2", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using (var json = JsonDocument.Parse(eval.Stdout))
        {
            double rmse = json.RootElement.GetProperty("rmse").GetDouble(), naive = json.RootElement.GetProperty("naiveRmse").GetDouble();
            Assert.True(rmse < naive, $"RMSE {rmse} should beat the last-value baseline {naive}");
            Assert.Equal(double.Parse(m.Metadata.Provenance["metric.test_rmse"], Inv), rmse, 3);
        }

        // eval --plot draws actual, forecast and the last-value baseline.
        var plot = dir.File("forecast.png");
        var drawn = CliRun.Of("eval", model, "--data", data, "--layout", "series", "--target", "level", "--window", "10", "--test-fraction", "0.2", "--plot", plot);
        Assert.True(drawn.ExitCode == 0, drawn.Stderr);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(plot).Take(4));

        // A levels model of the same data does worse than the differenced one on the drifting test part.
        var levels = dir.File("levels.safetensors");
        Assert.Equal(0, CliRun.Of("train", "--data", data, "--layout", "series", "--target", "level", "--window", "10", "--hidden", "8",
            "--epochs", "60", "--test-fraction", "0.2", "--seed", "1", "--transform", "none", "-o", levels).ExitCode);
        Assert.Null(ModelLoader.Load(levels).SeriesTransform);
        Assert.True(double.Parse(ModelLoader.Load(levels).Metadata.Provenance["metric.test_rmse"], Inv) > double.Parse(m.Metadata.Provenance["metric.test_rmse"], Inv));

        // quantize calibrates on the changes the network sees; the int8 model keeps the transform.
        var int8 = dir.File("trend-int8.safetensors");
        var quantize = CliRun.Of("quantize", model, "--calibration", data, "--layout", "series", "--target", "level", "--window", "10", "--test-fraction", "0.2", "--precision", "int8", "-o", int8);
        Assert.True(quantize.ExitCode == 0, quantize.Stderr);
        Assert.NotNull(ModelLoader.Load(int8).SeriesTransform);

        // Generated code applies the transform, for .NET and nanoFramework (tested against the engines in TinyGru.CodeGen.Tests).
        foreach (var (target, file) in new[] { ("net", "Trend.cs"), ("nanoframework", "TrendNano.cs") })
        {
            var code = dir.File(file);
            var generate = CliRun.Of("generate", model, "--target", target, "-o", code);
            Assert.True(generate.ExitCode == 0, generate.Stderr);
            Assert.Contains("private void SeriesApply(", File.ReadAllText(code));
        }
    }

    /// <summary>A rising series with a season of 6 steps whose swing grows with the level, one row per step.</summary>
    private static string WriteSeasonal(TempFolder dir, int rows = 120)
    {
        var random = new Random(4);
        var lines = new List<string> { "t,level" };
        for (int i = 0; i < rows; i++) lines.Add($"{i},{(100 + 2.0 * i + (10 + 0.2 * i) * Math.Sin(2 * Math.PI * i / 6) + random.NextDouble()).ToString("F3", Inv)}");
        return Write(dir, "seasonal.csv", lines);
    }

    // Issue 16: --transform seasonal with --season m; eval prints the seasonal-naive baseline (the model knows its season),
    // inspect shows the transform, predict follows it.
    [Fact]
    public void SeasonalTransformTrainsAndEveryCommandFollowsIt()
    {
        using var dir = new TempFolder();
        var data = WriteSeasonal(dir);
        var model = dir.File("seasonal.safetensors");
        string[] Series(params string[] more) => new[] { "--data", data, "--layout", "series", "--target", "level", "--window", "6", "--test-fraction", "0.2" }.Concat(more).ToArray();

        CliRun.Of(new[] { "train" }.Concat(Series("--transform", "seasonal", "-o", model)).ToArray()).AssertOneLineError("--transform seasonal needs --season");
        Assert.False(File.Exists(model));

        var run = CliRun.Of(new[] { "train" }.Concat(Series("--season", "6", "--transform", "seasonal", "--hidden", "8", "--epochs", "40", "--seed", "1", "-o", model)).ToArray());
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("seasonal naive: RMSE", run.Stdout);
        var m = ModelLoader.Load(model);
        Assert.Equal((6, 5), (m.SeriesTransform!.Season, m.SeriesTransform.ResidualDelay));
        Assert.Equal("seasonal (season 6)", m.Metadata.Provenance["train.transform"]);

        var eval = CliRun.Of(new[] { "eval", model }.Concat(Series("--json")).ToArray());
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using (var json = JsonDocument.Parse(eval.Stdout))
        {
            double rmse = json.RootElement.GetProperty("rmse").GetDouble(), seasonal = json.RootElement.GetProperty("seasonalNaiveRmse").GetDouble();
            Assert.True(rmse < seasonal && rmse < json.RootElement.GetProperty("naiveRmse").GetDouble(), $"RMSE {rmse} vs seasonal naive {seasonal}");
            Assert.Equal(double.Parse(m.Metadata.Provenance["metric.test_rmse"], Inv), rmse, 3);
        }
        var table = CliRun.Of(new[] { "eval", model }.Concat(Series("--plot", dir.File("f.png"))).ToArray());
        Assert.Contains("seasonal naive", table.Stdout);
        Assert.Contains("predicting the value one season before", table.Stdout);
        Assert.True(File.Exists(dir.File("f.png")));

        var inspect = CliRun.Of("inspect", model);
        Assert.Contains("transform      seasonal: inputs seasonally differenced ((x_t − x_{t−1}) − (x_{t−6} − x_{t−7})), forecast = y_t + y_{t−5} − y_{t−6} + predicted change", inspect.Stdout);
        Assert.Contains("differenced: 0 (level)", inspect.Stdout);
        Assert.Contains("added back: output 0 ← 0 (level)", inspect.Stdout);
        Assert.Contains("state: 8 values beside the hidden state", inspect.Stdout);
        Assert.Contains("normalization  input mean/std per feature", inspect.Stdout);
        using (var json = JsonDocument.Parse(CliRun.Of("inspect", model, "--json").Stdout))
        {
            var t = json.RootElement.GetProperty("seriesTransform");
            Assert.Equal("seasonal", t.GetProperty("kind").GetString());
            Assert.Equal(6, t.GetProperty("season").GetInt32());
            Assert.Equal(5, t.GetProperty("residualDelay").GetInt32());
            Assert.Equal(8, t.GetProperty("stateSize").GetInt32());
            Assert.Equal("feature", json.RootElement.GetProperty("inputScaling").GetString());
        }

        // predict runs the raw rows through the model's transform: its last row is the model's forecast from the whole series.
        var predict = CliRun.Of("predict", model, "--input", data, "--features", "level");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        Assert.Equal(121, predict.Stdout.Trim().Split('\n').Length);         // header + one row per step
    }

    [Fact]
    public void AutoDetectsTheSeasonAndConsidersSeasonalDifferencing()
    {
        using var dir = new TempFolder();
        var data = WriteSeasonal(dir);
        var model = dir.File("auto.safetensors");
        var run = CliRun.Of("train", "--data", data, "--layout", "series", "--target", "level", "--window", "6", "--test-fraction", "0.2",
            "--hidden", "4", "--epochs", "5", "--seed", "1", "-o", model);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Matches(@"season: 6 \(autocorrelation of the changes 0\.[0-9]+ at that lag; --season sets it\)", run.Stdout);
        Assert.Matches(@"transform: none [0-9.]+, difference [0-9.]+, seasonal [0-9.]+ \(validation RMSE\)", run.Stdout);
        Assert.StartsWith("detected: 6 (", ModelLoader.Load(model).Metadata.Provenance["data.season"]);
    }

    [Fact]
    public void InspectNamesThePooledScaling()
    {
        using var dir = new TempFolder();
        var data = WriteClasses(dir);
        var model = dir.File("pooled.safetensors");
        Assert.Equal(0, CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "kind", "--steps", "4", "--hidden", "4", "--epochs", "1",
            "--scale", "pooled-std", "-q", "-o", model).ExitCode);
        var inspect = CliRun.Of("inspect", model);
        Assert.Matches(@"normalization  input pooled-std \(every feature ÷ [0-9.]+, not centered\)", inspect.Stdout);
        using (var json = JsonDocument.Parse(CliRun.Of("inspect", model, "--json").Stdout))
        {
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("seriesTransform").ValueKind);
            Assert.Equal("pooled-std", json.RootElement.GetProperty("inputScaling").GetString());
        }
        Assert.DoesNotContain("transform      ", inspect.Stdout);
    }

    [Fact]
    public void TransformDifferenceNeedsASeries()
    {
        using var dir = new TempFolder();
        var run = CliRun.Of("train", "--data", WriteClasses(dir), "--layout", "sequences", "--label", "kind", "--steps", "4", "--transform", "difference", "-o", dir.File("m.safetensors"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--transform difference applies to --layout series", run.Stderr);
    }

    [Fact]
    public void TrainsAForecastWithAPlotAndEvalReportsTheNaiveBaseline()
    {
        using var dir = new TempFolder();
        var data = WriteSeries(dir);
        var model = dir.File("levels.safetensors");
        var plot = dir.File("curve.png");
        var run = CliRun.Of("train", "--data", data, "--layout", "series", "--target", "level", "--window", "8", "--hidden", "8",
            "--epochs", "40", "--lr", "0.02", "--test-fraction", "0.2", "--validation-fraction", "0.2", "--patience", "100", "-o", model, "--plot", plot);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("RMSE", run.Stdout);
        Assert.Contains("last value", run.Stdout);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(plot).Take(4));
        var m = ModelLoader.Load(model);
        Assert.Equal(ModelTask.Forecast, m.Metadata.Task);
        Assert.NotNull(m.OutputScaling);

        var eval = CliRun.Of("eval", model, "--data", data, "--layout", "series", "--target", "level", "--window", "8", "--test-fraction", "0.2", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var json = JsonDocument.Parse(eval.Stdout);
        double rmse = json.RootElement.GetProperty("rmse").GetDouble(), naive = json.RootElement.GetProperty("naiveRmse").GetDouble();
        Assert.True(rmse < naive, $"RMSE {rmse} should beat the last-value baseline {naive}");
        Assert.Equal(double.Parse(m.Metadata.Provenance["metric.test_rmse"], Inv), rmse, 3);
    }

    [Fact]
    public void EveryStepForecastsAreTrainedAndEvaluatedAtEveryStep()
    {
        using var dir = new TempFolder();
        var data = WriteSeries(dir);
        var model = dir.File("every.safetensors");
        var run = CliRun.Of("train", "--data", data, "--layout", "series", "--target", "level", "--window", "12", "--every-step", "--hidden", "12",
            "--epochs", "60", "--lr", "0.02", "--test-fraction", "0.2", "--seed", "1", "-o", model, "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("every step", ModelLoader.Load(model).Metadata.Provenance["data.targets"]);

        var eval = CliRun.Of("eval", model, "--data", data, "--layout", "series", "--target", "level", "--window", "12", "--every-step", "--test-fraction", "0.2", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var json = JsonDocument.Parse(eval.Stdout);
        double rmse = json.RootElement.GetProperty("rmse").GetDouble(), naive = json.RootElement.GetProperty("naiveRmse").GetDouble();
        Assert.True(rmse < 0.5 * naive, $"RMSE over every step {rmse} vs last value {naive}");
        Assert.Equal(JsonDocument.Parse(run.Stdout).RootElement.GetProperty("test").GetProperty("rmse").GetDouble(), rmse, 6);
    }

    [Fact]
    public void ResetBeforeAndStackedLayersTrainToo()
    {
        using var dir = new TempFolder();
        var model = dir.File("m.safetensors");
        var run = CliRun.Of("train", "--data", WriteClasses(dir), "--layout", "sequences", "--label", "kind", "--steps", "4", "--hidden", "6,5",
            "--convention", "reset-before", "--optimizer", "adamw", "--schedule", "cosine", "--clip-norm", "1", "--epochs", "5", "-o", model, "--quiet");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("", run.Stdout);
        var m = ModelLoader.Load(model);
        Assert.Equal(GateConvention.ResetBefore, m.Convention);
        Assert.Equal(new[] { 6, 5 }, m.Layers.Select(l => l.HiddenSize));
    }

    [Fact]
    public void RegressionAndMultiLabelTasksTrainFromTheLabelColumns()
    {
        using var dir = new TempFolder();
        var random = new Random(3);
        var lines = new List<string> { "mean,big,rising,v0,v1,v2,v3,v4" };
        for (int i = 0; i < 500; i++)
        {
            var v = Enumerable.Range(0, 5).Select(_ => random.NextDouble() * 10).ToArray();
            lines.Add(string.Join(",", new[] { v.Average(), v.Average() > 5 ? 1 : 0, v[4] > v[0] ? 1 : 0 }.Concat(v).Select(x => x.ToString("F3", Inv))));
        }
        var data = Write(dir, "numbers.csv", lines);

        var regression = CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "mean", "--task", "regression", "--features", "v0,v1,v2,v3,v4",
            "--hidden", "16", "--epochs", "60", "--lr", "0.02", "--test-every", "5", "--seed", "1", "-o", dir.File("r.safetensors"), "--json");
        Assert.True(regression.ExitCode == 0, regression.Stderr);
        double rmse = JsonDocument.Parse(regression.Stdout).RootElement.GetProperty("test").GetProperty("rmse").GetDouble();
        Assert.True(rmse < 0.2, $"RMSE {rmse} predicting the mean of 5 values from 0–10 (the means spread about 1.3)");
        Assert.Equal(ModelTask.Regression, ModelLoader.Load(dir.File("r.safetensors")).Metadata.Task);

        var multi = CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "big,rising", "--task", "multilabel", "--features", "v0,v1,v2,v3,v4",
            "--hidden", "16", "--epochs", "100", "--lr", "0.02", "--test-every", "5", "--seed", "1", "-o", dir.File("m.safetensors"), "--json");
        Assert.True(multi.ExitCode == 0, multi.Stderr);
        double accuracy = JsonDocument.Parse(multi.Stdout).RootElement.GetProperty("test").GetProperty("accuracy").GetDouble();
        Assert.True(accuracy > 0.85, $"per-label accuracy {accuracy} (guessing: about 0.5)");
        var m = ModelLoader.Load(dir.File("m.safetensors"));
        Assert.Equal(HeadActivation.Sigmoid, m.Head!.Activation);
        Assert.Equal(new[] { "big", "rising" }, m.Metadata.ClassLabels);
        var eval = CliRun.Of("eval", dir.File("m.safetensors"), "--data", data, "--layout", "sequences", "--label", "big,rising", "--features", "v0,v1,v2,v3,v4", "--test-every", "5", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(accuracy, JsonDocument.Parse(eval.Stdout).RootElement.GetProperty("accuracy").GetDouble(), 6);
    }

    public static TheoryData<string, string[], string> BadInputs => new()
    {
        { "missing file", new[] { "--data", "{dir}/nope.csv", "--layout", "sequences", "--label", "kind" }, "nope.csv: file not found" },
        { "empty file", new[] { "--data", "{empty}", "--layout", "sequences", "--label", "kind" }, "empty.csv: the file is empty" },
        { "ragged rows", new[] { "--data", "{ragged}", "--layout", "sequences", "--label", "kind" }, "ragged.csv: line 3 has 2 columns; expected 3 like the header" },
        { "non-numeric cell", new[] { "--data", "{text}", "--layout", "sequences", "--label", "kind" }, "text.csv: line 3, column 2 ('a'): 'n/a' is not a number" },
        { "unknown column", new[] { "--data", "{classes}", "--layout", "sequences", "--label", "class" }, "--label: there is no column 'class'" },
        { "window longer than series", new[] { "--data", "{series}", "--layout", "series", "--target", "level", "--window", "500" }, "--window 500 with --horizon 1 needs at least 501 rows; the series has 150" },
        { "one class", new[] { "--data", "{oneclass}", "--layout", "sequences", "--label", "kind" }, "found 1 class ('cat'); classification needs at least two" },
        { "too few rows", new[] { "--data", "{tiny}", "--layout", "sequences", "--label", "kind", "--test-every", "2" }, "too few rows for the split (3 sequences: 1 train, 0 validation, 2 test)" },
        { "NaN loss", new[] { "--data", "{series}", "--layout", "series", "--target", "level", "--window", "4", "--lr", "1e38", "--epochs", "50" }, "try a lower learning rate (--lr)" },
        { "missing output folder", new[] { "--data", "{series}", "--layout", "series", "--target", "level", "--window", "4", "-o", "{dir}/no/such/m.safetensors" }, "the folder" },
        { "bad hidden size", new[] { "--data", "{series}", "--layout", "series", "--target", "level", "--window", "4", "--hidden", "8,x" }, "--hidden: 'x' is not a positive whole number" },
        { "patience without validation", new[] { "--data", "{series}", "--layout", "series", "--target", "level", "--window", "4", "--patience", "3" }, "--patience needs a validation set" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputGivesOneLineAndWritesNothing(string what, string[] args, string expected)
    {
        using var dir = new TempFolder();
        var files = new Dictionary<string, string>
        {
            ["{dir}"] = dir.Path,
            ["{empty}"] = Write(dir, "empty.csv", Array.Empty<string>()),
            ["{ragged}"] = Write(dir, "ragged.csv", new[] { "kind,a,b", "x,1,2", "y,3" }),
            ["{text}"] = Write(dir, "text.csv", new[] { "kind,a,b", "x,1,2", "y,n/a,3" }),
            ["{classes}"] = WriteClasses(dir),
            ["{series}"] = WriteSeries(dir),
            ["{oneclass}"] = Write(dir, "one.csv", new[] { "kind,a", "cat,1", "cat,2" }),
            ["{tiny}"] = Write(dir, "tiny.csv", new[] { "kind,a", "cat,1", "dog,2", "cat,3" }),
        };
        var model = dir.File("model.safetensors");
        File.WriteAllText(model, "previous model");
        var full = args.Select(a => files.Aggregate(a, (s, f) => s.Replace(f.Key, f.Value))).ToList();
        full.Insert(0, "train");
        if (!full.Contains("-o")) full.AddRange(new[] { "-o", model });

        var run = CliRun.Of(full.ToArray());

        run.AssertOneLineError(expected);
        Assert.Equal("previous model", File.ReadAllText(model)); // a failed run never replaces the model
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void NaNLossReportsTheEpoch()
    {
        using var dir = new TempFolder();
        var run = CliRun.Of("train", "--data", WriteSeries(dir), "--layout", "series", "--target", "level", "--window", "4", "--lr", "1e38",
            "--epochs", "50", "-o", dir.File("m.safetensors"));
        run.AssertOneLineError("training diverged in epoch ");
        Assert.Contains("No model was written", run.Stderr);
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void EvalRejectsLabelsTheModelDoesNotKnow()
    {
        using var dir = new TempFolder();
        var model = dir.File("m.safetensors");
        Assert.Equal(0, CliRun.Of("train", "--data", WriteClasses(dir), "--layout", "sequences", "--label", "kind", "--steps", "4", "--epochs", "1", "-o", model, "--quiet").ExitCode);
        var other = Write(dir, "other.csv", new[] { "kind,a0,b0,a1,b1,a2,b2,a3,b3", "giant,1,2,3,4,5,6,7,8" });
        CliRun.Of("eval", model, "--data", other, "--layout", "sequences", "--label", "kind", "--steps", "4")
            .AssertOneLineError("other.csv: line 2: label 'giant' is not one of the model's classes (high, low, mid)");
        var known = Write(dir, "known.csv", new[] { "kind,a0,b0,a1,b1,a2,b2,a3,b3", "low,1,2,3,4,5,6,7,8" });
        CliRun.Of("eval", model, "--data", known, "--layout", "sequences", "--label", "kind", "--steps", "2")
            .AssertOneLineError("known.csv: the model takes 2 features per step; the data has 4");
    }

    [Fact]
    public void DemoTrainsBothBundledDataSetsToTheReferenceQuality()
    {
        using var dir = new TempFolder();
        var run = CliRun.Of("demo", "-o", dir.Path);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("Next steps:", run.Stdout);
        Assert.Contains("tinygru predict", run.Stdout);
        foreach (var file in new[] { "digits.safetensors", "sunspots.safetensors", "digits-training.png", "sunspots-training.png", "sunspots-forecast.png", "digit.csv", "sunspots-last-24-years.csv" })
            Assert.True(File.Exists(Path.Combine(dir.Path, file)), file);

        var digits = ModelLoader.Load(Path.Combine(dir.Path, "digits.safetensors"));
        Assert.True(double.Parse(digits.Metadata.Provenance["metric.test_accuracy"], Inv) >= 0.97);
        var sunspots = ModelLoader.Load(Path.Combine(dir.Path, "sunspots.safetensors"));
        Assert.True(double.Parse(sunspots.Metadata.Provenance["metric.test_rmse"], Inv) < 30);

        // The int8 versions: integer-only, within the issue's targets of their float models on the test data.
        var digits8 = ModelLoader.Load(Path.Combine(dir.Path, "digits-int8.safetensors"));
        Assert.Equal(TinyGru.Model.Quantization.ModelPrecision.Int8, digits8.Precision);
        Assert.True(double.Parse(digits8.Metadata.Provenance["quantization.test_accuracy"], Inv)
            >= double.Parse(digits.Metadata.Provenance["metric.test_accuracy"], Inv) - 0.005);
        var sunspots8 = ModelLoader.Load(Path.Combine(dir.Path, "sunspots-int8.safetensors"));
        Assert.True(double.Parse(sunspots8.Metadata.Provenance["quantization.test_rmse"], Inv)
            <= double.Parse(sunspots.Metadata.Provenance["metric.test_rmse"], Inv) * 1.02);
        Assert.Contains("float32 vs int8", run.Stdout);

        // The printed next step works: the last row of the digit's prediction names its class.
        var predict = CliRun.Of("predict", Path.Combine(dir.Path, "digits.safetensors"), "--input", Path.Combine(dir.Path, "digit.csv"));
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var last = predict.Stdout.Trim().Split('\n')[^1].Split(',').Select(v => float.Parse(v, Inv)).ToArray();
        Assert.Equal(1f, last.Sum(), 3);
    }

    /// <summary>Ctrl+C in a real process: training stops, exit code 130, and neither a model nor a temporary file is left.</summary>
    [Fact]
    public void InterruptLeavesNoModelFile()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        using var dir = new TempFolder();
        var data = WriteSeries(dir, 400);
        var model = dir.File("m.safetensors");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { typeof(TinyGruCommandLine).Assembly.Location, "train", "--data", data, "--layout", "series", "--target", "level", "--window", "16", "--epochs", "100000", "-o", model })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string? first = process.StandardOutput.ReadLine();                     // the first epoch's progress line: training is under way
        Assert.NotNull(first);
        Process.Start("kill", $"-INT {process.Id}")!.WaitForExit();
        bool stopped = process.WaitForExit(30_000);
        if (!stopped) process.Kill(entireProcessTree: true);         // a failing run must not leave a 100,000-epoch trainer behind
        Assert.True(stopped, "the trainer did not stop after SIGINT");
        string stderr = process.StandardError.ReadToEnd();

        Assert.Equal(130, process.ExitCode);
        Assert.Contains("interrupted", stderr);
        Assert.False(File.Exists(model));
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
    }
}

using System.Globalization;
using TinyGru.Training;

/// <summary>
/// Issue 16's forecasting targets, measured as <c>tinygru train</c> runs them by default: <c>--transform auto</c>
/// (each candidate trained on validation windows carved from the training part), the chosen transform retrained on
/// the whole training part, test RMSE on the last 20 % of windows in the user's units, beside the last-value
/// baseline (and the seasonal-naive one with <c>--season m</c>, which also lets <c>auto</c> consider <c>seasonal</c>).
/// Seeds 1…runs; prints every run, the median and the spread. Run: <c>-- --forecast airpassengers --runs 5 [--season 12]</c>.
/// </summary>
internal static class ForecastHarness
{
    /// <summary>The data and settings of each task (the issue's table; sunspots as docs/benchmarks.md).</summary>
    public static (string File, DataSpec Spec, TrainingOptions Options) Task(string name) => name switch
    {
        "airpassengers" => ("airpassengers.csv",
            new DataSpec { Layout = DataLayout.Series, Targets = new[] { "passengers" }, Window = 12, TestFraction = 0.2 },
            new TrainingOptions { HiddenSizes = new[] { 16 }, Epochs = 200 }),
        "eustock" => ("eustock.csv",
            new DataSpec { Layout = DataLayout.Series, Targets = new[] { "DAX" }, Features = new[] { "DAX", "SMI", "CAC", "FTSE" }, Window = 20, TestFraction = 0.2 },
            new TrainingOptions { HiddenSizes = new[] { 16 }, Epochs = 30 }),
        "sunspots" => ("sunspots.csv", ReferenceTasks.SunspotsData, ReferenceTasks.SunspotsTraining),
        _ => throw new ArgumentException($"unknown forecast task '{name}'; expected airpassengers, eustock or sunspots"),
    };

    public static void Run(IEnumerable<string> tasks, int runs, string transform, int? season = null)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var name in tasks)
        {
            var (file, spec, options) = Task(name);
            spec = spec with { Season = season };
            var table = CsvTable.Read(Path.Combine(AppContext.BaseDirectory, "data", file));
            var rmses = new List<double>();
            double naive = 0;
            for (int seed = 1; seed <= runs; seed++)
            {
                var o = options with { Seed = seed };
                var kind = SeriesTransforms.Parse(transform);
                string choice = "";
                var s = spec;
                if (kind == SeriesTransformKind.Auto && s.Season is null && SeriesTransforms.DetectSeason(table, s) is { } found)
                {
                    s = s with { Season = found.Season };
                    choice = $" — season {found.Season} detected ({found.Autocorrelation:F2})";
                }
                if (kind == SeriesTransformKind.Auto)
                {
                    var (chosen, candidates) = SeriesTransforms.Choose(table, s, o);
                    choice += " — " + SeriesTransforms.Describe(chosen, candidates);
                    kind = chosen;
                    o = o with { Epochs = SeriesTransforms.FinalEpochs(chosen, candidates, o, s) };   // as tinygru train does
                    choice += $" — {o.Epochs} epochs";
                }
                var job = TrainingJob.Prepare(table, s with { Transform = kind });
                var model = job.BuildModel(job.Run(o), o, name);
                var test = ModelEvaluation.Of(model, job.Examples, job.Split.Test);
                naive = test.NaiveRmse!.Value;
                rmses.Add(test.Rmse!.Value);
                string seasonal = test.SeasonalNaiveRmse is double sn ? $", seasonal naive {sn:F2}" : "";
                Console.WriteLine($"{name} seed {seed}: test RMSE {test.Rmse:F2} (last value {naive:F2}{seasonal}; {job.Split.Train.Length} train / {job.Split.Test.Length} test windows){choice}");
            }
            var sorted = rmses.Order().ToList();
            Console.WriteLine($"{name} --transform {transform}: median test RMSE {sorted[sorted.Count / 2].ToString("F2", inv)} (min {sorted[0]:F2}, max {sorted[^1]:F2}) over seeds 1–{runs}; last value {naive:F2}");
        }
    }
}

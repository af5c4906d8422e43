using System.Diagnostics;
using System.Globalization;
using TinyGru.Training;

// Training-time harness for the two reference tasks (docs/benchmarks.md; --forecast auto|none|difference [tasks]: the forecasting targets of docs/forecasting.md; --ablation digits: the digits scaling ablation; --qat, --control and --breakdown: docs/qat.md). Each task is trained once to warm up
// the JIT, then --runs more times with the reference settings and seeds 1…runs; it prints every run and the medians.
// Time is TrainingJob.Run only (data reading and evaluation excluded), as for the PyTorch reference. On Linux it
// also prints the CPU pressure (PSI "some", % of time a task waited for a CPU): on a shared machine it says how
// much of a second core was really there. --dense 32,16 [--dense-activation relu] adds hidden dense layers to the
// reference model (issue 13: the MLP head against the plain one on the same seeds).
int runs = 7;
var tasks = new List<string>();
bool qat = false, control = false, breakdown = false, ablation = false;
string? forecast = null;
int? season = null;
var variants = new List<int>();
int? fineTuneEpochs = null;
double? fineTuneLr = null;
int[] dense = Array.Empty<int>();
var denseActivation = TinyGru.Model.HeadActivation.Relu;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--runs") runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--qat") qat = true;
    else if (args[i] == "--control") control = true;
    else if (args[i] == "--breakdown") breakdown = true;
    else if (args[i] == "--ablation") ablation = true;
    else if (args[i] == "--forecast") forecast = args[++i];
    else if (args[i] == "--season") season = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--variants") variants.AddRange(args[++i].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)));
    else if (args[i] == "--finetune-epochs") fineTuneEpochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--finetune-lr") fineTuneLr = double.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--dense") dense = args[++i].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    else if (args[i] == "--dense-activation") denseActivation = Enum.Parse<TinyGru.Model.HeadActivation>(args[++i], ignoreCase: true);
    else tasks.Add(args[i]);
}
if (forecast is not null)
{
    ForecastHarness.Run(tasks.Count == 0 ? new[] { "airpassengers", "eustock", "sunspots" } : tasks, runs, forecast, season);
    return;
}
if (tasks.Count == 0) tasks.AddRange(new[] { "digits", "sunspots" });
if (ablation)
{
    DigitsAblation.Run(runs, variants);
    return;
}
if (breakdown)
{
    Breakdown.Run(tasks, runs);
    return;
}
if (qat)
{
    QatComparison.Run(tasks, runs, fineTuneEpochs, fineTuneLr, control);
    return;
}

Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}{CpuPressure()}"
    + (dense.Length == 0 ? "" : $"; hidden dense layers {string.Join(",", dense)} ({denseActivation.ToString().ToLowerInvariant()})"));
foreach (var task in tasks)
{
    var (file, spec, options) = task switch
    {
        "digits" => ("digits.csv", ReferenceTasks.DigitsData, ReferenceTasks.DigitsTraining),
        "sunspots" => ("sunspots.csv", ReferenceTasks.SunspotsData, ReferenceTasks.SunspotsTraining),
        _ => throw new ArgumentException($"unknown task '{task}'; expected digits or sunspots"),
    };
    var job = TrainingJob.Prepare(CsvTable.Read(Path.Combine(AppContext.BaseDirectory, "data", file)), spec);
    var seconds = new List<double>();
    var metrics = new List<double>();
    for (int run = 0; run <= runs; run++)
    {
        var o = options with { Seed = Math.Max(1, run), DenseSizes = dense, DenseActivations = new[] { denseActivation } };
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var result = job.Run(o);
        clock.Stop();
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var evaluation = ModelEvaluation.Of(job.BuildModel(result, o, task), job.Examples, job.Split.Test);
        double metric = evaluation.Accuracy ?? evaluation.Rmse!.Value;
        string label = run == 0 ? "warm-up" : $"run {run}";
        Console.WriteLine($"{task,-9} {label,-8} seed {o.Seed}: {clock.Elapsed.TotalSeconds:F3} s, {(evaluation.Accuracy is null ? $"test RMSE {metric:F2}" : $"test accuracy {metric:P2}")}, {allocated / 1024.0:F0} KiB allocated");
        if (run == 0) continue;
        seconds.Add(clock.Elapsed.TotalSeconds);
        metrics.Add(metric);
    }
    Console.WriteLine($"{task,-9} median of {runs}: {Median(seconds):F3} s (min {seconds.Min():F3}, max {seconds.Max():F3}); test metric median {Median(metrics):F4} (min {metrics.Min():F4}, max {metrics.Max():F4})");
}

Console.WriteLine($"done{CpuPressure()}");

static string CpuPressure()
{
    const string path = "/proc/pressure/cpu";
    if (!File.Exists(path)) return "";
    var some = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("some", StringComparison.Ordinal));
    return some is null ? "" : "; CPU pressure: " + some;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    int n = sorted.Count;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

using System.CommandLine;
using System.Globalization;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>The data flags shared by <c>train</c> and <c>eval</c>: which file, how rows become sequences, how they split.</summary>
internal sealed class DataOptions
{
    public readonly Option<string> Data;

    /// <summary>Data flags reading the CSV file named by --data (or another flag, e.g. quantize's --calibration).</summary>
    public DataOptions(string dataFlag = "--data", string description = "CSV file to read") =>
        Data = dataFlag == "--data"
            ? new Option<string>("--data", "-d") { Description = description, Required = true }
            : new Option<string>(dataFlag) { Description = description, Required = true };

    public readonly Option<string> Layout = new Option<string>("--layout") { Description = "sequences: one sequence per row; series: one timestep per row", Required = true }.AcceptOnlyFromAmong("sequences", "series");
    public readonly Option<string[]> Label = new("--label") { Description = "sequences: label column(s), by name or 1-based number" };
    public readonly Option<int?> Steps = new("--steps") { Description = "sequences: timesteps per row (features per step = other columns / steps; default: one feature per step)" };
    public readonly Option<string?> Task = new Option<string?>("--task") { Description = "sequences: classification (default), multilabel (0/1 label columns) or regression" }.AcceptOnlyFromAmong("classification", "multilabel", "regression");
    public readonly Option<string[]> Target = new("--target") { Description = "series: column(s) to forecast" };
    public readonly Option<string[]> Features = new("--features") { Description = "input columns, taken in file order: series, the features of a step (default: the targets); sequences, the flattened sequence (default: every column but the labels)" };
    public readonly Option<int?> Window = new("--window") { Description = "series: timesteps per window" };
    public readonly Option<int> Horizon = new("--horizon") { Description = "series: forecast this many steps after the window", DefaultValueFactory = _ => 1 };
    public readonly Option<int?> Season = new("--season") { Description = "series: the season length in steps (12 for monthly data with a yearly cycle): enables --transform seasonal and the seasonal-naive baseline; without it, train --transform auto looks for one in the training rows; 0: no season" };
    public readonly Option<bool> EveryStep = new("--every-step") { Description = "series: a target at every step of the window (the value --horizon steps later), not only after the last" };
    public readonly Option<int?> TestEvery = new("--test-every") { Description = "every K-th sequence (index mod K = 0) is test data" };
    public readonly Option<double?> TestFraction = new("--test-fraction") { Description = "the last fraction of the rows or windows, in file order, is test data" };
    public readonly Option<double> ValidationFraction = new("--validation-fraction") { Description = "fraction of the training data held out to pick the best epoch (random for sequences, the latest windows for series)" };
    public readonly Option<string> Missing = new Option<string>("--missing") { Description = "empty or non-numeric cells: error, drop the row, or interpolate along time", DefaultValueFactory = _ => "error" }.AcceptOnlyFromAmong("error", "drop", "interpolate");

    public void AddTo(Command command, bool withValidation)
    {
        foreach (var option in new Option[] { Data, Layout, Label, Steps, Task, Target, Features, Window, Horizon, Season, EveryStep, TestEvery, TestFraction, Missing })
            command.Options.Add(option);
        if (withValidation) command.Options.Add(ValidationFraction);
    }

    public DataSpec Spec(ParseResult parse, int seed) => new()
    {
        Layout = parse.GetValue(Layout) == "series" ? DataLayout.Series : DataLayout.Sequences,
        Labels = List(parse.GetValue(Label)),
        Steps = parse.GetValue(Steps),
        Task = parse.GetValue(Task) switch
        {
            "regression" => LearningTask.Regression,
            "multilabel" => LearningTask.MultiLabel,
            "classification" => LearningTask.Classification,
            _ => null,
        },
        Targets = List(parse.GetValue(Target)),
        Features = List(parse.GetValue(Features)),
        Window = parse.GetValue(Window),
        Horizon = parse.GetValue(Horizon),
        EveryStep = parse.GetValue(EveryStep),
        Season = parse.GetValue(Season),
        TestEvery = parse.GetValue(TestEvery),
        TestFraction = parse.GetValue(TestFraction),
        ValidationFraction = parse.GetValue(ValidationFraction),
        Seed = seed,
        Missing = parse.GetValue(Missing) switch { "drop" => MissingPolicy.Drop, "interpolate" => MissingPolicy.Interpolate, _ => MissingPolicy.Error },
    };

    /// <summary>The data flags that reproduce <paramref name="spec"/> on the command line (for the next-step hints).</summary>
    public static string Describe(DataSpec spec)
    {
        var inv = CultureInfo.InvariantCulture;
        var parts = new List<string> { "--layout " + (spec.Layout == DataLayout.Series ? "series" : "sequences") };
        if (spec.Labels.Count > 0) parts.Add("--label " + string.Join(",", spec.Labels));
        if (spec.Steps is int steps) parts.Add("--steps " + steps.ToString(inv));
        if (spec.Targets.Count > 0) parts.Add("--target " + string.Join(",", spec.Targets));
        if (spec.Window is int window) parts.Add("--window " + window.ToString(inv));
        if (spec.Season is int season) parts.Add("--season " + season.ToString(inv));
        if (spec.TestEvery is int every) parts.Add("--test-every " + every.ToString(inv));
        if (spec.TestFraction is double fraction) parts.Add("--test-fraction " + fraction.ToString("R", inv));
        return string.Join(" ", parts);
    }

    /// <summary>Repeated flags and comma-separated values both give several names.</summary>
    private static string[] List(string[]? values) =>
        values is null ? Array.Empty<string>() : values.SelectMany(v => v.Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0).ToArray();
}

using TinyGru;
using System.Globalization;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Training;
using Xunit;

namespace TinyGru.Training.Tests;

/// <summary>
/// Seasonal differencing (issue 16): the network sees (x_t − x_{t−1}) − (x_{t−m} − x_{t−m−1}) and forecasts y_{t+h}
/// from the base y_t + y_{t+h−m} − y_{t−m}. Expected values are computed here from the formulas, not by the code under test.
/// </summary>
public class SeasonalTransformTests
{
    private const int Season = 3;

    private static float[] Series(int n, int seed = 5)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(t => (float)(2 * t + 10 * Math.Sin(2 * Math.PI * t / Season) + random.NextDouble())).ToArray();
    }

    /// <summary>(x_t − x_{t−1}) − (x_{t−m} − x_{t−m−1}), 0 until m + 1 earlier values exist.</summary>
    private static float Change(float[] x, int t) => t <= Season ? 0f : (x[t] - x[t - 1]) - (x[t - Season] - x[t - Season - 1]);

    /// <summary>y_t + (y_{t+h−m} − y_{t−m}) for h = 1 (k = m − 1), in the float order docs/forecasting.md defines; y_t until m earlier values exist.</summary>
    private static float Base(float[] y, int t) => t < Season ? y[t] : y[t] + (y[t - (Season - 1)] - y[t - Season]);

    [Fact]
    public void StateSeesSeasonalChangesAndAddsTheSeasonalBase()
    {
        var x = Series(20);
        var state = new SeriesTransformState(SeriesTransform.Seasonal(1, new[] { 0 }, Season, horizon: 1));
        var seen = new float[1];
        var output = new float[1];
        for (int t = 0; t < x.Length; t++)
        {
            state.Apply(x.AsSpan(t, 1), seen);
            Assert.Equal(Change(x, t), seen[0], 4);
            output[0] = 0.5f;
            state.AddBack(x.AsSpan(t, 1), output);
            Assert.Equal(0.5f + Base(x, t), output[0], 4);
        }
    }

    [Fact]
    public void StateRoundTripsThroughCopyToAndSetFrom()
    {
        var transform = SeriesTransform.Seasonal(2, new[] { 1 }, Season, horizon: 2);
        Assert.Equal((Season + 1) * 2 + 1, transform.StateSize);
        var x = Series(40);
        var original = new SeriesTransformState(transform);
        var a = new float[2];
        var b = new float[2];
        for (int t = 0; t < 7; t++) original.Apply(x.AsSpan(2 * t, 2), a);
        var saved = new float[transform.StateSize];
        original.CopyTo(saved);
        Assert.Equal(Season + 1, saved[^1]);                      // every remembered input is filled
        Assert.Equal(x[12], saved[0]);                            // most recent first: step 6, feature 0
        var restored = new SeriesTransformState(transform);
        restored.SetFrom(saved);
        for (int t = 7; t < 20; t++)
        {
            original.Apply(x.AsSpan(2 * t, 2), a);
            restored.Apply(x.AsSpan(2 * t, 2), b);
            Assert.Equal(a, b);
            var oa = new float[1];
            var ob = new float[1];
            original.AddBack(x.AsSpan(2 * t, 2), oa);
            restored.AddBack(x.AsSpan(2 * t, 2), ob);
            Assert.Equal(oa, ob);
        }
        saved[^1] = 2.5f;
        Assert.Throws<ArgumentException>(() => restored.SetFrom(saved));
    }

    // Every engine follows the transform: the float reference engine equals the plain model fed the seasonal changes plus
    // the base; the integer-only int8 engine does so bit for bit (the transform is float arithmetic outside the integer core).
    [Fact]
    public void ReferenceAndInt8EnginesApplyTheSeasonalTransform()
    {
        var model = Fixtures.RandomNetwork(new Random(4), GateConvention.ResetAfter, 1, new[] { 6 }, 1).ToModel(HeadActivation.None);
        var transform = SeriesTransform.Seasonal(1, new[] { 0 }, Season, horizon: 1);
        var int8 = ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-20, 20, 0));
        var x = Series(30);
        foreach (var (transformed, plain, exact) in new (IGruModel, IGruModel, bool)[]
        {
            (new GruReferenceEngine(model.WithSeriesTransform(transform)), new GruReferenceEngine(model), false),
            (new Int8ReferenceEngine(int8.WithSeriesTransform(transform)), new Int8ReferenceEngine(int8), true),
        })
        {
            var a = new float[1];
            var b = new float[1];
            for (int pass = 0; pass < 2; pass++)                   // the second pass checks that Reset clears the transform state too
            {
                for (int t = 0; t < x.Length; t++)
                {
                    transformed.Step(x.AsSpan(t, 1), a);
                    plain.Step(new[] { Change(x, t) }, b);
                    if (exact) Assert.Equal(b[0] + Base(x, t), a[0]);
                    else Assert.Equal(b[0] + Base(x, t), a[0], 3);
                }
                transformed.Reset();
                plain.Reset();
            }
        }
    }

    private static CsvTable Table(int rows = 60)
    {
        var y = Series(rows);
        return CsvTable.Parse("t,y\n" + string.Join("\n", y.Select((v, t) => string.Create(CultureInfo.InvariantCulture, $"{t},{v:R}"))), "seasonal.csv");
    }

    private static readonly DataSpec Spec = new() { Layout = DataLayout.Series, Targets = new[] { "y" }, Window = 4, TestFraction = 0.2, Season = Season };

    [Fact]
    public void SeasonalWindowsArePrimedAndLearnTheChangeFromTheSeasonalBase()
    {
        var y = Series(60);
        var job = TrainingJob.Prepare(Table(), Spec with { Transform = SeriesTransformKind.Seasonal });
        Assert.Equal(4 + Season + 1, job.Examples.Steps);              // --window 4: 4 changes after m + 1 priming rows
        Assert.Equal(Season, job.Transform!.Season);
        Assert.Equal(Season - 1, job.Transform.ResidualDelay);
        var net = job.NetworkExamples;
        int steps = job.Examples.Steps;
        // Window n covers rows n … n + steps − 1 and forecasts row n + steps.
        for (int n = 0; n < 3; n++)
        {
            for (int t = 0; t < steps; t++)
                Assert.Equal(t <= Season ? 0f : Change(y, n + t) , net.Inputs[n * steps + t], 3);
            int last = n + steps - 1;
            Assert.Equal(y[last + 1] - (y[last] + y[last + 1 - Season] - y[last - Season]), net.Targets![n], 3);
            Assert.Equal(y[last + 1 - Season], job.Examples.SeasonalValues![n]);   // the seasonal-naive forecast
        }
        var options = new TrainingOptions { HiddenSizes = new[] { 4 }, Epochs = 2, Seed = 1 };
        var model = job.BuildModel(job.Run(options), options, "s");
        Assert.Equal("seasonal (season 3)", model.Metadata.Provenance["train.transform"]);
        Assert.Equal("4 changes (8 rows)", model.Metadata.Provenance["data.window"]);
        Assert.Equal("3", model.Metadata.Provenance["data.season"]);
        var back = ModelLoader.Load(TinyGruModelFile.Serialize(model), "s.safetensors");
        Assert.Equal(Season, back.SeriesTransform!.Season);
        Assert.Equal(Season - 1, back.SeriesTransform.ResidualDelay);
    }

    // Longer (primed) windows must not change which targets are test data: every transform is scored on the same last targets.
    [Fact]
    public void EveryTransformTestsAndValidatesOnTheSameLastTargets()
    {
        float[] Targets(SeriesTransformKind kind, Func<DataSplit, int[]> part)
        {
            var job = TrainingJob.Prepare(Table(), Spec with { Transform = kind, ValidationFraction = 0.2 });
            return part(job.Split).Select(n => job.Examples.Targets![n]).ToArray();
        }
        foreach (var part in new Func<DataSplit, int[]>[] { s => s.Test, s => s.Validation })
        {
            var levels = Targets(SeriesTransformKind.None, part);
            Assert.NotEmpty(levels);
            Assert.Equal(levels, Targets(SeriesTransformKind.Difference, part));
            Assert.Equal(levels, Targets(SeriesTransformKind.Seasonal, part));
        }
    }

    [Fact]
    public void SeasonIsDetectedInTheTrainingRowsOnly()
    {
        var found = SeriesTransforms.DetectSeason(Table(), Spec with { Season = null });
        Assert.Equal(Season, found!.Value.Season);
        Assert.True(found.Value.Autocorrelation >= SeriesTransforms.SeasonAutocorrelation);
        // A random walk has none; nor has sunspots (its 11-year cycle correlates its changes only 0.44, under the 0.5 bar).
        var random = new Random(2);
        double level = 0;
        var walk = CsvTable.Parse("y\n" + string.Join("\n", Enumerable.Range(0, 200).Select(_ => (level += random.NextDouble() - 0.5).ToString("R", CultureInfo.InvariantCulture))), "walk.csv");
        Assert.Null(SeriesTransforms.DetectSeason(walk, Spec with { Season = null }));
        Assert.Null(SeriesTransforms.DetectSeason(CsvTable.Read(ReferenceTaskTests.DataPath("sunspots.csv")), ReferenceTasks.SunspotsData));
        // Only the rows before the test part count: a season that appears only in the test part is not found.
        var noise = new Random(3);
        var late = CsvTable.Parse("y\n" + string.Join("\n", Enumerable.Range(0, 100).Select(t =>
            (t < 60 ? 0.01 * t + noise.NextDouble() : 10 * Math.Sin(2 * Math.PI * t / 4)).ToString("R", CultureInfo.InvariantCulture))), "late.csv");
        Assert.Null(SeriesTransforms.DetectSeason(late, Spec with { Season = null, TestFraction = 0.4 }));
        Assert.NotNull(SeriesTransforms.DetectSeason(late, Spec with { Season = null, TestFraction = 0.1 }));
    }

    // auto retrains the chosen transform on the whole training part for its best validation epoch (the retrained model
    // has no validation windows to pick one), unless the user gave validation windows (the final run then picks its own).
    [Fact]
    public void AutoRetrainsForTheChosenCandidatesBestEpoch()
    {
        var options = new TrainingOptions { HiddenSizes = new[] { 4 }, Epochs = 12, Seed = 1 };
        var (chosen, candidates) = SeriesTransforms.Choose(Table(), Spec, options);
        Assert.Equal(3, candidates.Count);
        Assert.All(candidates, c => Assert.InRange(c.BestEpoch, 1, 12));
        Assert.Equal(candidates.Single(c => c.Kind == chosen).BestEpoch, SeriesTransforms.FinalEpochs(chosen, candidates, options, Spec));
        var given = new[] { new SeriesTransforms.Candidate(SeriesTransformKind.None, 1.0, 5), new SeriesTransforms.Candidate(SeriesTransformKind.Difference, 2.0, 7) };
        Assert.Equal(5, SeriesTransforms.FinalEpochs(SeriesTransformKind.None, given, options, Spec));
        Assert.Equal(12, SeriesTransforms.FinalEpochs(SeriesTransformKind.None, given, options, Spec with { ValidationFraction = 0.2 }));
    }

    [Fact]
    public void SeasonalNeedsASeasonLongerThanTheHorizon()
    {
        Assert.Contains("--season", Assert.Throws<TrainingException>(() => TrainingJob.Prepare(Table(), Spec with { Season = null, Transform = SeriesTransformKind.Seasonal })).Message);
        Assert.Contains("must be shorter than the season of 3",
            Assert.Throws<TrainingException>(() => TrainingJob.Prepare(Table(), Spec with { Horizon = 3, Transform = SeriesTransformKind.Seasonal })).Message);
        Assert.Equal(new[] { SeriesTransformKind.None, SeriesTransformKind.Difference, SeriesTransformKind.Seasonal }, SeriesTransforms.CandidatesFor(Spec));
        Assert.Equal(new[] { SeriesTransformKind.None, SeriesTransformKind.Difference }, SeriesTransforms.CandidatesFor(Spec with { Season = null }));
    }
}

using System.Globalization;
using TinyGru.Model;
using TinyGru.Training;
using Xunit;

namespace TinyGru.Training.Tests;

/// <summary>What the network of a differenced model is trained on (docs/forecasting.md).</summary>
public class SeriesTransformDataTests
{
    // t, a (target), b: a = t², b = 10 − t, so changes are known by hand.
    private static CsvTable Table(int rows = 12) => CsvTable.Parse(
        "t,a,b\n" + string.Join("\n", Enumerable.Range(0, rows).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t},{t * t},{10 - t}"))), "s.csv");

    private static readonly DataSpec Spec = new()
    {
        Layout = DataLayout.Series, Targets = new[] { "a" }, Features = new[] { "a", "b" }, Window = 3, Horizon = 2, TestFraction = 0.25,
    };

    [Fact]
    public void DifferencedWindowsHaveOneMoreRowAndTheNetworkSeesChangesAndLearnsTheTargetsChange()
    {
        var job = TrainingJob.Prepare(Table(), Spec with { Transform = SeriesTransformKind.Difference });
        Assert.Equal(4, job.Examples.Steps);                            // --window 3: 3 changes, 4 rows
        Assert.Equal(12 - 4 - 2 + 1, job.Examples.Count);
        Assert.Equal(new[] { true, true }, job.Transform!.DifferencedInputs);
        Assert.Equal(new[] { 0 }, job.Transform.ResidualInputs);
        var net = job.NetworkExamples;
        // Window 1 covers rows 1–4: a = 1, 4, 9, 16; b = 9, 8, 7, 6. Target: row 6, a = 36, forecast from a = 16.
        Assert.Equal(new float[] { 0, 0, 3, -1, 5, -1, 7, -1 }, net.Inputs.AsSpan(8, 8).ToArray());
        Assert.Equal(36 - 16, net.Targets![1]);
        Assert.Equal(36, job.Examples.Targets![1]);                     // the raw examples stay in the user's units
        Assert.Equal(16, job.Examples.LastValues![1]);
        // Normalization is of the changes the network sees (training windows only).
        Assert.True(job.Statistics.OutputOffset![0] > 5, $"mean target change {job.Statistics.OutputOffset[0]}");

        var model = job.BuildModel(job.Run(new TrainingOptions { HiddenSizes = new[] { 4 }, Epochs = 2, Seed = 1 }), new TrainingOptions { HiddenSizes = new[] { 4 }, Epochs = 2 }, "s");
        Assert.NotNull(model.SeriesTransform);
        Assert.Equal("difference", model.Metadata.Provenance["train.transform"]);
        Assert.Equal("3 changes (4 rows)", model.Metadata.Provenance["data.window"]);
        // Evaluation runs the raw windows through the model's own transform.
        var evaluation = ModelEvaluation.Of(model, job.Examples, job.Split.Test);
        Assert.True(double.IsFinite(evaluation.Rmse!.Value));
    }

    [Fact]
    public void AutoMustBeResolvedBeforePreparingAJob() =>
        Assert.Throws<TrainingException>(() => TrainingJob.Prepare(Table(), Spec with { Transform = SeriesTransformKind.Auto }));
}

using TinyGru.Training;
using Xunit;

namespace TinyGru.Training.Tests;

/// <summary><c>--scale</c>: what each input scaling stores as the model's mean and std, and what <c>auto</c> picks (issue 16, digits).</summary>
public class InputScalingTests
{
    // Two features over 2 steps; rows 1 and 3 train (every 2nd is test). Training values: a = 0, 4, 0, 8; b = 2, 2, 6, 6.
    private const string Csv = "label,a0,b0,a1,b1\nx,90,90,90,90\ny,0,2,4,2\nx,90,90,90,90\nx,0,6,8,6\n";
    private static readonly DataSpec Spec = new() { Layout = DataLayout.Sequences, Labels = new[] { "label" }, Steps = 2, TestEvery = 2 };

    private static DataStatistics Stats(InputScaling scaling, string csv = Csv)
    {
        var examples = SequenceExamples.Load(CsvTable.Parse(csv, "d.csv"), Spec);
        return DataStatistics.Compute(examples, DataSplit.Of(examples, Spec, "d.csv").Train, scaling);
    }

    [Fact]
    public void FeatureScalingZScoresEachFeature()
    {
        var s = Stats(InputScaling.Feature);
        Assert.Equal(new[] { 3f, 4f }, s.InputMean);
        // a: deviations −3, 1, −3, 5 → variance 11; b: ±2 → variance 4.
        Assert.Equal((float)Math.Sqrt(11), s.InputStd[0], 5);
        Assert.Equal(2f, s.InputStd[1], 5);
    }

    [Fact]
    public void PooledScalingUsesOneMeanAndStdForAllFeatures()
    {
        var s = Stats(InputScaling.Pooled);
        // All eight training values 0, 4, 0, 8, 2, 2, 6, 6: mean 3.5, variance (12.25·2 + 0.25 + 20.25 + 2.25·2 + 6.25·2) / 8 = 7.75.
        Assert.Equal(new[] { 3.5f, 3.5f }, s.InputMean);
        Assert.Equal((float)Math.Sqrt(7.75), s.InputStd[0], 5);
        Assert.Equal(s.InputStd[0], s.InputStd[1]);
        Assert.Equal(InputScaling.Pooled, s.Scaling);
        Assert.Null(s.ScalingReason);
    }

    [Fact]
    public void PooledStdScalingKeepsZeroAtZero()
    {
        var s = Stats(InputScaling.PooledStd);
        Assert.Equal(new[] { 0f, 0f }, s.InputMean);
        Assert.Equal((float)Math.Sqrt(7.75), s.InputStd[1], 5);
        Assert.NotNull(s.InputNormalization);
    }

    [Fact]
    public void NoScalingStoresNoNormalization()
    {
        var s = Stats(InputScaling.None);
        Assert.Null(s.InputNormalization);
        Assert.Equal(new[] { 0f, 0f }, s.InputMean);
        Assert.Equal(new[] { 1f, 1f }, s.InputStd);
    }

    [Fact]
    public void AutoPicksOneScaleOnlyForFeaturesFromZeroOnOneScale()
    {
        // a from 0 to 8 but b from 2: not every feature starts at 0.
        var perFeature = Stats(InputScaling.Auto);
        Assert.Equal(InputScaling.Feature, perFeature.Scaling);
        Assert.Equal("not every feature starts at 0", perFeature.ScalingReason);
        // Both from 0, maxima 8 and 6: one scale, not centered.
        var shared = Stats(InputScaling.Auto, "label,a0,b0,a1,b1\nx,90,90,90,90\ny,0,0,4,2\nx,90,90,90,90\nx,0,6,8,6\n");
        Assert.Equal(InputScaling.PooledStd, shared.Scaling);
        Assert.Equal("every feature from 0, maxima 6 … 8: one scale", shared.ScalingReason);
        // Both from 0 but maxima 1 and 8 (more than 4× apart): per feature.
        var apart = Stats(InputScaling.Auto, "label,a0,b0,a1,b1\nx,90,90,90,90\ny,0,0,4,1\nx,90,90,90,90\nx,0,1,8,0\n");
        Assert.Equal(InputScaling.Feature, apart.Scaling);
        Assert.Contains("differ by more than 4×", apart.ScalingReason);
    }

    [Fact]
    public void DigitsAreScaledAsOneQuantityAndTheModelRecordsIt()
    {
        var job = TrainingJob.Prepare(CsvTable.Read(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv")), ReferenceTasks.DigitsData);
        Assert.Equal(InputScaling.PooledStd, job.Statistics.Scaling);
        Assert.All(job.Statistics.InputMean, m => Assert.Equal(0f, m));
        // The pooled std of the training pixels, computed here from the rows directly.
        var pixels = job.TrainingRows().SelectMany(r => r).Select(v => (double)v).ToArray();
        double mean = pixels.Average(), std = Math.Sqrt(pixels.Select(v => (v - mean) * (v - mean)).Average());
        Assert.All(job.Statistics.InputStd, s => Assert.Equal(std, s, 4));
        var model = job.BuildModel(job.Run(ReferenceTasks.DigitsTraining with { Epochs = 1 }), ReferenceTasks.DigitsTraining, "digits");
        Assert.Equal("pooled-std", model.Metadata.Provenance["train.scale"]);
        Assert.StartsWith("auto: every feature from 0, maxima 8 … 16", model.Metadata.Provenance["train.scale_choice"]);
    }
}

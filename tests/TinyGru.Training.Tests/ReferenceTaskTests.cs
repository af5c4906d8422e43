using TinyGru.Training;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.Training.Tests;

/// <summary>
/// The bundled real data sets, trained with the PyTorch reference's settings and a fixed seed, reach the
/// reference's quality (PyTorch 1.13: 98.3 % on digits, RMSE 22.83 on sunspots). Times are printed, never asserted.
/// </summary>
public class ReferenceTaskTests(ITestOutputHelper output)
{
    public static string DataPath(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    [Fact]
    public void DigitsReachesAtLeast97PercentTestAccuracy()
    {
        var job = TrainingJob.Prepare(CsvTable.Read(DataPath("digits.csv")), ReferenceTasks.DigitsData);
        Assert.Equal((1797 - 360, 360), (job.Split.Train.Length, job.Split.Test.Length));
        var result = job.Run(ReferenceTasks.DigitsTraining);
        var evaluation = ModelEvaluation.Of(job.BuildModel(result, ReferenceTasks.DigitsTraining, "digits"), job.Examples, job.Split.Test);
        output.WriteLine($"digits: test accuracy {evaluation.Accuracy:P2}, trained in {result.Elapsed.TotalSeconds:F2} s");
        Assert.True(evaluation.Accuracy >= 0.97, $"test accuracy {evaluation.Accuracy:P2}");
    }

    [Fact]
    public void SunspotsForecastBeatsRmse30()
    {
        var job = TrainingJob.Prepare(CsvTable.Read(DataPath("sunspots.csv")), ReferenceTasks.SunspotsData);
        Assert.Equal((228, 57), (job.Split.Train.Length, job.Split.Test.Length));
        var result = job.Run(ReferenceTasks.SunspotsTraining);
        var evaluation = ModelEvaluation.Of(job.BuildModel(result, ReferenceTasks.SunspotsTraining, "sunspots"), job.Examples, job.Split.Test);
        output.WriteLine($"sunspots: test RMSE {evaluation.Rmse:F2} (last value: {evaluation.NaiveRmse:F2}), trained in {result.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(33.02, evaluation.NaiveRmse!.Value, 2); // the reference's naive baseline: same windows, same split
        Assert.True(evaluation.Rmse < 30, $"test RMSE {evaluation.Rmse:F2}");
    }
}

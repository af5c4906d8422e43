namespace TinyGru.Training;

/// <summary>
/// The two bundled real data sets with the settings of the PyTorch reference runs (see docs/benchmarks.md): what
/// <c>tinygru demo</c> trains, what the tests hold to the reference's accuracy, and what the benchmark times.
/// </summary>
public static class ReferenceTasks
{
    /// <summary>UCI handwritten digits: 8 rows of 8 pixels as 8 timesteps; every 5th digit is test data.</summary>
    public static readonly DataSpec DigitsData = new()
    {
        Layout = DataLayout.Sequences,
        Labels = new[] { "label" },
        Steps = 8,
        TestEvery = 5,
    };

    /// <summary>GRU 8 → 32 + dense 10, Adam 0.01, batch 32, 40 epochs (PyTorch 1.13: 98.3 % test accuracy).</summary>
    public static readonly TrainingOptions DigitsTraining = new()
    {
        HiddenSizes = new[] { 32 },
        Epochs = 40,
        BatchSize = 32,
        LearningRate = 0.01,
        Seed = 1,
    };

    /// <summary>Yearly sunspot numbers 1700–2008: 24-year windows → the next year; the last 20 % of windows is test data.</summary>
    public static readonly DataSpec SunspotsData = new()
    {
        Layout = DataLayout.Series,
        Targets = new[] { "SUNACTIVITY" },
        Window = 24,
        Horizon = 1,
        TestFraction = 0.2,
    };

    /// <summary>GRU 1 → 16 + dense 1, Adam 0.01, batch 32, 200 epochs (PyTorch 1.13: test RMSE 22.83).</summary>
    public static readonly TrainingOptions SunspotsTraining = new()
    {
        HiddenSizes = new[] { 16 },
        Epochs = 200,
        BatchSize = 32,
        LearningRate = 0.01,
        Seed = 1,
    };
}

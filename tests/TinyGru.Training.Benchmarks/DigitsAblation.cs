using TinyGru.Training;

/// <summary>
/// The digits accuracy gap vs PyTorch (issue 16), one factor at a time: every variant trains the reference digits
/// set-up over the same seeds and prints test accuracies and the median. Variants change only how the pixels are
/// scaled before training (the reference divides by 16; TinyGru z-scores with training statistics), since the
/// initialization, Adam (β, ε, bias correction), loss and batch order already follow PyTorch's formulas and are
/// held to PyTorch autograd by the gradient fixtures. Run: <c>-- --ablation digits --runs 9 [--variants 1,4]</c>.
/// </summary>
internal static class DigitsAblation
{
    public static void Run(int runs, IReadOnlyCollection<int>? only = null)
    {
        var job = TrainingJob.Prepare(CsvTable.Read(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv")), ReferenceTasks.DigitsData);
        var e = job.Examples;
        var variants = new (string Name, Func<float, int, float> Scale)[]
        {
            ("z-score (per feature, training statistics)", (v, f) => (v - job.Statistics.InputMean[f]) / job.Statistics.InputStd[f]),
            ("pixels / 16 (the PyTorch reference)", (v, _) => v / 16f),
            ("min-max to [0, 1] (training range)", MinMax(job)),
            ("one mean and std for all features", Pooled(job, centerPerFeature: false)),
            ("mean per feature, one std for all", Pooled(job, centerPerFeature: true)),
            ("z-score, std floored at the pooled std", Floored(job, 1.0)),
            ("z-score, std floored at 0.5 × pooled std", Floored(job, 0.5)),
            ("z-score, std floored at 0.25 × pooled std", Floored(job, 0.25)),
            ("none (raw pixels 0 … 16)", (v, _) => v),
            ("pooled std, no centering", PooledStdOnly(job)),
        };
        foreach (var (name, scale) in variants.Where((_, i) => only is null || only.Count == 0 || only.Contains(i + 1)))
        {
            var train = Scaled(e, job.Split.Train, scale);
            var test = Scaled(e, job.Split.Test, scale);
            var accuracies = new List<double>();
            for (int seed = 1; seed <= runs; seed++)
            {
                var result = GruTrainer.Train(train, null, job.Effective(ReferenceTasks.DigitsTraining with { Seed = seed }));
                accuracies.Add(GruTrainer.Score(result.Parameters, test, LossKind.SoftmaxCrossEntropy).Metric);
            }
            var sorted = accuracies.Order().ToList();
            Console.WriteLine($"{name,-45} {string.Join(" ", accuracies.Select(a => (100 * a).ToString("F2")))}  median {100 * sorted[sorted.Count / 2]:F2} %, mean {100 * accuracies.Average():F2} %");
        }
    }

    private static Func<float, int, float> MinMax(TrainingJob job)
    {
        var e = job.Examples;
        var min = Enumerable.Repeat(float.PositiveInfinity, e.InputSize).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, e.InputSize).ToArray();
        foreach (var row in job.TrainingRows())
            for (int f = 0; f < row.Length; f++) { min[f] = Math.Min(min[f], row[f]); max[f] = Math.Max(max[f], row[f]); }
        return (v, f) => (v - min[f]) / Math.Max(max[f] - min[f], 1e-6f);
    }

    private static Func<float, int, float> Pooled(TrainingJob job, bool centerPerFeature)
    {
        var values = job.TrainingRows().SelectMany(r => r).Select(v => (double)v).ToArray();
        double mean = values.Average(), std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
        var m = job.Statistics.InputMean;
        return (v, f) => (float)((v - (centerPerFeature ? m[f] : mean)) / std);
    }

    private static double PooledStd(TrainingJob job)
    {
        var values = job.TrainingRows().SelectMany(r => r).Select(v => (double)v).ToArray();
        double mean = values.Average();
        return Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
    }

    private static Func<float, int, float> Floored(TrainingJob job, double fraction)
    {
        double floor = fraction * PooledStd(job);
        var m = job.Statistics.InputMean;
        var s = job.Statistics.InputStd;
        return (v, f) => (float)((v - m[f]) / Math.Max(s[f], floor));
    }

    private static Func<float, int, float> PooledStdOnly(TrainingJob job)
    {
        double std = PooledStd(job);
        return (v, _) => (float)(v / std);
    }

    private static SequenceSet Scaled(SequenceExamples e, int[] indices, Func<float, int, float> scale)
    {
        int x = e.Steps * e.InputSize;
        var inputs = new float[indices.Length * x];
        for (int n = 0; n < indices.Length; n++)
            for (int j = 0; j < x; j++) inputs[n * x + j] = scale(e.Inputs[indices[n] * x + j], j % e.InputSize);
        return new SequenceSet(e.Steps, e.InputSize, inputs, TargetTiming.LastStep, e.OutputSize, null, indices.Select(i => e.Labels![i]).ToArray());
    }
}

using System.Diagnostics;
using TinyGru.Model.Quantization;
using TinyGru.Training;

/// <summary>
/// docs/qat.md: per seed, the float model trained with the reference settings, the same model after post-training int8
/// quantization (calibrated on the training rows), after quantization-aware fine-tuning then int8, and after
/// quantization-aware training from scratch then int8 — each evaluated on the test part with the reference engine for
/// its precision (Int8ReferenceEngine for int8). With control, the fine-tuning is plain float training instead, followed
/// by post-training quantization: what fine-tuning alone does.
/// </summary>
internal static class QatComparison
{
    /// <summary>Seeds 1 … runs; the fine-tuning defaults of <c>tinygru finetune</c> unless epochs or lr are given.</summary>
    public static void Run(IEnumerable<string> tasks, int runs, int? epochs, double? lr, bool control = false)
    {
        foreach (var task in tasks)
        {
            var (file, spec, options) = task switch
            {
                "digits" => ("digits.csv", ReferenceTasks.DigitsData, ReferenceTasks.DigitsTraining),
                "sunspots" => ("sunspots.csv", ReferenceTasks.SunspotsData, ReferenceTasks.SunspotsTraining),
                _ => throw new ArgumentException($"unknown task '{task}'; expected digits or sunspots"),
            };
            var table = CsvTable.Read(Path.Combine(AppContext.BaseDirectory, "data", file));
            var job = TrainingJob.Prepare(table, spec);
            var qatJob = TrainingJob.Prepare(table, spec, quantizationAware: true);
            var rows = new List<(double Float, double Ptq, double Qat, double Seconds, double Scratch, double ScratchSeconds, double TunedFloat)>();
            for (int seed = 1; seed <= runs; seed++)
            {
                var o = options with { Seed = seed };
                var model = job.BuildModel(job.Run(o), o, task);
                double floatMetric = Metric(ModelEvaluation.Of(model, job.Examples, job.Split.Test));
                double ptq = Metric(ModelEvaluation.Of(job.Quantize(model), job.Examples, job.Split.Test));

                var fineTune = TrainingJob.PrepareFineTune(table, spec, model, quantizationAware: !control);
                var ft = QuantizationAwareTraining.FineTuneOptions(o) with { Seed = seed };
                if (epochs is int e) ft = ft with { Epochs = e };
                if (lr is double l) ft = ft with { LearningRate = l };
                var clock = Stopwatch.StartNew();
                var result = fineTune.Run(ft);
                clock.Stop();
                var tunedFloat = fineTune.BuildModel(result, ft, task);
                double tunedFloatMetric = Metric(ModelEvaluation.Of(tunedFloat, fineTune.Examples, fineTune.Split.Test));
                var tuned = control ? job.Quantize(tunedFloat) : fineTune.Quantize(tunedFloat);
                double qat = Metric(ModelEvaluation.Of(tuned, fineTune.Examples, fineTune.Split.Test));

                var scratchClock = Stopwatch.StartNew();
                var scratchResult = qatJob.Run(o);
                scratchClock.Stop();
                double scratch = Metric(ModelEvaluation.Of(qatJob.Quantize(qatJob.BuildModel(scratchResult, o, task)), qatJob.Examples, qatJob.Split.Test));
                rows.Add((floatMetric, ptq, qat, clock.Elapsed.TotalSeconds, scratch, scratchClock.Elapsed.TotalSeconds, tunedFloatMetric));
                Console.WriteLine($"{task,-9} seed {seed,2}: float {floatMetric:F4}, int8 PTQ {ptq:F4}, int8 after QAT fine-tuning {qat:F4} (its float weights: {tunedFloatMetric:F4}; {ft.Epochs} epochs, lr {ft.LearningRate}: {clock.Elapsed.TotalSeconds:F2} s), int8 after QAT from scratch {scratch:F4} ({scratchClock.Elapsed.TotalSeconds:F2} s)");
            }
            Console.WriteLine($"{task,-9} mean of {runs}: float {rows.Average(r => r.Float):F4}, int8 PTQ {rows.Average(r => r.Ptq):F4}, int8 after QAT fine-tuning {rows.Average(r => r.Qat):F4} (its float weights {rows.Average(r => r.TunedFloat):F4}; median {Median(rows.Select(r => r.Seconds))} s), int8 after QAT from scratch {rows.Average(r => r.Scratch):F4} (median {Median(rows.Select(r => r.ScratchSeconds))} s)");
        }
    }

    private static string Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double Metric(ModelEvaluation e) => e.Accuracy ?? e.Rmse!.Value;
}

using TinyGru.Model.Quantization;
using TinyGru.Training;

/// <summary>
/// Where the int8 model's error comes from (docs/qat.md): test metric of the float model, with int8 weights only, with
/// int8 weights and int8 inputs (the quantization-aware forward pass), and the integer-only engine — calibrated on the
/// training rows, on every row of the file (so that no test input falls outside the range and is clamped), and on the
/// training rows' range widened by a quarter of its span on each side.
/// </summary>
internal static class Breakdown
{
    public static void Run(IEnumerable<string> tasks, int runs)
    {
        foreach (var task in tasks)
        {
            var (file, spec, options) = task switch
            {
                "digits" => ("digits.csv", ReferenceTasks.DigitsData, ReferenceTasks.DigitsTraining),
                _ => ("sunspots.csv", ReferenceTasks.SunspotsData, ReferenceTasks.SunspotsTraining),
            };
            var table = CsvTable.Read(Path.Combine(AppContext.BaseDirectory, "data", file));
            var job = TrainingJob.Prepare(table, spec);
            var sums = new double[6];
            for (int seed = 1; seed <= runs; seed++)
            {
                var o = options with { Seed = seed };
                var result = job.Run(o);
                var model = job.BuildModel(result, o, task);
                var fineTune = TrainingJob.PrepareFineTune(table, spec, model, quantizationAware: true);
                double f = Metric(ModelEvaluation.Of(model, job.Examples, job.Split.Test));
                double w = Metric(ModelEvaluation.Of(job.Quantize(model, ModelPrecision.Int8Weights), job.Examples, job.Split.Test));
                var testSet = job.Examples.ToSequenceSet(job.Split.Test, job.Statistics, fineTune.InputQuantizer);
                double wi = GruTrainer.Score(result.Parameters, testSet, job.Loss, job.Statistics.OutputScale, quantizationAware: true).Metric;
                double i8 = Metric(ModelEvaluation.Of(fineTune.Quantize(model), job.Examples, job.Split.Test));
                // The same, calibrated on every row of the file (test rows included): no test input is clamped.
                var everyRow = Enumerable.Range(0, job.Examples.Count * job.Examples.Steps)
                    .Select(r => job.Examples.Inputs.AsSpan(r * job.Examples.InputSize, job.Examples.InputSize).ToArray());
                double wide = Metric(ModelEvaluation.Of(ModelQuantizer.Quantize(model, ModelPrecision.Int8, CalibrationRange.Observe(model, everyRow)), job.Examples, job.Split.Test));
                // The training rows' range widened by a quarter of its span on each side: headroom without the test rows.
                var r = fineTune.Calibration!;
                double span = r.Max - r.Min;
                double headroom = Metric(ModelEvaluation.Of(ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(r.Min - span / 4, r.Max + span / 4, r.Rows)), job.Examples, job.Split.Test));
                Console.WriteLine($"{task} seed {seed}: float {f:F4}, int8 weights {w:F4}, int8 weights + int8 inputs {wi:F4}, integer-only engine {i8:F4}, calibrated on every row {wide:F4}, training range ±25 % {headroom:F4}");
                sums[0] += f; sums[1] += w; sums[2] += wi; sums[3] += i8; sums[4] += wide; sums[5] += headroom;
            }
            Console.WriteLine($"{task} mean of {runs}: float {sums[0] / runs:F4}, int8 weights {sums[1] / runs:F4}, int8 weights + int8 inputs {sums[2] / runs:F4}, integer-only engine {sums[3] / runs:F4}, calibrated on every row {sums[4] / runs:F4}, training range ±25 % {sums[5] / runs:F4}");
        }
    }

    private static double Metric(ModelEvaluation e) => e.Accuracy ?? e.Rmse!.Value;
}

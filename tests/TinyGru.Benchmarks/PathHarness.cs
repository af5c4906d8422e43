using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using TinyGru.Runtime;

namespace TinyGru.Benchmarks;

/// <summary>
/// Per-path Stopwatch harness (JIT and NativeAOT): for each case and precision, the naive yardstick and every SIMD path
/// the CPU can run (Step512/Step256/Step128/StepScalar) measured interleaved in one process — round after round, each
/// candidate timed once per round — so a loaded machine slows them alike. Reports the median and the range (min–max
/// of the rounds' values) in ns per step, and the yardstick ratio of each path. Usage: <c>--paths [rounds]</c>.
/// </summary>
public static class PathHarness
{
    private delegate void SpanStep(ReadOnlySpan<float> x, Span<float> y);

    private delegate void StepFn(float[] x, float[] y);

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        string only = args.Length > 1 ? args[1] : "";
        Console.WriteLine($"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, " +
            $"{(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}, " +
            $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}, rounds {rounds}");
        Console.WriteLine("case     precision     path     median ns   range ns            yardstick ×");
        foreach (var name in new[] { "tiny", "small", "medium", "large" })
        {
            if (only.Length > 0 && !only.Contains(name, StringComparison.Ordinal)) continue;
            var model = BenchmarkModels.Create(name);
            var naive = new NaiveGru(model);
            var x = Enumerable.Range(0, model.InputSize).Select(i => MathF.Sin(i + 1)).ToArray();
            var candidates = new List<(string Precision, string Path, StepFn Step)> { ("float", "naive", naive.Step) };
            switch (name)
            {
                case "tiny": Add<BenchTiny>(candidates, "float"); Add<BenchTinyInt8Weights>(candidates, "int8-weights"); Add<BenchTinyInt8>(candidates, "int8"); break;
                case "small": Add<BenchSmall>(candidates, "float"); Add<BenchSmallInt8Weights>(candidates, "int8-weights"); Add<BenchSmallInt8>(candidates, "int8"); break;
                case "medium": Add<BenchMedium>(candidates, "float"); Add<BenchMediumInt8Weights>(candidates, "int8-weights"); Add<BenchMediumInt8>(candidates, "int8"); break;
                default: Add<BenchLarge>(candidates, "float"); Add<BenchLargeInt8Weights>(candidates, "int8-weights"); Add<BenchLargeInt8>(candidates, "int8"); break;
            }
            var y = new float[model.OutputSize];
            var steps = candidates.Select(c => Calibrate(c.Step, x, y)).ToArray();
            var samples = candidates.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < rounds; r++)
                for (int c = 0; c < candidates.Count; c++)
                    samples[c].Add(Time(candidates[c].Step, x, y, steps[c]));
            double naiveMedian = Median(samples[0]);
            for (int c = 0; c < candidates.Count; c++)
            {
                double median = Median(samples[c]);
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-8} {1,-13} {2,-8} {3,10:F1}   {4,8:F1}–{5,-8:F1}   {6,8:F1}",
                    name, candidates[c].Precision, candidates[c].Path, median, samples[c].Min(), samples[c].Max(), naiveMedian / median));
            }
        }
        return 0;
    }

    /// <summary>Every path the generated type has whose vector width this CPU accelerates, widest first.</summary>
    private static void Add<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicMethods)] TModel>(List<(string, string, StepFn)> list, string precision) where TModel : struct, IGruModel
    {
        var holder = new Holder<TModel>();
        foreach (var (suffix, accelerated) in new[] { ("512", Vector512.IsHardwareAccelerated), ("256", Vector256.IsHardwareAccelerated), ("128", Vector128.IsHardwareAccelerated), ("Scalar", true) })
        {
            var method = typeof(TModel).GetMethod("Step" + suffix);
            if (method is null || !accelerated) continue;
            var path = method.CreateDelegate<SpanStep>(holder.Boxed);
            list.Add((precision, suffix, (x, y) => path(x, y)));
        }
        var model = (IGruModel)holder.Boxed;
        list.Add((precision, "Step", (x, y) => model.Step(x, y)));
    }

    /// <summary>One boxed instance, so every path of a precision advances the same state (its cost is the same per call).</summary>
    private sealed class Holder<TModel> where TModel : struct, IGruModel
    {
        public object Boxed { get; } = default(TModel);
    }

    private static long Calibrate(StepFn step, float[] x, float[] y)
    {
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 300) for (int i = 0; i < 200; i++) step(x, y);
        long n = 200;
        while (Ticks(step, x, y, n) < TimeSpan.FromMilliseconds(10).Ticks) n *= 2;
        return n;
    }

    private static double Time(StepFn step, float[] x, float[] y, long n) => (double)Ticks(step, x, y, n) / Stopwatch.Frequency * 1e9 / n;

    private static long Ticks(StepFn step, float[] x, float[] y, long n)
    {
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < n; i++) step(x, y);
        return Stopwatch.GetTimestamp() - start;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}

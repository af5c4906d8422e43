using System.Diagnostics;
using System.Globalization;
using TinyGru.Runtime;

namespace TinyGru.Benchmarks;

/// <summary>
/// A Stopwatch harness for builds where BenchmarkDotNet cannot run (NativeAOT): for each case, 31 repetitions of
/// enough steps to last ~20 ms, reporting the median ns per step. Usage: <c>tinygru-bench --harness</c>.
/// </summary>
public static class StepHarness
{
    public static int Run(string[] args)
    {
        Console.WriteLine($"{RuntimeDescription()}");
        Console.WriteLine("case     naive ns   generated ns   reference ns   generated speed-up");
        Report<BenchTiny>("tiny");
        Report<BenchSmall>("small");
        Report<BenchMedium>("medium");
        Report<BenchLarge>("large");
        return 0;
    }

    private static string RuntimeDescription() =>
        $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, " +
        $"{(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}, " +
        $"Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}";

    private static void Report<TModel>(string name) where TModel : struct, IGruModel
    {
        var model = BenchmarkModels.Create(name);
        var x = Enumerable.Range(0, model.InputSize).Select(i => MathF.Sin(i + 1)).ToArray();
        var y = new float[model.OutputSize];
        var naive = new NaiveGru(model);
        var reference = new GruReferenceEngine(model);
        var generated = default(TModel);
        double tn = Median(() => naive.Step(x, y));
        double tg = Median(() => generated.Step(x, y));
        double tr = Median(() => reference.Step(x, y));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-8} {1,8:F1}   {2,12:F1}   {3,12:F1}   {4,8:F1}x", name, tn, tg, tr, tn / tg));
    }

    private static double Median(Action step)
    {
        // Warm-up long enough for tiered compilation's 100 ms call-counting delay and the background tier-1 JIT.
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 400) for (int i = 0; i < 1000; i++) step();
        long n = 1000;
        while (Time(step, n) < TimeSpan.FromMilliseconds(20).Ticks) n *= 2;
        var samples = Enumerable.Range(0, 31).Select(_ => (double)Time(step, n) / Stopwatch.Frequency * 1e9 / n).OrderBy(v => v).ToArray();
        return samples[samples.Length / 2];
    }

    private static long Time(Action step, long n)
    {
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < n; i++) step();
        return Stopwatch.GetTimestamp() - start;
    }
}

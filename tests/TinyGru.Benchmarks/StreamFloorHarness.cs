using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using TinyGru.Kernels;
using TinyGru.Runtime;

namespace TinyGru.Benchmarks;

/// <summary>
/// What a step can cost at least on each SIMD width: one matrix-vector product over as many float weights as the
/// case's step streams (every layer's W and U and the head), laid out for that width so it reads them once, in
/// order — no bias, no activations, no gates — timed interleaved with the generated <c>Step{W}</c> in one process.
/// The ratio Step / floor is what the generated code adds beyond streaming its weights; the floors of two widths say
/// how far apart their steps can be on this CPU. Usage: <c>--floor [rounds] [cases]</c> (JIT and NativeAOT).
/// </summary>
public static unsafe class StreamFloorHarness
{
    /// <summary>Accumulators per pass (the generated passes' count on every path).</summary>
    private const int Accumulators = 8;

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        string only = args.Length > 1 ? args[1] : "medium,large";
        Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {(RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}, " +
            $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}, " +
            $"FMA {Fma.IsSupported || AdvSimd.IsSupported}, rounds {rounds}");
        Console.WriteLine("case     floats   path   floor ns   Step ns   Step / floor");
        foreach (var (name, inputs, hidden, layers, outputs) in BenchmarkModels.Cases)
        {
            if (!only.Contains(name, StringComparison.Ordinal) || hidden < 64) continue;
            long floats = 3L * hidden * (inputs + hidden) + (layers - 1) * 3L * hidden * 2 * hidden + (long)outputs * hidden;
            // rows a multiple of 128 (a 512-bit pass), about H columns, at most one column more floats than the step
            int rows = (int)Math.Max(1, Math.Round(floats / (128.0 * hidden))) * 128, columns = (int)((floats + rows - 1) / rows);
            float* w = (float*)NativeMemory.AlignedAlloc((nuint)(rows * columns * sizeof(float)), 64);
            float* x = (float*)NativeMemory.AlignedAlloc((nuint)(columns * sizeof(float)), 64);
            float* y = (float*)NativeMemory.AlignedAlloc((nuint)(rows * sizeof(float)), 64);
            for (int i = 0; i < rows * columns; i++) w[i] = MathF.Sin(i) * 0.3f;
            for (int i = 0; i < columns; i++) x[i] = MathF.Cos(i);

            var model = BenchmarkModels.Create(name);
            var sx = Enumerable.Range(0, model.InputSize).Select(i => MathF.Sin(i + 1)).ToArray();
            var sy = new float[model.OutputSize];
            var step = StepFor(name);
            var candidates = new List<(string Path, Action Floor, Action Step)>();
            if (Vector512.IsHardwareAccelerated) candidates.Add(("512", () => Floor512(w, x, y, rows, columns), () => step.Step512(sx, sy)));
            if (Vector256.IsHardwareAccelerated) candidates.Add(("256", () => Floor256(w, x, y, rows, columns), () => step.Step256(sx, sy)));
            if (Vector128.IsHardwareAccelerated) candidates.Add(("128", () => Floor128(w, x, y, rows, columns), () => step.Step128(sx, sy)));
            var actions = candidates.SelectMany(c => new[] { c.Floor, c.Step }).ToArray();
            var counts = actions.Select(Calibrate).ToArray();
            var samples = actions.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < rounds; r++)
                for (int a = 0; a < actions.Length; a++)
                    samples[a].Add(Time(actions[a], counts[a]));
            for (int c = 0; c < candidates.Count; c++)
            {
                double floor = Median(samples[2 * c]), stepNs = Median(samples[2 * c + 1]);
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-8} {1,6}   {2,-5} {3,9:F0}  {4,8:F0}   {5,8:F2}",
                    name, rows * columns, candidates[c].Path, floor, stepNs, stepNs / floor));
            }
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(y);
        }
        return 0;
    }

    private sealed record Paths(SpanStep Step512, SpanStep Step256, SpanStep Step128);

    private delegate void SpanStep(ReadOnlySpan<float> x, Span<float> y);

    private static Paths StepFor(string name) => name switch
    {
        "medium" => From(new Box<BenchMedium>()),
        "large" => From(new Box<BenchLarge>()),
        _ => throw new ArgumentException($"--floor runs the weight-streaming cases (medium, large), not {name}."),
    };

    private sealed class Box<T> where T : struct, IGruModel
    {
        public T Value;
    }

    private static Paths From(Box<BenchMedium> b) => new((x, y) => b.Value.Step512(x, y), (x, y) => b.Value.Step256(x, y), (x, y) => b.Value.Step128(x, y));

    private static Paths From(Box<BenchLarge> b) => new((x, y) => b.Value.Step512(x, y), (x, y) => b.Value.Step256(x, y), (x, y) => b.Value.Step128(x, y));

    // Each floor kernel (the runtime's multiply-add: FMA where the CPU has it): passes of 8 accumulators (8 vectors of rows), each pass's weights stored column-major and
    // contiguous, so the whole matrix is read once, sequentially; a broadcast and 8 multiply-adds per column.

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Floor512(float* w, float* x, float* y, int rows, int columns)
    {
        for (int r = 0; r < rows; r += 8 * 16)
        {
            var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
            for (int j = 0; j < columns; j++, w += 8 * 16)
            {
                var b = Vector512.Create(x[j]);
                a0 = MultiplyAdd.V512(Vector512.Load(w), b, a0);
                a1 = MultiplyAdd.V512(Vector512.Load(w + 16), b, a1);
                a2 = MultiplyAdd.V512(Vector512.Load(w + 32), b, a2);
                a3 = MultiplyAdd.V512(Vector512.Load(w + 48), b, a3);
                a4 = MultiplyAdd.V512(Vector512.Load(w + 64), b, a4);
                a5 = MultiplyAdd.V512(Vector512.Load(w + 80), b, a5);
                a6 = MultiplyAdd.V512(Vector512.Load(w + 96), b, a6);
                a7 = MultiplyAdd.V512(Vector512.Load(w + 112), b, a7);
            }
            a0.Store(y + r); a1.Store(y + r + 16); a2.Store(y + r + 32); a3.Store(y + r + 48);
            a4.Store(y + r + 64); a5.Store(y + r + 80); a6.Store(y + r + 96); a7.Store(y + r + 112);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Floor256(float* w, float* x, float* y, int rows, int columns)
    {
        for (int r = 0; r < rows; r += 8 * 8)
        {
            var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
            for (int j = 0; j < columns; j++, w += 8 * 8)
            {
                var b = Vector256.Create(x[j]);
                a0 = MultiplyAdd.V256(Vector256.Load(w), b, a0);
                a1 = MultiplyAdd.V256(Vector256.Load(w + 8), b, a1);
                a2 = MultiplyAdd.V256(Vector256.Load(w + 16), b, a2);
                a3 = MultiplyAdd.V256(Vector256.Load(w + 24), b, a3);
                a4 = MultiplyAdd.V256(Vector256.Load(w + 32), b, a4);
                a5 = MultiplyAdd.V256(Vector256.Load(w + 40), b, a5);
                a6 = MultiplyAdd.V256(Vector256.Load(w + 48), b, a6);
                a7 = MultiplyAdd.V256(Vector256.Load(w + 56), b, a7);
            }
            a0.Store(y + r); a1.Store(y + r + 8); a2.Store(y + r + 16); a3.Store(y + r + 24);
            a4.Store(y + r + 32); a5.Store(y + r + 40); a6.Store(y + r + 48); a7.Store(y + r + 56);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Floor128(float* w, float* x, float* y, int rows, int columns)
    {
        for (int r = 0; r < rows; r += 8 * 4)
        {
            var a0 = Vector128<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
            for (int j = 0; j < columns; j++, w += 8 * 4)
            {
                var b = Vector128.Create(x[j]);
                a0 = MultiplyAdd.V128(Vector128.Load(w), b, a0);
                a1 = MultiplyAdd.V128(Vector128.Load(w + 4), b, a1);
                a2 = MultiplyAdd.V128(Vector128.Load(w + 8), b, a2);
                a3 = MultiplyAdd.V128(Vector128.Load(w + 12), b, a3);
                a4 = MultiplyAdd.V128(Vector128.Load(w + 16), b, a4);
                a5 = MultiplyAdd.V128(Vector128.Load(w + 20), b, a5);
                a6 = MultiplyAdd.V128(Vector128.Load(w + 24), b, a6);
                a7 = MultiplyAdd.V128(Vector128.Load(w + 28), b, a7);
            }
            a0.Store(y + r); a1.Store(y + r + 4); a2.Store(y + r + 8); a3.Store(y + r + 12);
            a4.Store(y + r + 16); a5.Store(y + r + 20); a6.Store(y + r + 24); a7.Store(y + r + 28);
        }
    }

    private static long Calibrate(Action a)
    {
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 300) for (int i = 0; i < 200; i++) a();
        long n = 200;
        while (Ticks(a, n) < Stopwatch.Frequency / 100) n *= 2; // 10 ms
        return n;
    }

    private static double Time(Action a, long n) => (double)Ticks(a, n) / Stopwatch.Frequency * 1e9 / n;

    private static long Ticks(Action a, long n)
    {
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < n; i++) a();
        return Stopwatch.GetTimestamp() - start;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}

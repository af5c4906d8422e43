using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using TinyGru.Runtime;

namespace TinyGru.Benchmarks;

/// <summary>
/// ns per streaming step of each generated SIMD path (Step512/Step256/Step128/StepScalar, called directly whatever
/// the CPU's widest), float / int8-weights / integer-only int8 of each peer case, with the naive yardstick in the same
/// process. A path the type does not have (tiny has no 512-bit path) or the CPU does not accelerate reports NA.
/// Run: <c>dotnet run -c Release -- --filter *PathStepBenchmarks*</c>; for a loaded machine prefer <c>--paths</c>.
/// </summary>
[GenericTypeArguments(typeof(BenchTiny))]
[GenericTypeArguments(typeof(BenchSmall))]
[GenericTypeArguments(typeof(BenchMedium))]
[GenericTypeArguments(typeof(BenchLarge))]
[GenericTypeArguments(typeof(BenchTinyInt8Weights))]
[GenericTypeArguments(typeof(BenchSmallInt8Weights))]
[GenericTypeArguments(typeof(BenchMediumInt8Weights))]
[GenericTypeArguments(typeof(BenchLargeInt8Weights))]
[GenericTypeArguments(typeof(BenchTinyInt8))]
[GenericTypeArguments(typeof(BenchSmallInt8))]
[GenericTypeArguments(typeof(BenchMediumInt8))]
[GenericTypeArguments(typeof(BenchLargeInt8))]
public class PathStepBenchmarks<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] TModel> where TModel : struct, IGruModel
{
    private delegate void SpanStep(ReadOnlySpan<float> x, Span<float> y);

    private SpanStep _step = null!;
    private NaiveGru _naive = null!;
    private float[] _x = null!, _y = null!;

    [Params("512", "256", "128", "Scalar")]
    public string Path { get; set; } = "128";

    [GlobalSetup]
    public void Setup()
    {
        string name = typeof(TModel).Name.Substring("Bench".Length).Replace("Int8Weights", "", StringComparison.Ordinal).Replace("Int8", "", StringComparison.Ordinal).ToLowerInvariant();
        var model = BenchmarkModels.Create(name);
        _naive = new NaiveGru(model);
        _x = Enumerable.Range(0, model.InputSize).Select(i => MathF.Sin(i + 1)).ToArray();
        _y = new float[model.OutputSize];
        var method = typeof(TModel).GetMethod("Step" + Path) ?? throw new NotSupportedException($"{typeof(TModel).Name} has no {Path} path");
        _step = method.CreateDelegate<SpanStep>(default(TModel));
    }

    [Benchmark(Baseline = true)]
    public void Naive() => _naive.Step(_x, _y);

    [Benchmark]
    public void Generated() => _step(_x, _y);
}

using BenchmarkDotNet.Attributes;
using TinyGru.Runtime;

namespace TinyGru.Benchmarks;

/// <summary>ns per streaming step (all layers + head) of one peer case: generated code, reference engine, naive yardstick.</summary>
[GenericTypeArguments(typeof(BenchTiny))]
[GenericTypeArguments(typeof(BenchSmall))]
[GenericTypeArguments(typeof(BenchMedium))]
[GenericTypeArguments(typeof(BenchLarge))]
public class StepBenchmarks<TModel> where TModel : struct, IGruModel
{
    private TModel _generated;
    private GruReferenceEngine _reference = null!;
    private NaiveGru _naive = null!;
    private float[] _x = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        string name = typeof(TModel).Name.Substring("Bench".Length).ToLowerInvariant();
        var model = BenchmarkModels.Create(name);
        _reference = new GruReferenceEngine(model);
        _naive = new NaiveGru(model);
        _x = Enumerable.Range(0, model.InputSize).Select(i => MathF.Sin(i + 1)).ToArray();
        _y = new float[model.OutputSize];
    }

    [Benchmark(Baseline = true)]
    public void Naive() => _naive.Step(_x, _y);

    [Benchmark]
    public void Generated() => _generated.Step(_x, _y);

    [Benchmark]
    public void Reference() => _reference.Step(_x, _y);
}

using BenchmarkDotNet.Attributes;
using TinyGru.Runtime;

namespace TinyGru.Benchmarks;

/// <summary>ns per streaming step of the integer-only int8 form of each peer case: generated code and the int8 reference engine.</summary>
[GenericTypeArguments(typeof(BenchTinyInt8))]
[GenericTypeArguments(typeof(BenchSmallInt8))]
[GenericTypeArguments(typeof(BenchMediumInt8))]
[GenericTypeArguments(typeof(BenchLargeInt8))]
public class Int8StepBenchmarks<TModel> where TModel : struct, IGruModel
{
    private TModel _generated;
    private Int8ReferenceEngine _reference = null!;
    private float[] _x = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        string name = typeof(TModel).Name.Substring("Bench".Length, typeof(TModel).Name.Length - "Bench".Length - "Int8".Length).ToLowerInvariant();
        var model = BenchmarkModels.CreateInt8(name);
        _reference = new Int8ReferenceEngine(model);
        _x = Enumerable.Range(0, model.InputSize).Select(i => MathF.Sin(i + 1)).ToArray();
        _y = new float[model.OutputSize];
        // The generated type and the engine must be the same model: compare a few steps bit for bit.
        var expected = new float[model.OutputSize];
        for (int t = 0; t < 5; t++)
        {
            _generated.Step(_x, _y);
            _reference.Step(_x, expected);
            if (!_y.AsSpan().SequenceEqual(expected)) throw new InvalidOperationException($"{typeof(TModel).Name} differs from the int8 reference engine; run --write-models");
        }
    }

    [Benchmark]
    public void GeneratedInt8() => _generated.Step(_x, _y);

    [Benchmark]
    public void ReferenceInt8() => _reference.Step(_x, _y);
}

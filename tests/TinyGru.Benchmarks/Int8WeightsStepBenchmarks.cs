using BenchmarkDotNet.Attributes;
using TinyGru.Runtime;

namespace TinyGru.Benchmarks;

/// <summary>
/// ns per streaming step of the int8-weights form of each peer case (sbyte weights dequantized in the kernels) against
/// the float32 generated code of the same case, in one run.
/// </summary>
[GenericTypeArguments(typeof(BenchTinyInt8Weights), typeof(BenchTiny))]
[GenericTypeArguments(typeof(BenchSmallInt8Weights), typeof(BenchSmall))]
[GenericTypeArguments(typeof(BenchMediumInt8Weights), typeof(BenchMedium))]
[GenericTypeArguments(typeof(BenchLargeInt8Weights), typeof(BenchLarge))]
public class Int8WeightsStepBenchmarks<TInt8Weights, TFloat>
    where TInt8Weights : struct, IGruModel
    where TFloat : struct, IGruModel
{
    private TInt8Weights _int8Weights;
    private TFloat _float;
    private float[] _x = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        string name = typeof(TFloat).Name.Substring("Bench".Length).ToLowerInvariant();
        var model = BenchmarkModels.CreateInt8Weights(name);
        _x = Enumerable.Range(0, model.InputSize).Select(i => MathF.Sin(i + 1)).ToArray();
        _y = new float[model.OutputSize];
        // The generated type and the model must agree: a few steps against the reference engine, within 1e-5.
        var reference = new GruReferenceEngine(model);
        var expected = new float[model.OutputSize];
        for (int t = 0; t < 5; t++)
        {
            _int8Weights.Step(_x, _y);
            reference.Step(_x, expected);
            for (int o = 0; o < _y.Length; o++)
                if (!(Math.Abs(_y[o] - expected[o]) <= 1e-5f))
                    throw new InvalidOperationException($"{typeof(TInt8Weights).Name} differs from the reference engine; run --write-models");
        }
    }

    [Benchmark(Baseline = true)]
    public void GeneratedFloat() => _float.Step(_x, _y);

    [Benchmark]
    public void GeneratedInt8Weights() => _int8Weights.Step(_x, _y);
}

using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Benchmarks;

/// <summary>
/// The four peer cases of docs/benchmarks.md (I/H/layers/O), PyTorch convention, weights uniform in ±0.3 from a fixed
/// seed. <c>dotnet run -c Release --project tests/TinyGru.Benchmarks -- --write-models</c> rewrites models/*.safetensors.
/// </summary>
public static class BenchmarkModels
{
    public static readonly (string Name, int Inputs, int Hidden, int Layers, int Outputs)[] Cases =
    {
        ("tiny", 3, 8, 1, 4),
        ("small", 6, 32, 1, 6),
        ("medium", 16, 64, 2, 10),
        ("large", 40, 128, 1, 12),
    };

    public static GruModel Create(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var rng = new Random(name.Length * 7919 + c.Hidden);
        float[] U(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 0.6 - 0.3)).ToArray();
        var layers = new List<GruLayerSpec>();
        int input = c.Inputs;
        for (int k = 0; k < c.Layers; k++)
        {
            layers.Add(new GruLayerSpec(input, c.Hidden, U(3 * c.Hidden * input), U(3 * c.Hidden * c.Hidden), U(3 * c.Hidden), U(3 * c.Hidden)));
            input = c.Hidden;
        }
        var head = new DenseHeadSpec(c.Hidden, c.Outputs, U(c.Outputs * c.Hidden), U(c.Outputs), HeadActivation.None);
        return new GruModel(GateConvention.ResetAfter, layers, head, metadata: new ModelMetadata("bench_" + name, ModelTask.Unspecified, null, null));
    }

    /// <summary>The case quantized to integer-only int8, calibrated for inputs in [−1, 1] (the benchmark feeds sin(i + 1)).</summary>
    public static GruModel CreateInt8(string name) => ModelQuantizer.Quantize(Create(name), ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));

    /// <summary>The case quantized to int8-weights (int8 weights with row scales, float arithmetic; no calibration).</summary>
    public static GruModel CreateInt8Weights(string name) => ModelQuantizer.Quantize(Create(name), ModelPrecision.Int8Weights);

    public static void Write(string folder)
    {
        foreach (var c in Cases)
        {
            File.WriteAllBytes(Path.Combine(folder, $"bench_{c.Name}.safetensors"), TinyGruModelFile.Serialize(Create(c.Name)));
            File.WriteAllBytes(Path.Combine(folder, $"bench_{c.Name}_int8.safetensors"), TinyGruModelFile.Serialize(CreateInt8(c.Name)));
            File.WriteAllBytes(Path.Combine(folder, $"bench_{c.Name}_int8w.safetensors"), TinyGruModelFile.Serialize(CreateInt8Weights(c.Name)));
        }
    }
}

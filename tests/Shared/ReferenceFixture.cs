using TinyGru.Model.Safetensors;

namespace TinyGru.Tests;

/// <summary>
/// A forward fixture computed by PyTorch 1.13 (or a NumPy transcription of the ONNX GRU spec) and checked against
/// ONNX Runtime: inputs x [T, I], head outputs y [T, O], final hidden states h_final [L, H]. Shared by the test
/// projects as a linked file; the fixtures are copied next to each test assembly.
/// </summary>
internal sealed class ReferenceFixture
{
    public required string Name { get; init; }
    public required float[] X { get; init; }
    public required float[] Y { get; init; }
    public required float[] HFinal { get; init; }
    public required int Steps { get; init; }
    public required int InputSize { get; init; }
    public required int OutputSize { get; init; }

    /// <summary>Largest |Δ| / max(1, |expected|) over all values: the scaled error.</summary>
    public static double MaxScaledError(float[] expected, float[] actual)
    {
        if (expected.Length != actual.Length) return double.PositiveInfinity;
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]) / Math.Max(1.0, Math.Abs(expected[i])));
        return worst;
    }

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", file);

    public static ReferenceFixture Load(string name)
    {
        var file = SafetensorsFile.Read(PathOf(name + ".expected.safetensors"));
        file.TryGet("x", out var x);
        file.TryGet("y", out var y);
        var h = file.TryGet("h_final", out var hf) ? hf : null;
        return new ReferenceFixture
        {
            Name = name,
            X = x.ToFloat32(),
            Y = y.ToFloat32(),
            HFinal = h?.ToFloat32() ?? Array.Empty<float>(), // the Keras fixtures have no h_final
            Steps = (int)x.Shape[0],
            InputSize = (int)x.Shape[1],
            OutputSize = (int)y.Shape[1],
        };
    }
}

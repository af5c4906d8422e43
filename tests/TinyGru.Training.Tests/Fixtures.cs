using TinyGru.Model;
using TinyGru.Training;

namespace TinyGru.Training.Tests;

/// <summary>Reference files copied next to the test assembly (tests/fixtures) and small random networks.</summary>
internal static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>A network with every parameter drawn from U(−scale, scale).</summary>
    public static GruParameters RandomNetwork(Random random, GateConvention convention, int inputs, int[] hidden, int outputs, float scale = 0.5f)
    {
        var shape = new GruNetworkShape(convention, inputs, hidden, outputs);
        var values = new float[shape.ParameterCount];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return new GruParameters(shape, values);
    }

    /// <summary>A network of <paramref name="shape"/> with every parameter drawn from U(−scale, scale).</summary>
    public static GruParameters RandomNetwork(Random random, GruNetworkShape shape, float scale = 0.5f)
    {
        var values = new float[shape.ParameterCount];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return new GruParameters(shape, values);
    }

    public static float[] RandomValues(Random random, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    /// <summary>max |a − b| / max |b|: the error of a tensor relative to its reference's size.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> reference)
    {
        double diff = 0, size = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)actual[i] - reference[i]));
            size = Math.Max(size, Math.Abs((double)reference[i]));
        }
        return size == 0 ? diff : diff / size;
    }
}

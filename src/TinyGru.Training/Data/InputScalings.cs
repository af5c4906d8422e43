using System.Globalization;

namespace TinyGru.Training;

/// <summary>
/// Choosing the input scaling (<c>tinygru train --scale</c>). Per-feature z-scoring is right for features in different
/// units, but it divides a feature that is nearly always 0 (the edge pixels of the digits) by its tiny standard
/// deviation, so its rare non-zero values become tens of standard deviations: on digits that cost about 0.4 points of
/// accuracy against one scale for all pixels (docs/benchmarks.md).
/// </summary>
public static class InputScalings
{
    /// <summary>
    /// <c>auto</c> picks <see cref="InputScaling.PooledStd"/> when the features look like one quantity on one scale:
    /// at least two features, every one of them from exactly 0 upwards (0 meaning "nothing", as for intensities,
    /// pixels and counts), and the smallest feature maximum at least this fraction of the largest.
    /// </summary>
    public const double SharedScaleRatio = 0.25;

    /// <summary>What <see cref="InputScaling.Auto"/> means for <paramref name="rows"/> training rows of <paramref name="inputs"/> features, and why.</summary>
    public static (InputScaling Scaling, string Reason) Resolve(int rows, int inputs, Func<int, int, float> value)
    {
        if (inputs < 2 || rows == 0) return (InputScaling.Feature, "one feature");
        var min = Enumerable.Repeat(float.PositiveInfinity, inputs).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, inputs).ToArray();
        for (int r = 0; r < rows; r++)
            for (int f = 0; f < inputs; f++)
            {
                float v = value(r, f);
                if (v < min[f]) min[f] = v;
                if (v > max[f]) max[f] = v;
            }
        var inv = CultureInfo.InvariantCulture;
        if (min.Any(m => m != 0))
            return (InputScaling.Feature, "not every feature starts at 0");
        float largest = max.Max(), smallest = max.Min();
        if (!(largest > 0) || smallest < SharedScaleRatio * largest)
            return (InputScaling.Feature, $"feature maxima {smallest.ToString("G4", inv)} … {largest.ToString("G4", inv)} differ by more than {(1 / SharedScaleRatio).ToString(inv)}×");
        return (InputScaling.PooledStd, $"every feature from 0, maxima {smallest.ToString("G4", inv)} … {largest.ToString("G4", inv)}: one scale");
    }

    /// <summary>The --scale name: auto, feature, pooled, pooled-std or none.</summary>
    public static string Name(InputScaling scaling) => scaling switch
    {
        InputScaling.PooledStd => "pooled-std",
        _ => scaling.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses a --scale value.</summary>
    public static InputScaling Parse(string text) => text switch
    {
        "auto" => InputScaling.Auto,
        "feature" => InputScaling.Feature,
        "pooled" => InputScaling.Pooled,
        "pooled-std" => InputScaling.PooledStd,
        "none" => InputScaling.None,
        _ => throw new TrainingException($"--scale: '{text}' is not one of auto, feature, pooled, pooled-std, none"),
    };
}

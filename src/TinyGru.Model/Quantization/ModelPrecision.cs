namespace TinyGru.Model.Quantization;

/// <summary>How a model's numbers are stored and computed (docs/quantization.md).</summary>
public enum ModelPrecision
{
    /// <summary>float32 weights, activations and state.</summary>
    Float32,

    /// <summary>int8 weights with one float32 scale per row; float32 activations and state ("int8-weights").</summary>
    Int8Weights,

    /// <summary>Integer-only: int8 weights, int8 inputs, Q0.15 state, int32 accumulators, table activations ("int8").</summary>
    Int8,
}

/// <summary>Names of <see cref="ModelPrecision"/> values in files and on the command line.</summary>
public static class ModelPrecisions
{
    /// <summary>"float32", "int8-weights" or "int8".</summary>
    public static string Name(ModelPrecision p) => p switch
    {
        ModelPrecision.Int8Weights => "int8-weights",
        ModelPrecision.Int8 => "int8",
        _ => "float32",
    };

    /// <summary>Parses a precision name.</summary>
    public static bool TryParse(string text, out ModelPrecision precision)
    {
        foreach (ModelPrecision p in Enum.GetValues(typeof(ModelPrecision)))
            if (Name(p) == text) { precision = p; return true; }
        precision = ModelPrecision.Float32;
        return false;
    }
}

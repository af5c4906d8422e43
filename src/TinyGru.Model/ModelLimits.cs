namespace TinyGru.Model;

/// <summary>
/// Sizes TinyGru accepts. They bound memory use when reading untrusted files and keep generated code within
/// what compilers handle; see docs/model-format.md.
/// </summary>
public static class ModelLimits
{
    /// <summary>Largest hidden size H of any layer.</summary>
    public const int MaxHiddenSize = 4096;

    /// <summary>Largest input size I.</summary>
    public const int MaxInputSize = 65536;

    /// <summary>Largest number of head outputs O.</summary>
    public const int MaxOutputSize = 65536;

    /// <summary>Largest number of stacked GRU layers.</summary>
    public const int MaxLayers = 64;

    /// <summary>Largest total parameter count (256 MiB of float32).</summary>
    public const long MaxParameters = 64L * 1024 * 1024;

    /// <summary>Largest number of dense layers in the head (hidden dense layers plus the output layer).</summary>
    public const int MaxDenseLayers = 8;

    /// <summary>Largest width (output size) of a hidden dense layer.</summary>
    public const int MaxDenseWidth = 4096;

    /// <summary>Largest vocabulary V of a token embedding (ids 0 … V−1).</summary>
    public const int MaxVocabularySize = 1 << 20;

    /// <summary>Largest number of class labels' characters in one label.</summary>
    public const int MaxLabelLength = 256;
}

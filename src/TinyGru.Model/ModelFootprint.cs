namespace TinyGru.Model;

/// <summary>
/// Memory a model needs, by precision. int8 figures assume the planned weight-only scheme: int8 matrices with
/// one float32 scale per row and float32 biases (docs/model-format.md).
/// </summary>
public sealed class ModelFootprint
{
    private ModelFootprint(long float32WeightBytes, long int8WeightBytes, long stateBytes)
    {
        Float32WeightBytes = float32WeightBytes;
        Int8WeightBytes = int8WeightBytes;
        StateBytes = stateBytes;
    }

    /// <summary>Bytes of all layer and head parameters as float32 (normalization excluded).</summary>
    public long Float32WeightBytes { get; }

    /// <summary>Bytes as int8 matrices plus float32 row scales and biases.</summary>
    public long Int8WeightBytes { get; }

    /// <summary>Bytes of recurrent state as float32 (every layer's H).</summary>
    public long StateBytes { get; }

    /// <summary>Computes the footprint of <paramref name="model"/>.</summary>
    public static ModelFootprint Of(GruModel model)
    {
        long int8 = 0;
        foreach (var l in model.Layers)
        {
            long rows = 3L * l.HiddenSize;
            int8 += rows * l.InputSize + rows * l.HiddenSize   // W, U as int8
                  + 2 * rows * 4                                // one scale per row of W and U
                  + 2 * rows * 4;                               // b_i, b_h
        }
        if (model.Head is { } head)
            int8 += (long)head.OutputSize * head.InputSize + 2L * head.OutputSize * 4;
        return new ModelFootprint(model.ParameterCount * 4, int8, model.StateSize * 4L);
    }
}

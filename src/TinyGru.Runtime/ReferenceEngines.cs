using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Runtime;

/// <summary>Picks the reference engine for a model's precision.</summary>
public static class ReferenceEngines
{
    /// <summary>
    /// <see cref="Int8ReferenceEngine"/> for integer-only int8 models; <see cref="GruReferenceEngine"/> otherwise (an
    /// int8-weights model's float weights are its dequantized int8 values, which is exactly what it computes with).
    /// </summary>
    public static IGruModel Create(GruModel model) =>
        model.Precision == ModelPrecision.Int8 ? new Int8ReferenceEngine(model) : new GruReferenceEngine(model);
}

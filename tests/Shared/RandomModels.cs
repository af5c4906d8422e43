using TinyGru.Model;

namespace TinyGru.Tests;

/// <summary>Random models for property tests (uniform weights in ±scale); shared by the test projects as a linked file.</summary>
internal static class RandomModels
{
    public static GruModel Create(Random rng, GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation, float scale = 0.5f)
    {
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
        var layers = new List<GruLayerSpec>();
        int input = inputs;
        foreach (int h in hidden)
        {
            layers.Add(new GruLayerSpec(input, h, R(3 * h * input), R(3 * h * h), R(3 * h), R(3 * h)));
            input = h;
        }
        var head = new DenseHeadSpec(input, outputs, R(outputs * input), R(outputs), activation);
        return new GruModel(convention, layers, head);
    }

    /// <summary>
    /// The generated-code sweeps' model variants: <paramref name="variant"/> 0 is <paramref name="model"/> as it is,
    /// 1 drops the head, 2 adds input normalization (means in ±5, standard deviations 0.5–3.5) and output scaling
    /// (scales in ±<paramref name="outputScaleSpread"/>, offsets in ±2), with <paramref name="metadata"/> if given.
    /// </summary>
    public static GruModel Variant(GruModel model, Random rng, int variant, double outputScaleSpread = 2, ModelMetadata? metadata = null)
    {
        float[] Uniform(int n, double low, double high) => Enumerable.Range(0, n).Select(_ => (float)(low + rng.NextDouble() * (high - low))).ToArray();
        return variant switch
        {
            0 => model,
            1 => new GruModel(model.Convention, model.Layers, null),
            2 => new GruModel(model.Convention, model.Layers, model.Head,
                new InputNormalization(Uniform(model.InputSize, -5, 5), Uniform(model.InputSize, 0.5, 3.5)),
                new OutputScaling(Uniform(model.OutputSize, -outputScaleSpread, outputScaleSpread), Uniform(model.OutputSize, -2, 2)),
                metadata),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "0 plain, 1 no head, 2 normalization and output scaling"),
        };
    }

    /// <summary>
    /// <paramref name="model"/> (its GRU layers, convention and head output size/activation) with hidden dense layers of
    /// <paramref name="widths"/> and <paramref name="activations"/> before a new head, <paramref name="gates"/> as the gate
    /// activation and, when <paramref name="vocabulary"/> &gt; 0, a token embedding [vocabulary, I] (weights uniform in ±scale,
    /// the embedding in ±1). Normalization is dropped for token models.
    /// </summary>
    public static GruModel Extended(GruModel model, Random rng, int[] widths, HeadActivation[] activations, GateActivation gates,
        int vocabulary = 0, HeadActivation? headActivation = null, float scale = 0.5f)
    {
        float[] R(int n, float s) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * s).ToArray();
        var hidden = new List<DenseHeadSpec>();
        int input = model.LastHiddenSize;
        for (int d = 0; d < widths.Length; d++)
        {
            hidden.Add(new DenseHeadSpec(input, widths[d], R(widths[d] * input, scale), R(widths[d], scale), activations[d]));
            input = widths[d];
        }
        var oldHead = model.Head;
        int outputs = oldHead?.OutputSize ?? 3;
        var head = new DenseHeadSpec(input, outputs, R(outputs * input, scale), R(outputs, scale), headActivation ?? oldHead?.Activation ?? HeadActivation.None);
        var embedding = vocabulary > 0 ? new TokenEmbedding(vocabulary, model.InputSize, R(vocabulary * model.InputSize, 1f)) : null;
        return new GruModel(model.Convention, model.Layers, head, embedding is null ? model.InputNormalization : null, model.OutputScaling, model.Metadata,
            null, hidden, embedding, gates);
    }
}

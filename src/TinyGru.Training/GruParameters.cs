using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>
/// The trainable parameters of a network as one flat vector (layout in <see cref="GruNetworkShape"/>), so the
/// optimizer, clipping and best-weight snapshots are single loops. Converts to and from <see cref="GruModel"/>.
/// </summary>
public sealed class GruParameters
{
    /// <summary>Wraps a flat parameter vector of <paramref name="shape"/>.</summary>
    public GruParameters(GruNetworkShape shape, float[] values)
    {
        Shape = shape ?? throw new ArgumentNullException(nameof(shape));
        Values = values ?? throw new ArgumentNullException(nameof(values));
        if (values.Length != shape.ParameterCount)
            throw new ArgumentException($"expected {shape.ParameterCount} parameters, got {values.Length}", nameof(values));
    }

    /// <summary>The network's sizes.</summary>
    public GruNetworkShape Shape { get; }

    /// <summary>The flat parameter vector.</summary>
    public float[] Values { get; }

    /// <summary>
    /// PyTorch's initialization: every GRU weight and bias from U(−1/√H, 1/√H) (<c>nn.GRU</c>), each dense layer's
    /// weight and bias from U(−1/√in, 1/√in) (<c>nn.Linear</c>), the embedding from N(0, 1) (<c>nn.Embedding</c>).
    /// Drawn in that order, so a network without hidden dense layers or an embedding gets the same weights from a seed
    /// as before they existed.
    /// </summary>
    public static GruParameters Initialize(GruNetworkShape shape, Random random)
    {
        var values = new float[shape.ParameterCount];
        for (int k = 0; k < shape.LayerCount; k++)
        {
            float bound = 1f / MathF.Sqrt(shape.HiddenSize(k));
            int start = shape.InputWeights(k).Offset, end = shape.RecurrentBias(k).Offset + shape.RecurrentBias(k).Length;
            for (int i = start; i < end; i++) values[i] = Uniform(random, bound);
        }
        for (int d = 0; d < shape.DenseCount; d++)
        {
            float bound = 1f / MathF.Sqrt(shape.DenseInputSize(d));
            int start = shape.DenseWeight(d).Offset, end = shape.DenseBias(d).Offset + shape.DenseBias(d).Length;
            for (int i = start; i < end; i++) values[i] = Uniform(random, bound);
        }
        var table = shape.Embedding.Of(values);
        for (int i = 0; i < table.Length; i++) table[i] = Normal(random);
        return new GruParameters(shape, values);
    }

    /// <summary>Copies a model's embedding, layers and dense layers (the model must have a head).</summary>
    public static GruParameters FromModel(GruModel model)
    {
        var shape = GruNetworkShape.Of(model);
        var values = new float[shape.ParameterCount];
        for (int k = 0; k < shape.LayerCount; k++)
        {
            var l = model.Layers[k];
            l.InputWeights.CopyTo(shape.InputWeights(k).Of(values));
            l.RecurrentWeights.CopyTo(shape.RecurrentWeights(k).Of(values));
            l.InputBias.CopyTo(shape.InputBias(k).Of(values));
            l.RecurrentBias.CopyTo(shape.RecurrentBias(k).Of(values));
        }
        var dense = model.DenseLayers;
        for (int d = 0; d < dense.Count; d++)
        {
            dense[d].Weight.CopyTo(shape.DenseWeight(d).Of(values));
            dense[d].Bias.CopyTo(shape.DenseBias(d).Of(values));
        }
        model.Embedding?.Table.CopyTo(shape.Embedding.Of(values));
        return new GruParameters(shape, values);
    }

    /// <summary>
    /// The model these parameters describe, with <paramref name="activation"/> on the head (copies the arrays; validates
    /// like any <see cref="GruModel"/>).
    /// </summary>
    public GruModel ToModel(HeadActivation activation, InputNormalization? inputNormalization = null, OutputScaling? outputScaling = null, ModelMetadata? metadata = null,
        SeriesTransform? seriesTransform = null)
    {
        var s = Shape;
        var layers = new GruLayerSpec[s.LayerCount];
        for (int k = 0; k < layers.Length; k++)
            layers[k] = new GruLayerSpec(s.LayerInputSize(k), s.HiddenSize(k),
                s.InputWeights(k).Of(Values).ToArray(), s.RecurrentWeights(k).Of(Values).ToArray(),
                s.InputBias(k).Of(Values).ToArray(), s.RecurrentBias(k).Of(Values).ToArray());
        var dense = new DenseHeadSpec[s.DenseCount];
        for (int d = 0; d < dense.Length; d++)
            dense[d] = new DenseHeadSpec(s.DenseInputSize(d), s.DenseOutputSize(d), s.DenseWeight(d).Of(Values).ToArray(), s.DenseBias(d).Of(Values).ToArray(),
                d == dense.Length - 1 ? activation : s.DenseActivation(d));
        var embedding = s.VocabularySize is int v ? new TokenEmbedding(v, s.InputSize, s.Embedding.Of(Values).ToArray()) : null;
        return new GruModel(s.Convention, layers, dense[^1], inputNormalization, outputScaling, metadata,
            hiddenDenseLayers: dense[..^1], embedding: embedding, seriesTransform: seriesTransform);
    }

    /// <summary>A deep copy.</summary>
    public GruParameters Clone() => new(Shape, (float[])Values.Clone());

    private static float Uniform(Random random, float bound) => (float)((random.NextDouble() * 2 - 1) * bound);

    /// <summary>N(0, 1) by Box–Muller.</summary>
    private static float Normal(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}

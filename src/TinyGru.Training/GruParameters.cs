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
    /// PyTorch's initialization: every GRU weight and bias from U(−1/√H, 1/√H) (<c>nn.GRU</c>), the head's
    /// weight and bias from U(−1/√H, 1/√H) (<c>nn.Linear</c> with fan-in H).
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
        float headBound = 1f / MathF.Sqrt(shape.LastHiddenSize);
        for (int i = shape.HeadWeight.Offset; i < values.Length; i++) values[i] = Uniform(random, headBound);
        return new GruParameters(shape, values);
    }

    /// <summary>Copies a model's layers and head (the model must have a head).</summary>
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
        model.Head!.Weight.CopyTo(shape.HeadWeight.Of(values));
        model.Head.Bias.CopyTo(shape.HeadBias.Of(values));
        return new GruParameters(shape, values);
    }

    /// <summary>The model these parameters describe (copies the arrays; validates like any <see cref="GruModel"/>).</summary>
    public GruModel ToModel(HeadActivation activation, InputNormalization? inputNormalization = null, OutputScaling? outputScaling = null, ModelMetadata? metadata = null,
        SeriesTransform? seriesTransform = null)
    {
        var layers = new GruLayerSpec[Shape.LayerCount];
        for (int k = 0; k < layers.Length; k++)
            layers[k] = new GruLayerSpec(Shape.LayerInputSize(k), Shape.HiddenSize(k),
                Shape.InputWeights(k).Of(Values).ToArray(), Shape.RecurrentWeights(k).Of(Values).ToArray(),
                Shape.InputBias(k).Of(Values).ToArray(), Shape.RecurrentBias(k).Of(Values).ToArray());
        var head = new DenseHeadSpec(Shape.LastHiddenSize, Shape.OutputSize,
            Shape.HeadWeight.Of(Values).ToArray(), Shape.HeadBias.Of(Values).ToArray(), activation);
        return new GruModel(Shape.Convention, layers, head, inputNormalization, outputScaling, metadata, seriesTransform: seriesTransform);
    }

    /// <summary>A deep copy.</summary>
    public GruParameters Clone() => new(Shape, (float[])Values.Clone());

    private static float Uniform(Random random, float bound) => (float)((random.NextDouble() * 2 - 1) * bound);
}

using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>A run of floats inside a flat array: one tensor of the parameter vector.</summary>
public readonly record struct TensorSlice(int Offset, int Length)
{
    /// <summary>The slice of <paramref name="flat"/>.</summary>
    public Span<float> Of(float[] flat) => flat.AsSpan(Offset, Length);
}

/// <summary>
/// Sizes of a trainable network — stacked GRU layers and a dense head — and where each tensor lives in the
/// flat parameter vector. Tensors are in <see cref="GruModel"/>'s canonical layout and in the TinyGru file's
/// order: per layer W [3H, I], U [3H, H], b_i [3H], b_h [3H]; then head W [O, H], head b [O].
/// </summary>
public sealed class GruNetworkShape
{
    private readonly int[] _hidden;
    private readonly int[] _layerOffsets;
    private readonly int[] _transposedOffsets;

    /// <summary>Creates a shape.</summary>
    public GruNetworkShape(GateConvention convention, int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize)
    {
        if (inputSize < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), "input size must be at least 1");
        if (hiddenSizes is null || hiddenSizes.Count == 0) throw new ArgumentException("at least one GRU layer is needed", nameof(hiddenSizes));
        if (hiddenSizes.Any(h => h < 1)) throw new ArgumentOutOfRangeException(nameof(hiddenSizes), "hidden sizes must be at least 1");
        if (outputSize < 1) throw new ArgumentOutOfRangeException(nameof(outputSize), "output size must be at least 1");
        Convention = convention;
        InputSize = inputSize;
        OutputSize = outputSize;
        _hidden = hiddenSizes.ToArray();
        _layerOffsets = new int[_hidden.Length + 1];
        _transposedOffsets = new int[_hidden.Length + 1];
        int offset = 0, transposed = 0;
        for (int k = 0; k < _hidden.Length; k++)
        {
            _layerOffsets[k] = offset;
            _transposedOffsets[k] = transposed;
            int h = _hidden[k], i = LayerInputSize(k);
            offset += 3 * h * i + 3 * h * h + 6 * h;
            transposed += 3 * h * i + 3 * h * h;
        }
        _layerOffsets[_hidden.Length] = offset;
        _transposedOffsets[_hidden.Length] = transposed;
        ParameterCount = offset + outputSize * LastHiddenSize + outputSize;
        TransposedCount = transposed + outputSize * LastHiddenSize;
        MaxHiddenSize = _hidden.Max();
    }

    /// <summary>Gate convention of every layer.</summary>
    public GateConvention Convention { get; }

    /// <summary>Input features per timestep I.</summary>
    public int InputSize { get; }

    /// <summary>Head outputs O.</summary>
    public int OutputSize { get; }

    /// <summary>Number of GRU layers.</summary>
    public int LayerCount => _hidden.Length;

    /// <summary>Hidden sizes, first layer to last.</summary>
    public IReadOnlyList<int> HiddenSizes => _hidden;

    /// <summary>The largest hidden size.</summary>
    public int MaxHiddenSize { get; }

    /// <summary>Hidden size of the last layer (the head's input).</summary>
    public int LastHiddenSize => _hidden[^1];

    /// <summary>Length of the flat parameter vector.</summary>
    public int ParameterCount { get; }

    /// <summary>Length of the flat vector of transposed weight copies the forward kernels read.</summary>
    internal int TransposedCount { get; }

    /// <summary>Hidden size of layer <paramref name="k"/>.</summary>
    public int HiddenSize(int k) => _hidden[k];

    /// <summary>Input size of layer <paramref name="k"/>: I for the first, the previous H otherwise.</summary>
    public int LayerInputSize(int k) => k == 0 ? InputSize : _hidden[k - 1];

    /// <summary>W of layer k: [3H, I].</summary>
    public TensorSlice InputWeights(int k) => new(_layerOffsets[k], 3 * _hidden[k] * LayerInputSize(k));

    /// <summary>U of layer k: [3H, H].</summary>
    public TensorSlice RecurrentWeights(int k) => new(InputWeights(k).Offset + InputWeights(k).Length, 3 * _hidden[k] * _hidden[k]);

    /// <summary>b_i of layer k: [3H].</summary>
    public TensorSlice InputBias(int k) => new(RecurrentWeights(k).Offset + RecurrentWeights(k).Length, 3 * _hidden[k]);

    /// <summary>b_h of layer k: [3H].</summary>
    public TensorSlice RecurrentBias(int k) => new(InputBias(k).Offset + 3 * _hidden[k], 3 * _hidden[k]);

    /// <summary>Head W: [O, H].</summary>
    public TensorSlice HeadWeight => new(_layerOffsets[^1], OutputSize * LastHiddenSize);

    /// <summary>Head b: [O].</summary>
    public TensorSlice HeadBias => new(_layerOffsets[^1] + OutputSize * LastHiddenSize, OutputSize);

    /// <summary>Wᵀ of layer k in the transposed vector: [I, 3H].</summary>
    internal TensorSlice TransposedInputWeights(int k) => new(_transposedOffsets[k], 3 * _hidden[k] * LayerInputSize(k));

    /// <summary>Uᵀ of layer k in the transposed vector: [H, 3H].</summary>
    internal TensorSlice TransposedRecurrentWeights(int k) => new(_transposedOffsets[k] + 3 * _hidden[k] * LayerInputSize(k), 3 * _hidden[k] * _hidden[k]);

    /// <summary>Head Wᵀ in the transposed vector: [H, O].</summary>
    internal TensorSlice TransposedHeadWeight => new(_transposedOffsets[^1], OutputSize * LastHiddenSize);

    /// <summary>The shape of a model's layers and head.</summary>
    public static GruNetworkShape Of(GruModel model)
    {
        if (model.Head is null) throw new ArgumentException("the trainer needs a model with a dense head", nameof(model));
        return new GruNetworkShape(model.Convention, model.InputSize, model.Layers.Select(l => l.HiddenSize).ToArray(), model.OutputSize);
    }
}

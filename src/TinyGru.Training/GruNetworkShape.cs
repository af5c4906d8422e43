using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>A run of floats inside a flat array: one tensor of the parameter vector.</summary>
public readonly record struct TensorSlice(int Offset, int Length)
{
    /// <summary>The slice of <paramref name="flat"/>.</summary>
    public Span<float> Of(float[] flat) => flat.AsSpan(Offset, Length);
}

/// <summary>
/// Sizes of a trainable network — an optional token embedding, stacked GRU layers, optional hidden dense layers and a
/// dense head — and where each tensor lives in the flat parameter vector. Tensors are in <see cref="GruModel"/>'s
/// canonical layout: per layer W [3H, I], U [3H, H], b_i [3H], b_h [3H]; then per dense layer (hidden ones first, the
/// head last) W [out, in], b [out]; then the embedding table [V, E]. The embedding comes last so that a network without
/// one has the same layout (and the same initialization from a seed) as before embeddings existed.
/// </summary>
public sealed class GruNetworkShape
{
    private readonly int[] _hidden;
    private readonly int[] _dense;          // output size of every dense layer, the head last
    private readonly HeadActivation[] _denseActivations;   // one per hidden dense layer
    private readonly int[] _layerOffsets;
    private readonly int[] _denseOffsets;
    private readonly int[] _transposedOffsets;
    private readonly int[] _transposedDenseOffsets;

    /// <summary>
    /// Creates a shape. <paramref name="inputSize"/> is the first GRU layer's input size: the embedding size E when
    /// <paramref name="vocabularySize"/> is given. <paramref name="denseSizes"/> are the widths of the hidden dense
    /// layers between the last GRU layer and the head (none by default), each followed by its entry of
    /// <paramref name="denseActivations"/> (none, relu, tanh or sigmoid).
    /// </summary>
    public GruNetworkShape(GateConvention convention, int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize,
        IReadOnlyList<int>? denseSizes = null, IReadOnlyList<HeadActivation>? denseActivations = null, int? vocabularySize = null)
    {
        if (inputSize < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), "input size must be at least 1");
        if (hiddenSizes is null || hiddenSizes.Count == 0) throw new ArgumentException("at least one GRU layer is needed", nameof(hiddenSizes));
        if (hiddenSizes.Any(h => h < 1)) throw new ArgumentOutOfRangeException(nameof(hiddenSizes), "hidden sizes must be at least 1");
        if (outputSize < 1) throw new ArgumentOutOfRangeException(nameof(outputSize), "output size must be at least 1");
        denseSizes ??= Array.Empty<int>();
        denseActivations ??= Enumerable.Repeat(HeadActivation.Relu, denseSizes.Count).ToArray();
        if (denseSizes.Any(d => d < 1)) throw new ArgumentOutOfRangeException(nameof(denseSizes), "dense widths must be at least 1");
        if (denseActivations.Count != denseSizes.Count)
            throw new ArgumentException($"{denseActivations.Count} dense activations for {denseSizes.Count} hidden dense layers", nameof(denseActivations));
        if (denseActivations.Any(a => a == HeadActivation.Softmax))
            throw new ArgumentException("a hidden dense layer's activation is none, relu, tanh or sigmoid", nameof(denseActivations));
        if (vocabularySize is int v && v < 1) throw new ArgumentOutOfRangeException(nameof(vocabularySize), "the vocabulary must hold at least 1 id");
        Convention = convention;
        InputSize = inputSize;
        OutputSize = outputSize;
        VocabularySize = vocabularySize;
        _hidden = hiddenSizes.ToArray();
        _dense = denseSizes.Append(outputSize).ToArray();
        _denseActivations = denseActivations.ToArray();
        _layerOffsets = new int[_hidden.Length + 1];
        _transposedOffsets = new int[_hidden.Length + 1];
        long offset = 0, transposed = 0;
        for (int k = 0; k < _hidden.Length; k++)
        {
            _layerOffsets[k] = checked((int)offset);
            _transposedOffsets[k] = checked((int)transposed);
            long h = _hidden[k], i = LayerInputSize(k);
            offset += 3 * h * i + 3 * h * h + 6 * h;
            transposed += 3 * h * i + 3 * h * h;
        }
        _layerOffsets[_hidden.Length] = checked((int)offset);
        _transposedOffsets[_hidden.Length] = checked((int)transposed);
        _denseOffsets = new int[_dense.Length];
        _transposedDenseOffsets = new int[_dense.Length];
        for (int d = 0; d < _dense.Length; d++)
        {
            _denseOffsets[d] = checked((int)offset);
            _transposedDenseOffsets[d] = checked((int)transposed);
            long weights = (long)_dense[d] * DenseInputSize(d);
            offset += weights + _dense[d];
            transposed += weights;
        }
        EmbeddingOffset = checked((int)offset);
        if (vocabularySize is int vocabulary) offset += (long)vocabulary * inputSize;
        ParameterCount = checked((int)offset);
        TransposedCount = checked((int)transposed);
        MaxHiddenSize = _hidden.Max();
    }

    /// <summary>Gate convention of every layer.</summary>
    public GateConvention Convention { get; }

    /// <summary>Input size of the first GRU layer: features per timestep I, or the embedding size E of a token network.</summary>
    public int InputSize { get; }

    /// <summary>Head outputs O.</summary>
    public int OutputSize { get; }

    /// <summary>The number of token ids V of a token network (its input is one id per step), or null.</summary>
    public int? VocabularySize { get; }

    /// <summary>True when the input is one token id per step, looked up in the embedding table.</summary>
    public bool IsTokenInput => VocabularySize is not null;

    /// <summary>Values per step the data holds: 1 (the token id) for a token network, else <see cref="InputSize"/>.</summary>
    public int StepInputSize => IsTokenInput ? 1 : InputSize;

    /// <summary>Number of GRU layers.</summary>
    public int LayerCount => _hidden.Length;

    /// <summary>Hidden sizes, first layer to last.</summary>
    public IReadOnlyList<int> HiddenSizes => _hidden;

    /// <summary>The largest hidden size.</summary>
    public int MaxHiddenSize { get; }

    /// <summary>Hidden size of the last layer (the dense stack's input).</summary>
    public int LastHiddenSize => _hidden[^1];

    /// <summary>Number of dense layers, the head included (1 for the plain head).</summary>
    public int DenseCount => _dense.Length;

    /// <summary>Widths of the hidden dense layers (empty for the plain head).</summary>
    public IReadOnlyList<int> HiddenDenseSizes => _dense[..^1];

    /// <summary>Activations of the hidden dense layers.</summary>
    public IReadOnlyList<HeadActivation> HiddenDenseActivations => _denseActivations;

    /// <summary>Length of the flat parameter vector.</summary>
    public int ParameterCount { get; }

    /// <summary>Length of the flat vector of transposed weight copies the forward kernels read.</summary>
    internal int TransposedCount { get; }

    /// <summary>Hidden size of layer <paramref name="k"/>.</summary>
    public int HiddenSize(int k) => _hidden[k];

    /// <summary>Input size of layer <paramref name="k"/>: I (or E) for the first, the previous H otherwise.</summary>
    public int LayerInputSize(int k) => k == 0 ? InputSize : _hidden[k - 1];

    /// <summary>W of layer k: [3H, I].</summary>
    public TensorSlice InputWeights(int k) => new(_layerOffsets[k], 3 * _hidden[k] * LayerInputSize(k));

    /// <summary>U of layer k: [3H, H].</summary>
    public TensorSlice RecurrentWeights(int k) => new(InputWeights(k).Offset + InputWeights(k).Length, 3 * _hidden[k] * _hidden[k]);

    /// <summary>b_i of layer k: [3H].</summary>
    public TensorSlice InputBias(int k) => new(RecurrentWeights(k).Offset + RecurrentWeights(k).Length, 3 * _hidden[k]);

    /// <summary>b_h of layer k: [3H].</summary>
    public TensorSlice RecurrentBias(int k) => new(InputBias(k).Offset + 3 * _hidden[k], 3 * _hidden[k]);

    /// <summary>Output size of dense layer <paramref name="d"/> (the head is the last, <see cref="DenseCount"/> − 1).</summary>
    public int DenseOutputSize(int d) => _dense[d];

    /// <summary>Input size of dense layer <paramref name="d"/>: the last GRU layer's H for the first, the previous width otherwise.</summary>
    public int DenseInputSize(int d) => d == 0 ? LastHiddenSize : _dense[d - 1];

    /// <summary>Activation of hidden dense layer <paramref name="d"/> (d &lt; <see cref="DenseCount"/> − 1).</summary>
    public HeadActivation DenseActivation(int d) => _denseActivations[d];

    /// <summary>W of dense layer d: [out, in].</summary>
    public TensorSlice DenseWeight(int d) => new(_denseOffsets[d], _dense[d] * DenseInputSize(d));

    /// <summary>b of dense layer d: [out].</summary>
    public TensorSlice DenseBias(int d) => new(_denseOffsets[d] + _dense[d] * DenseInputSize(d), _dense[d]);

    /// <summary>Head W: [O, in].</summary>
    public TensorSlice HeadWeight => DenseWeight(_dense.Length - 1);

    /// <summary>Head b: [O].</summary>
    public TensorSlice HeadBias => DenseBias(_dense.Length - 1);

    /// <summary>Where the embedding table starts (the end of the vector for a network without one).</summary>
    private int EmbeddingOffset { get; }

    /// <summary>The embedding table [V, E] (empty without one).</summary>
    public TensorSlice Embedding => new(EmbeddingOffset, ParameterCount - EmbeddingOffset);

    /// <summary>Wᵀ of layer k in the transposed vector: [I, 3H].</summary>
    internal TensorSlice TransposedInputWeights(int k) => new(_transposedOffsets[k], 3 * _hidden[k] * LayerInputSize(k));

    /// <summary>Uᵀ of layer k in the transposed vector: [H, 3H].</summary>
    internal TensorSlice TransposedRecurrentWeights(int k) => new(_transposedOffsets[k] + 3 * _hidden[k] * LayerInputSize(k), 3 * _hidden[k] * _hidden[k]);

    /// <summary>Wᵀ of dense layer d in the transposed vector: [in, out].</summary>
    internal TensorSlice TransposedDenseWeight(int d) => new(_transposedDenseOffsets[d], _dense[d] * DenseInputSize(d));

    /// <summary>Same sizes, activations and convention.</summary>
    public bool SameAs(GruNetworkShape other) =>
        Convention == other.Convention && InputSize == other.InputSize && OutputSize == other.OutputSize && VocabularySize == other.VocabularySize
        && _hidden.SequenceEqual(other._hidden) && _dense.SequenceEqual(other._dense) && _denseActivations.SequenceEqual(other._denseActivations);

    /// <summary>"E[40, 8] → 8 → 32 → dense 16 relu → 3, reset-after": for messages.</summary>
    public override string ToString()
    {
        var parts = new List<string> { VocabularySize is int v ? $"tokens of {v} ids → embedding {InputSize}" : InputSize.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        parts.AddRange(_hidden.Select(h => h.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        for (int d = 0; d < _dense.Length - 1; d++) parts.Add($"dense {_dense[d]} {TinyGruModelFile.ActivationName(_denseActivations[d])}");
        parts.Add(OutputSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return $"{string.Join(" → ", parts)}, {(Convention == GateConvention.ResetAfter ? "reset-after" : "reset-before")}";
    }

    /// <summary>The shape of a model's embedding, layers and dense layers.</summary>
    public static GruNetworkShape Of(GruModel model)
    {
        if (model.Head is null) throw new ArgumentException("the trainer needs a model with a dense head", nameof(model));
        return new GruNetworkShape(model.Convention, model.InputSize, model.Layers.Select(l => l.HiddenSize).ToArray(), model.OutputSize,
            model.HiddenDenseLayers.Select(d => d.OutputSize).ToArray(), model.HiddenDenseLayers.Select(d => d.Activation).ToArray(),
            model.Embedding?.VocabularySize);
    }
}

using TinyGru.Model.Quantization;

namespace TinyGru.Model;

/// <summary>How the reset gate enters the candidate state n.</summary>
public enum GateConvention
{
    /// <summary>n = tanh(W_n·x + b_in + r ⊙ (U_n·h + b_hn)). PyTorch <c>nn.GRU</c>, ONNX <c>linear_before_reset=1</c>, Keras <c>reset_after=True</c>.</summary>
    ResetAfter,

    /// <summary>n = tanh(W_n·x + U_n·(r ⊙ h) + b_in + b_hn). Keras <c>reset_after=False</c>, ONNX <c>linear_before_reset=0</c>, the classic GRU.</summary>
    ResetBefore,
}

/// <summary>Activation applied to a dense layer's output (the head's, or a hidden dense layer's).</summary>
public enum HeadActivation
{
    /// <summary>Identity.</summary>
    None,
    /// <summary>Softmax over the O outputs.</summary>
    Softmax,
    /// <summary>Element-wise logistic sigmoid.</summary>
    Sigmoid,
    /// <summary>Element-wise tanh.</summary>
    Tanh,
    /// <summary>Element-wise max(x, 0) (format version 3).</summary>
    Relu,
}

/// <summary>What the model's outputs mean.</summary>
public enum ModelTask
{
    /// <summary>Not recorded.</summary>
    Unspecified,
    /// <summary>Outputs are class scores; <see cref="ModelMetadata.ClassLabels"/> may name them.</summary>
    Classification,
    /// <summary>Outputs are real values.</summary>
    Regression,
    /// <summary>Outputs are future values of the input series.</summary>
    Forecast,
}

/// <summary>
/// One GRU layer in TinyGru's canonical layout: gate blocks in the order r, z, n (PyTorch's),
/// weights row-major with one row per output unit, and separate input and recurrent biases.
/// See docs/model-format.md.
/// </summary>
public sealed class GruLayerSpec
{
    /// <summary>Creates a layer. Arrays are owned by the layer afterwards and must not be changed.</summary>
    public GruLayerSpec(int inputSize, int hiddenSize, float[] inputWeights, float[] recurrentWeights, float[] inputBias, float[] recurrentBias)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        InputWeights = inputWeights ?? throw new ArgumentNullException(nameof(inputWeights));
        RecurrentWeights = recurrentWeights ?? throw new ArgumentNullException(nameof(recurrentWeights));
        InputBias = inputBias ?? throw new ArgumentNullException(nameof(inputBias));
        RecurrentBias = recurrentBias ?? throw new ArgumentNullException(nameof(recurrentBias));
    }

    /// <summary>Size of the layer's input vector (I for the first layer, the previous H otherwise).</summary>
    public int InputSize { get; }

    /// <summary>Size of the hidden state H.</summary>
    public int HiddenSize { get; }

    /// <summary>W: [3H, I] row-major, gate blocks r, z, n.</summary>
    public float[] InputWeights { get; }

    /// <summary>U: [3H, H] row-major, gate blocks r, z, n.</summary>
    public float[] RecurrentWeights { get; }

    /// <summary>b_i: [3H], gate blocks r, z, n.</summary>
    public float[] InputBias { get; }

    /// <summary>b_h: [3H], gate blocks r, z, n.</summary>
    public float[] RecurrentBias { get; }

    /// <summary>Number of parameters: 3H·I + 3H·H + 6H.</summary>
    public long ParameterCount => 3L * HiddenSize * InputSize + 3L * HiddenSize * HiddenSize + 6L * HiddenSize;
}

/// <summary>
/// A dense layer y = act(W·x + b). As <see cref="GruModel.Head"/> it is the model's output layer; as one of
/// <see cref="GruModel.HiddenDenseLayers"/> it sits between the last GRU layer and the head.
/// </summary>
public sealed class DenseHeadSpec
{
    /// <summary>Creates a head. Arrays are owned by the head afterwards and must not be changed.</summary>
    public DenseHeadSpec(int inputSize, int outputSize, float[] weight, float[] bias, HeadActivation activation)
    {
        InputSize = inputSize;
        OutputSize = outputSize;
        Weight = weight ?? throw new ArgumentNullException(nameof(weight));
        Bias = bias ?? throw new ArgumentNullException(nameof(bias));
        Activation = activation;
    }

    /// <summary>Input size: the last GRU layer's H, or the previous dense layer's output size.</summary>
    public int InputSize { get; }

    /// <summary>Number of outputs O.</summary>
    public int OutputSize { get; }

    /// <summary>W: [O, H] row-major.</summary>
    public float[] Weight { get; }

    /// <summary>b: [O].</summary>
    public float[] Bias { get; }

    /// <summary>Activation applied after the affine map.</summary>
    public HeadActivation Activation { get; }

    /// <summary>Number of parameters: O·H + O.</summary>
    public long ParameterCount => (long)OutputSize * InputSize + OutputSize;
}

/// <summary>Per-feature input normalization applied before the first layer: x' = (x − mean) / std.</summary>
public sealed class InputNormalization
{
    /// <summary>Creates the normalization. Arrays are owned afterwards and must not be changed.</summary>
    public InputNormalization(float[] mean, float[] std)
    {
        Mean = mean ?? throw new ArgumentNullException(nameof(mean));
        Std = std ?? throw new ArgumentNullException(nameof(std));
    }

    /// <summary>[I] feature means.</summary>
    public float[] Mean { get; }

    /// <summary>[I] feature standard deviations, all &gt; 0.</summary>
    public float[] Std { get; }
}

/// <summary>Per-output de-normalization applied last: y' = y · scale + offset.</summary>
public sealed class OutputScaling
{
    /// <summary>Creates the scaling. Arrays are owned afterwards and must not be changed.</summary>
    public OutputScaling(float[] scale, float[] offset)
    {
        Scale = scale ?? throw new ArgumentNullException(nameof(scale));
        Offset = offset ?? throw new ArgumentNullException(nameof(offset));
    }

    /// <summary>[O] scales.</summary>
    public float[] Scale { get; }

    /// <summary>[O] offsets.</summary>
    public float[] Offset { get; }
}

/// <summary>Descriptive data that does not change the arithmetic.</summary>
public sealed class ModelMetadata
{
    /// <summary>Empty metadata.</summary>
    public static readonly ModelMetadata Empty = new(null, ModelTask.Unspecified, null, null);

    /// <summary>Creates metadata.</summary>
    public ModelMetadata(string? name, ModelTask task, IReadOnlyList<string>? classLabels, IReadOnlyDictionary<string, string>? provenance)
    {
        Name = name;
        Task = task;
        ClassLabels = classLabels ?? Array.Empty<string>();
        Provenance = provenance is null
            ? new SortedDictionary<string, string>(StringComparer.Ordinal)
            : new SortedDictionary<string, string>(provenance.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
    }

    /// <summary>Model name, or null.</summary>
    public string? Name { get; }

    /// <summary>What the outputs mean.</summary>
    public ModelTask Task { get; }

    /// <summary>One name per output for classifiers; empty when not known.</summary>
    public IReadOnlyList<string> ClassLabels { get; }

    /// <summary>Free-form key/value provenance (source format, training settings, metrics), sorted by key.</summary>
    public IReadOnlyDictionary<string, string> Provenance { get; }
}

/// <summary>
/// The one description of a TinyGru model: an optional token embedding, a stack of GRU layers in one gate
/// convention and gate activation, an optional dense head (optionally preceded by hidden dense layers), optional
/// input normalization and output scaling, and metadata. A constructed model is always valid:
/// the constructor runs <see cref="ModelValidator"/> and throws <see cref="ModelFormatException"/> otherwise.
/// </summary>
public sealed class GruModel
{
    /// <summary>Creates and validates a model.</summary>
    public GruModel(
        GateConvention convention,
        IReadOnlyList<GruLayerSpec> layers,
        DenseHeadSpec? head = null,
        InputNormalization? inputNormalization = null,
        OutputScaling? outputScaling = null,
        ModelMetadata? metadata = null,
        ModelQuantization? quantization = null,
        IReadOnlyList<DenseHeadSpec>? hiddenDenseLayers = null,
        TokenEmbedding? embedding = null,
        GateActivation gateActivation = GateActivation.Sigmoid,
        SeriesTransform? seriesTransform = null)
    {
        Convention = convention;
        Layers = (layers ?? throw new ArgumentNullException(nameof(layers))).ToArray();
        Head = head;
        InputNormalization = inputNormalization;
        OutputScaling = outputScaling;
        Metadata = metadata ?? ModelMetadata.Empty;
        Quantization = quantization;
        HiddenDenseLayers = hiddenDenseLayers?.ToArray() ?? Array.Empty<DenseHeadSpec>();
        Embedding = embedding;
        GateActivation = gateActivation;
        SeriesTransform = seriesTransform;
        ModelValidator.Validate(this);
    }

    /// <summary>Gate convention of every layer.</summary>
    public GateConvention Convention { get; }

    /// <summary>The GRU layers, first to last.</summary>
    public IReadOnlyList<GruLayerSpec> Layers { get; }

    /// <summary>
    /// The dense output layer, or null when the output is the last layer's hidden state. Its input is the last GRU
    /// layer's hidden state unless <see cref="HiddenDenseLayers"/> is not empty.
    /// </summary>
    public DenseHeadSpec? Head { get; }

    /// <summary>Input normalization, or null.</summary>
    public InputNormalization? InputNormalization { get; }

    /// <summary>Output scaling, or null.</summary>
    public OutputScaling? OutputScaling { get; }

    /// <summary>Descriptive metadata.</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>
    /// The int8 form of the weights, or null for a float32 model. When present, every float weight of
    /// <see cref="Layers"/> and <see cref="Head"/> equals its dequantized int8 value (q · row scale).
    /// </summary>
    public ModelQuantization? Quantization { get; }

    /// <summary>The precision the model runs in.</summary>
    public ModelPrecision Precision => Quantization?.Precision ?? ModelPrecision.Float32;

    /// <summary>
    /// Dense layers between the last GRU layer and <see cref="Head"/>, first to last; empty for the common single
    /// dense layer (format version 3).
    /// </summary>
    public IReadOnlyList<DenseHeadSpec> HiddenDenseLayers { get; }

    /// <summary>Every dense layer in order: <see cref="HiddenDenseLayers"/> then <see cref="Head"/>; empty without a head.</summary>
    public IReadOnlyList<DenseHeadSpec> DenseLayers =>
        Head is null ? HiddenDenseLayers : HiddenDenseLayers.Concat(new[] { Head }).ToArray();

    /// <summary>The token embedding before the first GRU layer, or null when each step's input is I floats (format version 3).</summary>
    public TokenEmbedding? Embedding { get; }

    /// <summary>The reset and update gates' activation of every layer (format version 3 when not sigmoid).</summary>
    public GateActivation GateActivation { get; }

    /// <summary>True when each step's input is one integer token id (<see cref="Embedding"/> is set).</summary>
    public bool IsTokenInput => Embedding is not null;

    /// <summary>Number of values per step a caller supplies: 1 (the token id) for token models, otherwise <see cref="InputSize"/>.</summary>
    public int StepInputSize => Embedding is null ? InputSize : 1;

    /// <summary>Input size I of the first GRU layer (the embedding size E for token models).</summary>
    public int InputSize => Layers[0].InputSize;

    /// <summary>Output size O (the head's, or the last layer's H without a head).</summary>
    public int OutputSize => Head?.OutputSize ?? Layers[Layers.Count - 1].HiddenSize;

    /// <summary>Hidden size of the last layer.</summary>
    public int LastHiddenSize => Layers[Layers.Count - 1].HiddenSize;

    /// <summary>Number of floats of recurrent state: the sum of every layer's H.</summary>
    public int StateSize => Layers.Sum(l => l.HiddenSize);

    /// <summary>Number of trainable parameters (embedding, layers and dense layers; normalization excluded).</summary>
    public long ParameterCount => Layers.Sum(l => l.ParameterCount) + (Head?.ParameterCount ?? 0)
        + HiddenDenseLayers.Sum(d => d.ParameterCount) + (Embedding?.ParameterCount ?? 0);

    /// <summary>
    /// The series transform of a forecasting model (format version 3), or null: the engines take raw values and return
    /// values in the user's units through it.
    /// </summary>
    public SeriesTransform? SeriesTransform { get; }

    /// <summary>Returns a copy with <paramref name="transform"/> as its series transform (null: none).</summary>
    public GruModel WithSeriesTransform(SeriesTransform? transform) =>
        new(Convention, Layers, Head, InputNormalization, OutputScaling, Metadata, Quantization, HiddenDenseLayers, Embedding, GateActivation, transform);

    /// <summary>Returns a copy with other metadata.</summary>
    public GruModel WithMetadata(ModelMetadata metadata) =>
        new(Convention, Layers, Head, InputNormalization, OutputScaling, metadata, Quantization, HiddenDenseLayers, Embedding, GateActivation, SeriesTransform);

    /// <summary>Returns the float32 model (the dequantized weights, without the int8 form).</summary>
    public GruModel WithoutQuantization() =>
        Quantization is null ? this : new(Convention, Layers, Head, InputNormalization, OutputScaling, Metadata, null, HiddenDenseLayers, Embedding, GateActivation, SeriesTransform);

    /// <summary>Returns a copy with other input normalization and output scaling (null removes them).</summary>
    public GruModel WithScaling(InputNormalization? inputNormalization, OutputScaling? outputScaling) =>
        new(Convention, Layers, Head, inputNormalization, outputScaling, Metadata, Quantization, HiddenDenseLayers, Embedding, GateActivation, SeriesTransform);
}

namespace TinyGru.Model;

/// <summary>Canonical tensor names of the TinyGru model file (docs/model-format.md).</summary>
public static class TensorNames
{
    /// <summary>Name prefix of layer k.</summary>
    public static string Layer(int k) => "layers." + k.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>W of layer k: [3H, I].</summary>
    public static string InputWeights(int k) => Layer(k) + ".w_ih";

    /// <summary>U of layer k: [3H, H].</summary>
    public static string RecurrentWeights(int k) => Layer(k) + ".w_hh";

    /// <summary>b_i of layer k: [3H].</summary>
    public static string InputBias(int k) => Layer(k) + ".b_ih";

    /// <summary>b_h of layer k: [3H].</summary>
    public static string RecurrentBias(int k) => Layer(k) + ".b_hh";

    /// <summary>Token embedding table: [V, E] (format version 3).</summary>
    public const string Embedding = "embedding.weight";

    /// <summary>Weight of hidden dense layer d (between the last GRU layer and the head): [width, input] (format version 3).</summary>
    public static string DenseWeight(int d) => "dense." + d.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".weight";

    /// <summary>Bias of hidden dense layer d: [width] (format version 3).</summary>
    public static string DenseBias(int d) => "dense." + d.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".bias";

    /// <summary>Head weight: [O, H].</summary>
    public const string HeadWeight = "head.weight";

    /// <summary>Head bias: [O].</summary>
    public const string HeadBias = "head.bias";

    /// <summary>Input normalization mean: [I].</summary>
    public const string InputMean = "input.mean";

    /// <summary>Input normalization standard deviation: [I].</summary>
    public const string InputStd = "input.std";

    /// <summary>Suffix of the per-row float32 scales of an int8 matrix: <c>layers.0.w_ih.scale</c> [3H].</summary>
    public const string ScaleSuffix = ".scale";

    /// <summary>int8 input scale: [1] F32 (integer-only models).</summary>
    public const string InputQuantScale = "input.quant_scale";

    /// <summary>int8 input zero point: [1] I32 (integer-only models).</summary>
    public const string InputQuantZeroPoint = "input.quant_zero_point";

    /// <summary>Output scale: [O].</summary>
    public const string OutputScale = "output.scale";

    /// <summary>Output offset: [O].</summary>
    public const string OutputOffset = "output.offset";
}

/// <summary>Metadata keys of the TinyGru model file (docs/model-format.md).</summary>
public static class MetadataKeys
{
    /// <summary>"format": always <see cref="FormatValue"/> in a TinyGru file.</summary>
    public const string Format = "format";

    /// <summary>The value of <see cref="Format"/> that marks a TinyGru file.</summary>
    public const string FormatValue = "tinygru";

    /// <summary>Format version, an integer.</summary>
    public const string Version = "tinygru.version";

    /// <summary>Gate convention: "reset-after" or "reset-before".</summary>
    public const string Convention = "tinygru.convention";

    /// <summary>Number of GRU layers.</summary>
    public const string Layers = "tinygru.layers";

    /// <summary>Head activation: none, softmax, sigmoid, tanh.</summary>
    public const string HeadActivation = "tinygru.head_activation";

    /// <summary>Activations of the hidden dense layers, comma-separated, first to last: none, relu, tanh, sigmoid (format version 3).</summary>
    public const string DenseActivations = "tinygru.dense_activations";

    /// <summary>Gate activation: sigmoid (default), hard-sigmoid-keras2 or hard-sigmoid-keras3 (format version 3).</summary>
    public const string GateActivation = "tinygru.gate_activation";

    /// <summary>Precision: float32 (default), int8-weights or int8 (format version 2).</summary>
    public const string Precision = "tinygru.precision";

    /// <summary>Model name.</summary>
    public const string Name = "tinygru.name";

    /// <summary>Task: classification, regression, forecast.</summary>
    public const string Task = "tinygru.task";

    /// <summary>Class labels as a JSON array of strings.</summary>
    public const string Labels = "tinygru.labels";

    /// <summary>Series transform (version 3): 0-based indices of the features the network sees as changes, comma-separated.</summary>
    public const string DifferencedInputs = "tinygru.transform.differenced_inputs";

    /// <summary>Series transform (version 3): per output, the feature whose last raw value is added back (−1: none), comma-separated.</summary>
    public const string ResidualInputs = "tinygru.transform.residual_inputs";

    /// <summary>Series transform (version 4): the season m of seasonal differencing; absent for plain differencing.</summary>
    public const string TransformSeason = "tinygru.transform.season";

    /// <summary>Series transform (version 4): k of the seasonal residual base y_t + y_{t−k} − y_{t−m}; absent means 0.</summary>
    public const string ResidualDelay = "tinygru.transform.residual_delay";

    /// <summary>Prefix of free-form provenance keys.</summary>
    public const string ProvenancePrefix = "provenance.";
}

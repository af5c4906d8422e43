using System.Globalization;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.Keras;

/// <summary>One weight array of a Keras layer, in the order <c>layer.get_weights()</c> returns them.</summary>
public sealed class KerasWeight
{
    /// <summary>Creates a weight.</summary>
    public KerasWeight(string name, IReadOnlyList<long> shape, float[] values)
    {
        Name = name;
        Shape = shape;
        Values = values;
    }

    /// <summary>Where the weight was found in its container (for messages).</summary>
    public string Name { get; }

    /// <summary>Its shape.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Its values, row-major.</summary>
    public float[] Values { get; }
}

/// <summary>Which Keras wrote the model: it decides what <c>hard_sigmoid</c> means.</summary>
public enum KerasGeneration
{
    /// <summary>Keras 2 (tf.keras, legacy .h5) and TensorFlow.js: hard_sigmoid = clip(0.2·x + 0.5, 0, 1).</summary>
    Keras2,

    /// <summary>Keras 3 (.keras, or .h5 written by Keras 3): hard_sigmoid = clip(x/6 + 0.5, 0, 1).</summary>
    Keras3,
}

/// <summary>
/// Turns a Keras model config (the same JSON in TF.js <c>model.json</c>, Keras 3 <c>config.json</c> and a legacy .h5's
/// <c>model_config</c>) plus the layers' weights into a <see cref="GruModel"/>. Supported layers: InputLayer, Embedding,
/// GRU, Dense, Dropout, Activation and Softmax, in a plain chain (Sequential, or a Functional model whose layers follow
/// one another). Keras stores GRU kernels transposed, [I, 3H] with gate blocks z, r, h in columns; they are turned into
/// TinyGru's [3H, I] rows r, z, n here. See docs/keras-import.md.
/// </summary>
public static class KerasModelBuilder
{
    private const string Supported = "supported are InputLayer, Embedding, GRU, Dense, Dropout, Activation and Softmax";

    /// <summary>Builds the model; <paramref name="weightsOf"/> returns a layer's weights (by layer name) in get_weights() order.</summary>
    public static GruModel Build(JsonValue modelConfig, Func<string, IReadOnlyList<KerasWeight>> weightsOf, KerasGeneration generation, string source, string format)
    {
        if (modelConfig is null) throw new ArgumentNullException(nameof(modelConfig));
        if (weightsOf is null) throw new ArgumentNullException(nameof(weightsOf));
        ModelFormatException Fail(string? location, string problem) => new(source, location, problem);

        string modelClass = Str(modelConfig, "class_name") ?? "";
        var config = Get(modelConfig, "config");
        if (modelClass is "Bidirectional" or "LSTM" or "GRU")
            throw Fail("model", $"is a single {modelClass} layer, not a Sequential or Functional model");
        if (modelClass is not ("Sequential" or "Functional" or "Model") || config is null)
            throw Fail("model", $"is a '{modelClass}'; expected a Keras Sequential or Functional model config");
        var layerList = Get(config, "layers");
        if (layerList is null || layerList.Kind != JsonKind.Array || layerList.Items.Count == 0)
            throw Fail("model config", "has no 'layers' list");

        var gru = new List<GruLayerSpec>();
        var dense = new List<DenseHeadSpec>();
        TokenEmbedding? embedding = null;
        GateConvention? convention = null;
        GateActivation? gates = null;
        bool lastGruReturnsSequences = false;
        long? inputFeatures = null;
        string? previousName = null;

        foreach (var layer in layerList.Items)
        {
            string cls = Str(layer, "class_name") ?? "?";
            var cfg = Get(layer, "config") ?? throw Fail("layer", $"a {cls} layer has no config");
            string name = Str(cfg, "name") ?? Str(layer, "name") ?? cls;
            string where = $"layer '{name}' ({cls})";
            if (modelClass != "Sequential" && previousName is not null) CheckChain(layer, previousName, where, Fail);
            previousName = name;
            if (gru.Count == 0) inputFeatures ??= InputFeatures(cfg); // the first GRU's input shape, from InputLayer or batch_input_shape

            switch (cls)
            {
                case "InputLayer":
                    if (Bool(cfg, "sparse") == true || Bool(cfg, "ragged") == true)
                        throw Fail(where, "is sparse or ragged; TinyGru takes dense sequences");
                    continue;
                case "Dropout":
                case "SpatialDropout1D":
                case "GaussianNoise":
                case "GaussianDropout":
                    continue; // identity at inference
                case "Embedding":
                {
                    if (embedding is not null || gru.Count > 0) throw Fail(where, "an Embedding is supported only as the first layer, before the GRU layers");
                    if (Bool(cfg, "mask_zero") == true)
                        throw Fail(where, "has mask_zero=True (masking); TinyGru runs every step and does not skip padded ids — set mask_zero=False");
                    var w = Weights(weightsOf, name, 1, 1, where, Fail);
                    var table = w[0];
                    if (table.Shape.Count != 2) throw Fail(where, $"embeddings have shape {TensorData.FormatShape(table.Shape)}; expected [V, E]");
                    embedding = new TokenEmbedding((int)table.Shape[0], (int)table.Shape[1], table.Values);
                    continue;
                }
                case "GRU":
                {
                    if (dense.Count > 0) throw Fail(where, "a GRU after a Dense layer is not supported; TinyGru models are GRU layers followed by dense layers");
                    if (gru.Count > 0 && !lastGruReturnsSequences)
                        throw Fail(where, "follows a GRU with return_sequences=False; every GRU but the last must return sequences");
                    foreach (var flag in new[] { "go_backwards", "stateful", "return_state" })
                    {
                        if (Bool(cfg, flag) == true)
                            throw Fail(where, $"has {flag}=True; TinyGru runs forward streaming GRUs (set {flag}=False)");
                    }
                    if (Bool(cfg, "time_major") == true) throw Fail(where, "has time_major=True; expected batch-major input");
                    string activation = Str(cfg, "activation") ?? "tanh";
                    if (activation != "tanh")
                        throw Fail(where, $"has activation '{activation}'; TinyGru's GRU candidate uses tanh");
                    string recurrent = Str(cfg, "recurrent_activation") ?? "sigmoid";
                    GateActivation gate = recurrent switch
                    {
                        "sigmoid" => GateActivation.Sigmoid,
                        "hard_sigmoid" => generation == KerasGeneration.Keras3 ? GateActivation.HardSigmoidKeras3 : GateActivation.HardSigmoidKeras2,
                        _ => throw Fail(where, $"has recurrent_activation '{recurrent}'; expected sigmoid or hard_sigmoid"),
                    };
                    if (gates is { } g && g != gate) throw Fail(where, "uses a different recurrent_activation than the previous GRU; all layers of a TinyGru model share one gate activation");
                    gates = gate;
                    bool resetAfter = Bool(cfg, "reset_after") ?? (generation == KerasGeneration.Keras3);
                    var c = resetAfter ? GateConvention.ResetAfter : GateConvention.ResetBefore;
                    if (convention is { } prev && prev != c) throw Fail(where, "has a different reset_after than the previous GRU; all layers of a TinyGru model use one gate convention");
                    convention = c;
                    bool useBias = Bool(cfg, "use_bias") ?? true;
                    long units = Int(cfg, "units") ?? throw Fail(where, "has no 'units'");
                    var w = Weights(weightsOf, name, useBias ? 3 : 2, useBias ? 3 : 2, where, Fail);
                    long kernelRows = w[0].Shape.Count > 0 ? w[0].Shape[0] : 0;
                    long inputs = gru.Count > 0 ? gru[gru.Count - 1].HiddenSize : embedding?.EmbeddingSize ?? kernelRows;
                    if (gru.Count == 0 && embedding is null && inputFeatures is { } features && features != kernelRows)
                        throw Fail($"{where} kernel", $"has {kernelRows} rows but the model's input has {features} features per step");
                    gru.Add(GruLayer(w, units, inputs, resetAfter, useBias, where, Fail));
                    lastGruReturnsSequences = Bool(cfg, "return_sequences") ?? false;
                    continue;
                }
                case "Dense":
                {
                    if (gru.Count == 0) throw Fail(where, "a Dense layer before the first GRU is not supported");
                    string activation = Str(cfg, "activation") ?? "linear";
                    bool useBias = Bool(cfg, "use_bias") ?? true;
                    var w = Weights(weightsOf, name, useBias ? 2 : 1, useBias ? 2 : 1, where, Fail);
                    int inputs = dense.Count > 0 ? dense[dense.Count - 1].OutputSize : gru[gru.Count - 1].HiddenSize;
                    var kernel = w[0];
                    if (kernel.Shape.Count != 2 || kernel.Shape[0] != inputs)
                        throw Fail($"{where} kernel", $"has shape {TensorData.FormatShape(kernel.Shape)}; expected [{inputs}, units]");
                    int outputs = (int)kernel.Shape[1];
                    var bias = useBias ? w[1].Values : new float[outputs];
                    if (bias.Length != outputs) throw Fail($"{where} bias", $"has {bias.Length} values; expected [{outputs}]");
                    if (dense.Count > 0 && dense[dense.Count - 1].Activation == HeadActivation.Softmax)
                        throw Fail(where, "follows a softmax; softmax is supported only on the last layer");
                    dense.Add(new DenseHeadSpec(inputs, outputs, Transpose(kernel.Values, inputs, outputs), bias, DenseActivation(activation, where, Fail)));
                    continue;
                }
                case "Activation":
                case "Softmax":
                case "ReLU":
                {
                    string activation = cls == "Softmax" ? "softmax" : cls == "ReLU" ? "relu" : Str(cfg, "activation") ?? "linear";
                    if (cls == "ReLU" && (Num(cfg, "max_value") is not null || (Num(cfg, "negative_slope") ?? 0) != 0 || (Num(cfg, "threshold") ?? 0) != 0))
                        throw Fail(where, "has max_value, negative_slope or threshold; TinyGru's ReLU is max(x, 0)");
                    if (cls == "Softmax" && Int(cfg, "axis") is { } axis && axis != -1)
                        throw Fail(where, $"has axis {axis}; TinyGru's softmax runs over the last axis (the outputs)");
                    var a = DenseActivation(activation, where, Fail);
                    if (a == HeadActivation.None) continue;
                    if (dense.Count == 0) throw Fail(where, "an activation layer is supported only after a Dense layer");
                    var last = dense[dense.Count - 1];
                    if (last.Activation != HeadActivation.None)
                        throw Fail(where, $"applies {activation} after the previous Dense layer's {TinyGruModelFile.ActivationName(last.Activation)}; one activation per dense layer is supported");
                    dense[dense.Count - 1] = new DenseHeadSpec(last.InputSize, last.OutputSize, last.Weight, last.Bias, a);
                    continue;
                }
                default:
                    throw Fail(where, $"is not supported; {Supported}" + cls switch
                    {
                        "Masking" => " (masking: TinyGru runs every step)",
                        "Bidirectional" => " (TinyGru runs forward streaming GRUs)",
                        "LSTM" or "SimpleRNN" or "ConvLSTM1D" => " (TinyGru runs GRU layers)",
                        _ => "",
                    });
            }
        }
        if (gru.Count == 0) throw Fail("model", $"has no GRU layer; {Supported}");
        for (int d = 0; d < dense.Count - 1; d++)
        {
            if (dense[d].Activation == HeadActivation.Softmax)
                throw Fail("model", $"dense layer {d} has softmax but is not the last; softmax is supported only on the last layer");
        }

        var provenance = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source"] = format,
            ["file"] = Onnx.OnnxImporter.FileNameOf(source),
        };
        string? modelName = Str(config, "name");
        var metadata = new ModelMetadata(modelName, ModelTask.Unspecified, null, provenance);
        try
        {
            return new GruModel(convention!.Value, gru, dense.Count == 0 ? null : dense[dense.Count - 1], metadata: metadata,
                hiddenDenseLayers: dense.Count <= 1 ? null : dense.Take(dense.Count - 1).ToList(),
                embedding: embedding, gateActivation: gates ?? GateActivation.Sigmoid);
        }
        catch (ModelFormatException e) when (e.FileName is null)
        {
            throw e.WithSource(source);
        }
    }

    private static GruLayerSpec GruLayer(IReadOnlyList<KerasWeight> w, long units, long inputs, bool resetAfter, bool useBias, string where,
        Func<string?, string, ModelFormatException> fail)
    {
        int h = (int)units, i = (int)inputs;
        var kernel = w[0];
        var recurrent = w[1];
        if (kernel.Shape.Count != 2 || kernel.Shape[0] != inputs || kernel.Shape[1] != 3 * units)
            throw fail($"{where} kernel", $"has shape {TensorData.FormatShape(kernel.Shape)}; expected [{inputs}, {3 * units}] (inputs, 3·units with gate blocks z, r, h)");
        if (recurrent.Shape.Count != 2 || recurrent.Shape[0] != units || recurrent.Shape[1] != 3 * units)
            throw fail($"{where} recurrent_kernel", $"has shape {TensorData.FormatShape(recurrent.Shape)}; expected [{units}, {3 * units}]");
        float[] inputBias = new float[3 * h], recurrentBias = new float[3 * h];
        if (useBias)
        {
            var bias = w[2];
            if (resetAfter)
            {
                if (bias.Shape.Count != 2 || bias.Shape[0] != 2 || bias.Shape[1] != 3 * units)
                    throw fail($"{where} bias", $"has shape {TensorData.FormatShape(bias.Shape)}; expected [2, {3 * units}] (input and recurrent bias, reset_after=True)");
                inputBias = KerasGateOrder(bias.Values, h, 1, 0);
                recurrentBias = KerasGateOrder(bias.Values, h, 1, 3 * h);
            }
            else
            {
                if (bias.Shape.Count != 1 || bias.Shape[0] != 3 * units)
                    throw fail($"{where} bias", $"has shape {TensorData.FormatShape(bias.Shape)}; expected [{3 * units}] (reset_after=False)");
                inputBias = KerasGateOrder(bias.Values, h, 1, 0);
            }
        }
        return new GruLayerSpec(i, h, KerasGateOrder(Transpose(kernel.Values, i, 3 * h), h, i, 0),
            KerasGateOrder(Transpose(recurrent.Values, h, 3 * h), h, h, 0), inputBias, recurrentBias);
    }

    /// <summary>Rows z, r, h (Keras, after transposing) → r, z, n (TinyGru): swaps the first two blocks of H rows.</summary>
    private static float[] KerasGateOrder(float[] rows, int hidden, int rowLength, int offset)
    {
        int block = hidden * rowLength;
        var canonical = new float[3 * block];
        Array.Copy(rows, offset + block, canonical, 0, block);
        Array.Copy(rows, offset, canonical, block, block);
        Array.Copy(rows, offset + 2 * block, canonical, 2 * block, block);
        return canonical;
    }

    /// <summary>[rows, cols] → [cols, rows].</summary>
    private static float[] Transpose(float[] m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = m[r * cols + c];
        return t;
    }

    private static HeadActivation DenseActivation(string name, string where, Func<string?, string, ModelFormatException> fail) => name switch
    {
        "linear" or "None" => HeadActivation.None,
        "relu" => HeadActivation.Relu,
        "tanh" => HeadActivation.Tanh,
        "sigmoid" => HeadActivation.Sigmoid,
        "softmax" => HeadActivation.Softmax,
        _ => throw fail(where, $"has activation '{name}'; expected linear, relu, tanh, sigmoid or softmax"),
    };

    private static IReadOnlyList<KerasWeight> Weights(Func<string, IReadOnlyList<KerasWeight>> weightsOf, string layer, int min, int max, string where,
        Func<string?, string, ModelFormatException> fail)
    {
        var w = weightsOf(layer);
        if (w.Count < min || w.Count > max)
            throw fail(where, $"has {w.Count} weight arrays ({string.Join(", ", w.Select(x => x.Name))}); expected {(min == max ? min.ToString(CultureInfo.InvariantCulture) : $"{min} to {max}")}");
        return w;
    }

    /// <summary>A Functional model's layer must take the previous layer's output (no branches, no skip connections).</summary>
    private static void CheckChain(JsonValue layer, string previous, string where, Func<string?, string, ModelFormatException> fail)
    {
        var inbound = Get(layer, "inbound_nodes");
        if (inbound is null || inbound.Kind != JsonKind.Array || inbound.Items.Count == 0) return;
        var names = new List<string>();
        Collect(inbound, names, 0);
        if (names.Count > 0 && !names.All(n => n == previous))
            throw fail(where, $"takes input from {string.Join(", ", names.Distinct().Select(n => "'" + n + "'"))}, not only from the previous layer '{previous}'; TinyGru imports a plain chain of layers");
    }

    /// <summary>Layer names in inbound_nodes: Keras 2 [[["name", 0, 0, {}]]], Keras 3 [{"args": [{"config": {"keras_history": ["name", 0, 0]}}]}].</summary>
    private static void Collect(JsonValue v, List<string> names, int depth)
    {
        if (depth > 12) return;
        if (v.Kind == JsonKind.Array)
        {
            if (v.Items.Count >= 3 && v.Items[0].Kind == JsonKind.String && v.Items[1].Kind == JsonKind.Number) { names.Add(v.Items[0].Text!); return; }
            foreach (var item in v.Items) Collect(item, names, depth + 1);
        }
        else if (v.Kind == JsonKind.Object)
        {
            foreach (var m in v.Members)
            {
                if (m.Key == "keras_history" && m.Value.Kind == JsonKind.Array && m.Value.Items.Count > 0 && m.Value.Items[0].Kind == JsonKind.String)
                    names.Add(m.Value.Items[0].Text!);
                else if (m.Key is "args" or "config" or "kwargs") Collect(m.Value, names, depth + 1);
            }
        }
    }

    private static long? InputFeatures(JsonValue cfg)
    {
        foreach (var key in new[] { "batch_input_shape", "batch_shape", "input_shape" })
        {
            var shape = Get(cfg, key);
            if (shape is { Kind: JsonKind.Array } && shape.Items.Count > 0 && shape.Items[shape.Items.Count - 1].TryGetUInt64(out ulong f))
                return (long)f;
        }
        return null;
    }

    internal static JsonValue? Get(JsonValue? o, string key)
    {
        if (o is null || o.Kind != JsonKind.Object) return null;
        foreach (var m in o.Members) if (m.Key == key) return m.Value;
        return null;
    }

    internal static string? Str(JsonValue? o, string key)
    {
        var v = Get(o, key);
        if (v is null) return null;
        if (v.Kind == JsonKind.String) return v.Text;
        // Keras 3 may write an activation as a serialized object {"class_name": "function", "config": "relu"}.
        if (v.Kind == JsonKind.Object && Get(v, "config") is { Kind: JsonKind.String } c) return c.Text;
        return null;
    }

    private static bool? Bool(JsonValue o, string key) => Get(o, key) is { Kind: JsonKind.Boolean } v ? v.Text == "true" : null;

    private static double? Num(JsonValue o, string key) =>
        Get(o, key) is { Kind: JsonKind.Number } v && double.TryParse(v.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null;

    private static long? Int(JsonValue o, string key) => Num(o, key) is { } d && d == Math.Floor(d) ? (long)d : null;
}

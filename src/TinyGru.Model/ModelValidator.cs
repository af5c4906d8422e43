using TinyGru.Model.Quantization;

namespace TinyGru.Model;

/// <summary>
/// Checks a <see cref="GruModel"/> for consistent sizes, finite values and the limits in <see cref="ModelLimits"/>.
/// Locations in messages use the canonical tensor names of docs/model-format.md.
/// </summary>
public static class ModelValidator
{
    /// <summary>Throws <see cref="ModelFormatException"/> (without a file name) for the first problem found.</summary>
    public static void Validate(GruModel model)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        var layers = model.Layers;
        if (layers.Count == 0) throw Fail("layers", "a model needs at least one GRU layer");
        if (layers.Count > ModelLimits.MaxLayers)
            throw Fail("layers", $"{layers.Count} layers is more than the supported {ModelLimits.MaxLayers}");
        if (!Enum.IsDefined(typeof(GateConvention), model.Convention))
            throw Fail("convention", $"unknown gate convention {(int)model.Convention}");

        long parameters = 0;
        for (int k = 0; k < layers.Count; k++)
        {
            var layer = layers[k];
            string name = TensorNames.Layer(k);
            if (layer is null) throw Fail(name, "layer is missing");
            int expectedInput = k == 0 ? layer.InputSize : layers[k - 1].HiddenSize;
            if (k == 0) CheckSize(TensorNames.InputWeights(0), "input size I", layer.InputSize, ModelLimits.MaxInputSize);
            else if (layer.InputSize != expectedInput)
                throw Fail(TensorNames.InputWeights(k), $"layer {k} takes {layer.InputSize} inputs but layer {k - 1} has hidden size {expectedInput}");
            CheckSize(TensorNames.RecurrentWeights(k), "hidden size H", layer.HiddenSize, ModelLimits.MaxHiddenSize);
            parameters += layer.ParameterCount;
            if (parameters > ModelLimits.MaxParameters)
                throw Fail(name, $"the model has more than the supported {ModelLimits.MaxParameters} parameters");

            int h3 = 3 * layer.HiddenSize;
            CheckArray(TensorNames.InputWeights(k), layer.InputWeights, (long)h3 * layer.InputSize, $"[{h3}, {layer.InputSize}]");
            CheckArray(TensorNames.RecurrentWeights(k), layer.RecurrentWeights, (long)h3 * layer.HiddenSize, $"[{h3}, {layer.HiddenSize}]");
            CheckArray(TensorNames.InputBias(k), layer.InputBias, h3, $"[{h3}]");
            CheckArray(TensorNames.RecurrentBias(k), layer.RecurrentBias, h3, $"[{h3}]");
        }

        if (!Enum.IsDefined(typeof(GateActivation), model.GateActivation))
            throw Fail(MetadataKeys.GateActivation, $"unknown gate activation {(int)model.GateActivation}");
        if (model.Embedding is { } embedding)
        {
            CheckSize(TensorNames.Embedding, "vocabulary size V", embedding.VocabularySize, ModelLimits.MaxVocabularySize);
            if (embedding.EmbeddingSize != layers[0].InputSize)
                throw Fail(TensorNames.Embedding, $"embedding size {embedding.EmbeddingSize} differs from the first GRU layer's input size {layers[0].InputSize}");
            parameters += embedding.ParameterCount;
            if (parameters > ModelLimits.MaxParameters)
                throw Fail(TensorNames.Embedding, $"the model has more than the supported {ModelLimits.MaxParameters} parameters");
            CheckArray(TensorNames.Embedding, embedding.Table, embedding.ParameterCount, $"[{embedding.VocabularySize}, {embedding.EmbeddingSize}]");
            if (model.InputNormalization is not null)
                throw Fail(TensorNames.InputMean, "a token model has no input features to normalize (its input is one token id per step)");
        }

        int last = layers[layers.Count - 1].HiddenSize;
        var hidden = model.HiddenDenseLayers;
        if (hidden.Count > 0 && model.Head is null)
            throw Fail(TensorNames.HeadWeight, "is missing; hidden dense layers need an output dense layer after them");
        if (hidden.Count + 1 > ModelLimits.MaxDenseLayers)
            throw Fail(TensorNames.DenseWeight(hidden.Count - 1), $"{hidden.Count + 1} dense layers is more than the supported {ModelLimits.MaxDenseLayers}");
        for (int d = 0; d < hidden.Count; d++)
        {
            var dense = hidden[d];
            string weight = TensorNames.DenseWeight(d);
            if (dense is null) throw Fail(weight, "dense layer is missing");
            if (dense.InputSize != last)
                throw Fail(weight, $"dense layer {d} takes {dense.InputSize} inputs but its input has size {last}");
            CheckSize(weight, "dense width", dense.OutputSize, ModelLimits.MaxDenseWidth);
            if (!Enum.IsDefined(typeof(HeadActivation), dense.Activation) || dense.Activation == HeadActivation.Softmax)
                throw Fail(weight, $"activation {dense.Activation} is not supported on a hidden dense layer; expected none, relu, tanh or sigmoid (softmax only on the last layer)");
            parameters += dense.ParameterCount;
            if (parameters > ModelLimits.MaxParameters)
                throw Fail(weight, $"the model has more than the supported {ModelLimits.MaxParameters} parameters");
            CheckArray(weight, dense.Weight, (long)dense.OutputSize * dense.InputSize, $"[{dense.OutputSize}, {dense.InputSize}]");
            CheckArray(TensorNames.DenseBias(d), dense.Bias, dense.OutputSize, $"[{dense.OutputSize}]");
            last = dense.OutputSize;
        }

        var head = model.Head;
        if (head is not null)
        {
            if (head.InputSize != last)
                throw Fail(TensorNames.HeadWeight, hidden.Count == 0
                    ? $"the head takes {head.InputSize} inputs but the last GRU layer has hidden size {last}"
                    : $"the head takes {head.InputSize} inputs but the last hidden dense layer has {last} outputs");
            CheckSize(TensorNames.HeadWeight, "output size O", head.OutputSize, ModelLimits.MaxOutputSize);
            if (!Enum.IsDefined(typeof(HeadActivation), head.Activation))
                throw Fail(TensorNames.HeadWeight, $"unknown head activation {(int)head.Activation}");
            parameters += head.ParameterCount;
            if (parameters > ModelLimits.MaxParameters)
                throw Fail(TensorNames.HeadWeight, $"the model has more than the supported {ModelLimits.MaxParameters} parameters");
            CheckArray(TensorNames.HeadWeight, head.Weight, (long)head.OutputSize * head.InputSize, $"[{head.OutputSize}, {head.InputSize}]");
            CheckArray(TensorNames.HeadBias, head.Bias, head.OutputSize, $"[{head.OutputSize}]");
        }

        int inputs = model.InputSize, outputs = model.OutputSize;
        if (model.InputNormalization is { } norm)
        {
            CheckArray(TensorNames.InputMean, norm.Mean, inputs, $"[{inputs}]");
            CheckArray(TensorNames.InputStd, norm.Std, inputs, $"[{inputs}]");
            for (int i = 0; i < norm.Std.Length; i++)
                if (!(norm.Std[i] > 0f))
                    throw Fail(TensorNames.InputStd, $"element {i} is {Format(norm.Std[i])}; a standard deviation must be greater than 0");
        }

        if (model.OutputScaling is { } scaling)
        {
            CheckArray(TensorNames.OutputScale, scaling.Scale, outputs, $"[{outputs}]");
            CheckArray(TensorNames.OutputOffset, scaling.Offset, outputs, $"[{outputs}]");
        }

        if (model.SeriesTransform is { } transform)
        {
            transform.Validate(inputs, outputs);
            if (model.Embedding is not null)
                throw Fail("series transform", "a token (embedding) model takes token ids, which a series transform cannot difference; leave one of them out");
        }

        if (model.Quantization is { } quantization)
        {
            ValidateQuantization(model, quantization);
        }

        var labels = model.Metadata.ClassLabels;
        if (labels.Count != 0)
        {
            if (labels.Count != outputs)
                throw Fail(MetadataKeys.Labels, $"{labels.Count} class labels for {outputs} outputs; expected one label per output");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < labels.Count; i++)
            {
                var label = labels[i];
                if (string.IsNullOrEmpty(label)) throw Fail(MetadataKeys.Labels, $"label {i} is empty");
                if (label.Length > ModelLimits.MaxLabelLength)
                    throw Fail(MetadataKeys.Labels, $"label {i} is longer than {ModelLimits.MaxLabelLength} characters");
                if (!seen.Add(label)) throw Fail(MetadataKeys.Labels, $"label '{label}' appears twice");
            }
        }
    }

    private static void ValidateQuantization(GruModel model, ModelQuantization q)
    {
        if (q.Precision == ModelPrecision.Float32 || !Enum.IsDefined(typeof(ModelPrecision), q.Precision))
            throw Fail("precision", $"a quantized model must be int8 or int8-weights, not {q.Precision}");
        if (q.Layers.Count != model.Layers.Count)
            throw Fail("layers", $"{q.Layers.Count} quantized layers for {model.Layers.Count} GRU layers");
        for (int k = 0; k < model.Layers.Count; k++)
        {
            var layer = model.Layers[k];
            CheckQuantized(TensorNames.InputWeights(k), q.Layers[k].InputWeights, layer.InputWeights, 3 * layer.HiddenSize, layer.InputSize);
            CheckQuantized(TensorNames.RecurrentWeights(k), q.Layers[k].RecurrentWeights, layer.RecurrentWeights, 3 * layer.HiddenSize, layer.HiddenSize);
            if (q.Precision == ModelPrecision.Int8 && layer.HiddenSize > FixedPoint.MaxHiddenSize)
                throw Fail(TensorNames.RecurrentWeights(k),
                    $"hidden size {layer.HiddenSize} is more than the {FixedPoint.MaxHiddenSize} the integer-only int8 scheme supports (its int32 accumulators are bounded by H·127·32767 < 2^31); use int8-weights");
        }
        if (q.HiddenDense.Count != model.HiddenDenseLayers.Count)
            throw Fail("dense", $"{q.HiddenDense.Count} quantized dense layers for {model.HiddenDenseLayers.Count} hidden dense layers");
        for (int d = 0; d < q.HiddenDense.Count; d++)
        {
            var dense = model.HiddenDenseLayers[d];
            CheckQuantized(TensorNames.DenseWeight(d), q.HiddenDense[d], dense.Weight, dense.OutputSize, dense.InputSize);
        }
        if ((model.Embedding is null) != (q.Embedding is null))
            throw Fail(TensorNames.Embedding, model.Embedding is null ? "a quantized embedding without an embedding" : "the embedding is not quantized");
        if (model.Embedding is { } embedding)
            CheckQuantized(TensorNames.Embedding, q.Embedding!, embedding.Table, embedding.VocabularySize, embedding.EmbeddingSize);
        if ((model.Head is null) != (q.Head is null))
            throw Fail(TensorNames.HeadWeight, model.Head is null ? "a quantized head weight without a head" : "the head weight is not quantized");
        if (model.Head is { } head)
            CheckQuantized(TensorNames.HeadWeight, q.Head!, head.Weight, head.OutputSize, head.InputSize);
        if (q.Precision == ModelPrecision.Int8)
        {
            // Every dense accumulator sums int8 weights times int16-range inputs (Q0.15, or a relu/none layer's output).
            var dense = model.DenseLayers;
            for (int d = 0; d < dense.Count; d++)
                if (dense[d].InputSize > FixedPoint.MaxHiddenSize)
                    throw Fail(d < model.HiddenDenseLayers.Count ? TensorNames.DenseWeight(d) : TensorNames.HeadWeight,
                        $"input width {dense[d].InputSize} is more than the {FixedPoint.MaxHiddenSize} the integer-only int8 scheme supports (its int32 accumulators are bounded by width·127·32767 < 2^31); use int8-weights");
        }

        if (q.Precision == ModelPrecision.Int8)
        {
            if (q.Input is null) throw Fail(TensorNames.InputQuantScale, "an int8 model needs input quantization (scale and zero point)");
            if (!(q.Input.Scale > 0) || float.IsInfinity(q.Input.Scale))
                throw Fail(TensorNames.InputQuantScale, $"is {Format(q.Input.Scale)}; expected a finite scale > 0");
            if (q.Input.ZeroPoint < -128 || q.Input.ZeroPoint > 127)
                throw Fail(TensorNames.InputQuantZeroPoint, $"is {q.Input.ZeroPoint}; expected −128 … 127");
            FixedPointGruModel.Create(model); // throws when a scale or bias does not fit the integer scheme
        }
        else if (q.Input is not null)
            throw Fail(TensorNames.InputQuantScale, "only int8 (integer-only) models quantize their input");
    }

    private static void CheckQuantized(string location, QuantizedMatrix q, float[] weights, int rows, int cols)
    {
        if (q.Rows != rows || q.Cols != cols || q.Values.LongLength != (long)rows * cols)
            throw Fail(location, $"int8 values have shape [{q.Rows}, {q.Cols}] ({q.Values.LongLength} elements); expected [{rows}, {cols}]");
        if (q.RowScales.Length != rows)
            throw Fail(location + TensorNames.ScaleSuffix, $"has {q.RowScales.Length} elements; expected [{rows}]");
        for (int i = 0; i < rows; i++)
        {
            float s = q.RowScales[i];
            if (!(s >= 0) || float.IsInfinity(s))
                throw Fail(location + TensorNames.ScaleSuffix, $"element {i} is {Format(s)}; a row scale must be finite and ≥ 0");
            for (int j = 0; j < cols; j++)
            {
                sbyte v = q.Values[i * cols + j];
                if (v == sbyte.MinValue)
                    throw Fail(location, $"element [{i}, {j}] is −128; TinyGru's int8 weights are symmetric (−127 … 127)");
                if (weights[i * cols + j] != v * s)
                    throw Fail(location, $"element [{i}, {j}]: the float weight differs from its int8 value × row scale");
            }
        }
    }

    private static void CheckSize(string location, string what, int value, int max)
    {
        if (value < 1 || value > max)
            throw Fail(location, $"{what} is {value}; expected 1 to {max}");
    }

    private static void CheckArray(string location, float[] values, long expectedLength, string shape)
    {
        if (values.LongLength != expectedLength)
            throw Fail(location, $"has {values.LongLength} elements; expected shape {shape} ({expectedLength} elements)");
        int bad = FiniteCheck.FirstNonFinite(values);
        if (bad >= 0)
            throw Fail(location, $"element {bad} is {Format(values[bad])}; weights must be finite");
    }

    private static string Format(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static ModelFormatException Fail(string location, string problem) => new(null, location, problem);
}

/// <summary>Finds NaN and infinity in float data.</summary>
public static class FiniteCheck
{
    /// <summary>Index of the first NaN or ±Inf, or −1.</summary>
    public static int FirstNonFinite(float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            // Exponent bits all ones ⇔ NaN or infinity; netstandard2.0 has no float.IsFinite.
            float v = values[i];
            if (float.IsNaN(v) || float.IsInfinity(v)) return i;
        }
        return -1;
    }
}

using System.Globalization;
using System.Text;
using TinyGru.Model.Quantization;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model;

/// <summary>
/// The TinyGru model file: a safetensors file with canonical tensor names (<see cref="TensorNames"/>) and
/// metadata keys (<see cref="MetadataKeys"/>), specified in docs/model-format.md.
/// </summary>
public static class TinyGruModelFile
{
    /// <summary>
    /// The newest format version this code reads and writes. A file is written with the lowest version that can hold
    /// it: 1 for float32 models, 2 for quantized ones, 3 when it has a series transform, a dense stack, a ReLU head,
    /// a token embedding or hard-sigmoid gates (<see cref="DenseStackVersion"/>), 4 when its series transform is seasonal
    /// (<see cref="SeasonalVersion"/>).
    /// </summary>
    public const int FormatVersion = 4;

    /// <summary>The format version that added seasonal series transforms (a lag above 1, a residual delay).</summary>
    public const int SeasonalVersion = 4;

    /// <summary>The format version that added series transforms, hidden dense layers, ReLU, token embeddings and gate activations.</summary>
    public const int DenseStackVersion = 3;

    /// <summary>True when the parsed file declares itself a TinyGru model.</summary>
    public static bool IsTinyGru(SafetensorsFile file) =>
        file.Metadata.TryGetValue(MetadataKeys.Format, out var f) && f == MetadataKeys.FormatValue;

    /// <summary>Reads a TinyGru model from a parsed safetensors file.</summary>
    public static GruModel Read(SafetensorsFile file)
    {
        var reader = new SafetensorsTensorReader(file);
        var meta = file.Metadata;
        if (!IsTinyGru(file))
            throw reader.FailMetadata(MetadataKeys.Format, $"expected \"{MetadataKeys.FormatValue}\"; this is not a TinyGru model file");

        int version = ReadInt(reader, meta, MetadataKeys.Version, 1, int.MaxValue);
        if (version > FormatVersion)
            throw reader.FailMetadata(MetadataKeys.Version, $"is {version}; this TinyGru reads model files up to version {FormatVersion} — update TinyGru");

        var convention = ParseConvention(Required(reader, meta, MetadataKeys.Convention), out bool ok);
        if (!ok) throw reader.FailMetadata(MetadataKeys.Convention, $"is \"{meta[MetadataKeys.Convention]}\"; expected \"reset-after\" or \"reset-before\"");
        int layerCount = ReadInt(reader, meta, MetadataKeys.Layers, 1, ModelLimits.MaxLayers);
        var precision = ModelPrecision.Float32;
        if (Optional(meta, MetadataKeys.Precision) is { } precisionText && !ModelPrecisions.TryParse(precisionText, out precision))
            throw reader.FailMetadata(MetadataKeys.Precision, $"is \"{precisionText}\"; expected float32, int8-weights or int8");
        if (precision != ModelPrecision.Float32 && version < 2)
            throw reader.FailMetadata(MetadataKeys.Version, $"is {version}; quantized models are format version 2");
        bool quantized = precision != ModelPrecision.Float32;
        var qLayers = new List<QuantizedLayer>();

        // A quantized file stores each matrix as I8 values plus an F32 row scale; the float weights are q · scale.
        float[] Matrix(string name, long? rows, long? cols, string meaning, out IReadOnlyList<long> shape, out QuantizedMatrix? q)
        {
            q = null;
            if (!quantized) return reader.Float32(name, new[] { rows, cols }, meaning, out shape);
            shape = reader.ShapeOf(name) ?? throw reader.Fail(name, $"is missing; expected an I8 tensor of shape {meaning}");
            if (shape.Count != 2 || (rows is long r && shape[0] != r) || (cols is long c && shape[1] != c))
                throw reader.Fail(name, $"has shape {TensorData.FormatShape(shape)}; expected {meaning}");
            var values = reader.Int8(name, new[] { shape[0], shape[1] }, meaning);
            var scales = reader.Float32(name + TensorNames.ScaleSuffix, new long?[] { shape[0] }, "[rows]");
            q = new QuantizedMatrix((int)shape[0], (int)shape[1], values, scales);
            return q.Dequantize();
        }

        // Version 3 (optional): token embedding, gate activation.
        TokenEmbedding? embedding = null;
        QuantizedMatrix? qEmbedding = null;
        if (reader.Has(TensorNames.Embedding))
        {
            var table = Matrix(TensorNames.Embedding, null, null, "[V, E]", out var eShape, out qEmbedding);
            embedding = new TokenEmbedding((int)eShape[0], (int)eShape[1], table);
        }
        var gateActivation = GateActivation.Sigmoid;
        if (Optional(meta, MetadataKeys.GateActivation) is { } gateText && !Activations.TryParseGate(gateText, out gateActivation))
            throw reader.FailMetadata(MetadataKeys.GateActivation, $"is \"{gateText}\"; expected sigmoid, hard-sigmoid-keras2 or hard-sigmoid-keras3");

        var layers = new List<GruLayerSpec>();
        long? input = embedding?.EmbeddingSize;
        for (int k = 0; k < layerCount; k++)
        {
            var u = Matrix(TensorNames.RecurrentWeights(k), null, null, "[3H, H]", out var uShape, out var uq);
            long h = uShape[1];
            if (uShape[0] != 3 * h)
                throw reader.Fail(TensorNames.RecurrentWeights(k), $"has shape {TensorData.FormatShape(uShape)}; expected [3H, H] with 3H = 3·{h} = {3 * h} rows");
            var w = Matrix(TensorNames.InputWeights(k), 3 * h, input, "[3H, I]", out var wShape, out var wq);
            if (quantized) qLayers.Add(new QuantizedLayer(wq!, uq!));
            var bi = reader.Float32(TensorNames.InputBias(k), new long?[] { 3 * h }, "[3H]");
            var bh = reader.Float32(TensorNames.RecurrentBias(k), new long?[] { 3 * h }, "[3H]");
            layers.Add(new GruLayerSpec((int)wShape[1], (int)h, w, u, bi, bh));
            input = h;
        }

        // Version 3 (optional): hidden dense layers dense.0 … dense.{n−1}, activations in tinygru.dense_activations.
        var hiddenDense = new List<DenseHeadSpec>();
        var qHiddenDense = new List<QuantizedMatrix>();
        string? denseActivationText = Optional(meta, MetadataKeys.DenseActivations);
        var denseActivations = denseActivationText is null ? Array.Empty<HeadActivation>() : Activations.ParseList(denseActivationText, out string? listError)
            ?? throw reader.FailMetadata(MetadataKeys.DenseActivations, $"is \"{denseActivationText}\": {listError}");
        for (int d = 0; reader.Has(TensorNames.DenseWeight(d)) || reader.Has(TensorNames.DenseBias(d)); d++)
        {
            if (d >= denseActivations.Length)
                throw reader.FailMetadata(MetadataKeys.DenseActivations, $"names {denseActivations.Length} activations but the file has dense layer {d} ({TensorNames.DenseWeight(d)}); expected one activation per hidden dense layer");
            var dw = Matrix(TensorNames.DenseWeight(d), null, input, "[width, input]", out var dShape, out var qDense);
            if (qDense is not null) qHiddenDense.Add(qDense);
            var db = reader.Float32(TensorNames.DenseBias(d), new long?[] { dShape[0] }, "[width]");
            hiddenDense.Add(new DenseHeadSpec((int)input!.Value, (int)dShape[0], dw, db, denseActivations[d]));
            input = dShape[0];
        }
        if (hiddenDense.Count != denseActivations.Length)
            throw reader.FailMetadata(MetadataKeys.DenseActivations, $"names {denseActivations.Length} activations but the file has {hiddenDense.Count} hidden dense layers");

        DenseHeadSpec? head = null;
        QuantizedMatrix? qHead = null;
        if (reader.Has(TensorNames.HeadWeight) || reader.Has(TensorNames.HeadBias))
        {
            var hw = Matrix(TensorNames.HeadWeight, null, input, "[O, H]", out var hwShape, out qHead);
            long o = hwShape[0];
            var hb = reader.Float32(TensorNames.HeadBias, new long?[] { o }, "[O]");
            var activation = ParseActivation(Optional(meta, MetadataKeys.HeadActivation) ?? "none", out ok);
            if (!ok) throw reader.FailMetadata(MetadataKeys.HeadActivation, $"is \"{meta[MetadataKeys.HeadActivation]}\"; expected none, softmax, sigmoid, tanh or relu");
            head = new DenseHeadSpec((int)input!.Value, (int)o, hw, hb, activation);
        }
        long outputs = head?.OutputSize ?? input!.Value;
        long inputs = layers[0].InputSize;
        if (version < DenseStackVersion && (embedding is not null || hiddenDense.Count > 0 || gateActivation != GateActivation.Sigmoid || head?.Activation == HeadActivation.Relu))
            throw reader.FailMetadata(MetadataKeys.Version, $"is {version}; dense stacks, ReLU, token embeddings and gate activations are format version {DenseStackVersion}");

        InputNormalization? norm = null;
        if (reader.Has(TensorNames.InputMean) || reader.Has(TensorNames.InputStd))
            norm = new InputNormalization(
                reader.Float32(TensorNames.InputMean, new long?[] { inputs }, "[I]"),
                reader.Float32(TensorNames.InputStd, new long?[] { inputs }, "[I]"));

        OutputScaling? scaling = null;
        if (reader.Has(TensorNames.OutputScale) || reader.Has(TensorNames.OutputOffset))
            scaling = new OutputScaling(
                reader.Float32(TensorNames.OutputScale, new long?[] { outputs }, "[O]"),
                reader.Float32(TensorNames.OutputOffset, new long?[] { outputs }, "[O]"));

        InputQuantization? inputQuant = null;
        if (precision == ModelPrecision.Int8)
            inputQuant = new InputQuantization(
                reader.Float32(TensorNames.InputQuantScale, new long?[] { 1 }, "[1]")[0],
                reader.Int32(TensorNames.InputQuantZeroPoint, new long[] { 1 }, "[1]")[0]);
        var quantization = quantized ? new ModelQuantization(precision, qLayers, qHead, inputQuant, qHiddenDense, qEmbedding) : null;

        var unused = reader.Unused.FirstOrDefault();
        if (unused is not null)
            throw reader.Fail(unused, "is not part of a TinyGru model file (see docs/model-format.md for the tensor names)");

        var metadata = ReadMetadata(reader, meta);
        var transform = ReadSeriesTransform(reader, meta, version, (int)inputs, (int)outputs);
        try
        {
            return new GruModel(convention, layers, head, norm, scaling, metadata, quantization, hiddenDense, embedding, gateActivation, transform);
        }
        catch (ModelFormatException e) when (e.FileName is null)
        {
            throw e.WithSource(file.Source);
        }
    }

    /// <summary>Serializes a model to TinyGru file bytes (deterministic: same model, same bytes).</summary>
    public static byte[] Serialize(GruModel model)
    {
        var tensors = new List<TensorData>();
        var quant = model.Quantization;
        void Matrix(string name, long rows, long cols, float[] weights, QuantizedMatrix? q)
        {
            if (q is null)
            {
                tensors.Add(TensorData.FromFloat32(name, new[] { rows, cols }, weights));
                return;
            }
            tensors.Add(TensorData.FromInt8(name, new[] { rows, cols }, q.Values));
            tensors.Add(TensorData.FromFloat32(name + TensorNames.ScaleSuffix, new[] { rows }, q.RowScales));
        }
        if (model.Embedding is { } embedding)
            Matrix(TensorNames.Embedding, embedding.VocabularySize, embedding.EmbeddingSize, embedding.Table, quant?.Embedding);
        for (int d = 0; d < model.HiddenDenseLayers.Count; d++)
        {
            var dense = model.HiddenDenseLayers[d];
            Matrix(TensorNames.DenseWeight(d), dense.OutputSize, dense.InputSize, dense.Weight, quant is null ? null : quant.HiddenDense[d]);
            tensors.Add(TensorData.FromFloat32(TensorNames.DenseBias(d), new long[] { dense.OutputSize }, dense.Bias));
        }
        for (int k = 0; k < model.Layers.Count; k++)
        {
            var l = model.Layers[k];
            long h3 = 3L * l.HiddenSize;
            Matrix(TensorNames.InputWeights(k), h3, l.InputSize, l.InputWeights, quant?.Layers[k].InputWeights);
            Matrix(TensorNames.RecurrentWeights(k), h3, l.HiddenSize, l.RecurrentWeights, quant?.Layers[k].RecurrentWeights);
            tensors.Add(TensorData.FromFloat32(TensorNames.InputBias(k), new[] { h3 }, l.InputBias));
            tensors.Add(TensorData.FromFloat32(TensorNames.RecurrentBias(k), new[] { h3 }, l.RecurrentBias));
        }
        if (model.Head is { } head)
        {
            Matrix(TensorNames.HeadWeight, head.OutputSize, head.InputSize, head.Weight, quant?.Head);
            tensors.Add(TensorData.FromFloat32(TensorNames.HeadBias, new long[] { head.OutputSize }, head.Bias));
        }
        if (model.InputNormalization is { } norm)
        {
            tensors.Add(TensorData.FromFloat32(TensorNames.InputMean, new long[] { norm.Mean.Length }, norm.Mean));
            tensors.Add(TensorData.FromFloat32(TensorNames.InputStd, new long[] { norm.Std.Length }, norm.Std));
        }
        if (model.OutputScaling is { } scaling)
        {
            tensors.Add(TensorData.FromFloat32(TensorNames.OutputScale, new long[] { scaling.Scale.Length }, scaling.Scale));
            tensors.Add(TensorData.FromFloat32(TensorNames.OutputOffset, new long[] { scaling.Offset.Length }, scaling.Offset));
        }
        if (quant?.Input is { } input)
        {
            tensors.Add(TensorData.FromFloat32(TensorNames.InputQuantScale, new long[] { 1 }, new[] { input.Scale }));
            tensors.Add(TensorData.FromInt32(TensorNames.InputQuantZeroPoint, new long[] { 1 }, new[] { input.ZeroPoint }));
        }

        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MetadataKeys.Format] = MetadataKeys.FormatValue,
            [MetadataKeys.Version] = (model.SeriesTransform?.IsSeasonal == true ? SeasonalVersion
                : model.SeriesTransform is not null || UsesDenseStackVersion(model) ? DenseStackVersion : quant is null ? 1 : 2).ToString(CultureInfo.InvariantCulture),
            [MetadataKeys.Convention] = ConventionName(model.Convention),
            [MetadataKeys.Layers] = model.Layers.Count.ToString(CultureInfo.InvariantCulture),
        };
        if (quant is not null) meta[MetadataKeys.Precision] = ModelPrecisions.Name(quant.Precision);
        if (model.Head is not null) meta[MetadataKeys.HeadActivation] = ActivationName(model.Head.Activation);
        if (model.HiddenDenseLayers.Count > 0) meta[MetadataKeys.DenseActivations] = Activations.FormatList(model.HiddenDenseLayers.Select(d => d.Activation));
        if (model.GateActivation != GateActivation.Sigmoid) meta[MetadataKeys.GateActivation] = Activations.Name(model.GateActivation);
        var md = model.Metadata;
        if (md.Name is not null) meta[MetadataKeys.Name] = md.Name;
        if (md.Task != ModelTask.Unspecified) meta[MetadataKeys.Task] = TaskName(md.Task);
        if (md.ClassLabels.Count > 0)
        {
            var sb = new StringBuilder("[");
            for (int i = 0; i < md.ClassLabels.Count; i++)
            {
                if (i > 0) sb.Append(',');
                JsonValue.WriteString(sb, md.ClassLabels[i]);
            }
            meta[MetadataKeys.Labels] = sb.Append(']').ToString();
        }
        foreach (var p in md.Provenance) meta[MetadataKeys.ProvenancePrefix + p.Key] = p.Value;
        if (model.SeriesTransform is { } transform)
        {
            meta[MetadataKeys.DifferencedInputs] = transform.DifferencedText();
            meta[MetadataKeys.ResidualInputs] = transform.ResidualText();
            if (transform.Season != 0) meta[MetadataKeys.TransformSeason] = transform.Season.ToString(CultureInfo.InvariantCulture);
            if (transform.ResidualDelay != 0) meta[MetadataKeys.ResidualDelay] = transform.ResidualDelay.ToString(CultureInfo.InvariantCulture);
        }
        return SafetensorsFile.Serialize(tensors, meta);
    }

    /// <summary>True when the model needs format version 3: hidden dense layers, a ReLU head, a token embedding or non-sigmoid gates.</summary>
    private static bool UsesDenseStackVersion(GruModel model) =>
        model.Embedding is not null || model.HiddenDenseLayers.Count > 0 || model.GateActivation != GateActivation.Sigmoid
        || model.Head?.Activation == HeadActivation.Relu;

    /// <summary>"reset-after" or "reset-before".</summary>
    public static string ConventionName(GateConvention c) => c == GateConvention.ResetAfter ? "reset-after" : "reset-before";

    /// <summary>Parses a convention name.</summary>
    public static GateConvention ParseConvention(string text, out bool ok)
    {
        ok = true;
        switch (text)
        {
            case "reset-after": return GateConvention.ResetAfter;
            case "reset-before": return GateConvention.ResetBefore;
            default: ok = false; return GateConvention.ResetAfter;
        }
    }

    /// <summary>Lower-case activation name.</summary>
    public static string ActivationName(HeadActivation a) => a.ToString().ToLowerInvariant();

    /// <summary>Parses a lower-case activation name.</summary>
    public static HeadActivation ParseActivation(string text, out bool ok)
    {
        foreach (HeadActivation a in Enum.GetValues(typeof(HeadActivation)))
            if (ActivationName(a) == text) { ok = true; return a; }
        ok = false;
        return HeadActivation.None;
    }

    /// <summary>Lower-case task name.</summary>
    public static string TaskName(ModelTask t) => t.ToString().ToLowerInvariant();

    private static ModelMetadata ReadMetadata(SafetensorsTensorReader reader, IReadOnlyDictionary<string, string> meta)
    {
        var task = ModelTask.Unspecified;
        if (Optional(meta, MetadataKeys.Task) is { } taskText)
        {
            var found = Enum.GetValues(typeof(ModelTask)).Cast<ModelTask>().Where(t => t != ModelTask.Unspecified && TaskName(t) == taskText).ToList();
            if (found.Count == 0) throw reader.FailMetadata(MetadataKeys.Task, $"is \"{taskText}\"; expected classification, regression or forecast");
            task = found[0];
        }
        var labels = new List<string>();
        if (Optional(meta, MetadataKeys.Labels) is { } labelText)
        {
            JsonValue json;
            try { json = JsonValue.Parse(labelText); }
            catch (FormatException e) { throw reader.FailMetadata(MetadataKeys.Labels, "is not valid JSON: " + e.Message); }
            if (json.Kind != JsonKind.Array || json.Items.Any(i => i.Kind != JsonKind.String))
                throw reader.FailMetadata(MetadataKeys.Labels, $"is {json.Describe()}; expected a JSON array of strings");
            labels.AddRange(json.Items.Select(i => i.Text!));
        }
        var provenance = meta.Where(kv => kv.Key.StartsWith(MetadataKeys.ProvenancePrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key.Substring(MetadataKeys.ProvenancePrefix.Length), kv => kv.Value, StringComparer.Ordinal);
        return new ModelMetadata(Optional(meta, MetadataKeys.Name), task, labels, provenance);
    }

    /// <summary>The optional series transform (version 3 metadata keys), or null.</summary>
    private static SeriesTransform? ReadSeriesTransform(SafetensorsTensorReader reader, IReadOnlyDictionary<string, string> meta, int version, int inputs, int outputs)
    {
        var differenced = Optional(meta, MetadataKeys.DifferencedInputs);
        var residual = Optional(meta, MetadataKeys.ResidualInputs);
        if (differenced is null && residual is null) return null;
        string key = differenced is not null ? MetadataKeys.DifferencedInputs : MetadataKeys.ResidualInputs;
        if (version < 3) throw reader.FailMetadata(MetadataKeys.Version, $"is {version}; models with a series transform ({key}) are format version 3");
        var parsed = SeriesTransform.Parse(differenced, residual, inputs, outputs, out var error);
        if (parsed is null) throw reader.FailMetadata(error!.StartsWith("has", StringComparison.Ordinal) || error.StartsWith("residual", StringComparison.Ordinal) ? MetadataKeys.ResidualInputs : MetadataKeys.DifferencedInputs, error);
        if (!parsed.DifferencesInputs && !parsed.IsResidual)
            throw reader.FailMetadata(key, "describes no transform (no differenced input, no residual output); leave both keys out");
        bool seasonal = meta.ContainsKey(MetadataKeys.TransformSeason) || meta.ContainsKey(MetadataKeys.ResidualDelay);
        if (seasonal && version < SeasonalVersion)
            throw reader.FailMetadata(MetadataKeys.Version, $"is {version}; seasonal series transforms ({MetadataKeys.TransformSeason}) are format version {SeasonalVersion}");
        int season = seasonal ? ReadInt(reader, meta, MetadataKeys.TransformSeason, 2, SeriesTransform.MaxSeason) : 0;
        int delay = meta.ContainsKey(MetadataKeys.ResidualDelay) ? ReadInt(reader, meta, MetadataKeys.ResidualDelay, 0, season - 1) : 0;
        return new SeriesTransform(parsed.DifferencedInputs, parsed.ResidualInputs, season, delay);
    }

    private static string Required(SafetensorsTensorReader reader, IReadOnlyDictionary<string, string> meta, string key) =>
        meta.TryGetValue(key, out var v) ? v : throw reader.FailMetadata(key, "is missing from __metadata__");

    private static string? Optional(IReadOnlyDictionary<string, string> meta, string key) => meta.TryGetValue(key, out var v) ? v : null;

    private static int ReadInt(SafetensorsTensorReader reader, IReadOnlyDictionary<string, string> meta, string key, int min, int max)
    {
        var text = Required(reader, meta, key);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw reader.FailMetadata(key, $"is \"{text}\"; expected an integer from {min} to {max}");
        return value;
    }
}

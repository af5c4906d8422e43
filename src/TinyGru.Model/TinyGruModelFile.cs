using System.Globalization;
using System.Text;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model;

/// <summary>
/// The TinyGru model file: a safetensors file with canonical tensor names (<see cref="TensorNames"/>) and
/// metadata keys (<see cref="MetadataKeys"/>), specified in docs/model-format.md.
/// </summary>
public static class TinyGruModelFile
{
    /// <summary>The format version this code writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

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

        var layers = new List<GruLayerSpec>();
        long? input = null;
        for (int k = 0; k < layerCount; k++)
        {
            var u = reader.Float32(TensorNames.RecurrentWeights(k), new long?[] { null, null }, "[3H, H]", out var uShape);
            long h = uShape[1];
            if (uShape[0] != 3 * h)
                throw reader.Fail(TensorNames.RecurrentWeights(k), $"has shape {TensorData.FormatShape(uShape)}; expected [3H, H] with 3H = 3·{h} = {3 * h} rows");
            var w = reader.Float32(TensorNames.InputWeights(k), new long?[] { 3 * h, input }, "[3H, I]", out var wShape);
            var bi = reader.Float32(TensorNames.InputBias(k), new long?[] { 3 * h }, "[3H]");
            var bh = reader.Float32(TensorNames.RecurrentBias(k), new long?[] { 3 * h }, "[3H]");
            layers.Add(new GruLayerSpec((int)wShape[1], (int)h, w, u, bi, bh));
            input = h;
        }

        DenseHeadSpec? head = null;
        if (reader.Has(TensorNames.HeadWeight) || reader.Has(TensorNames.HeadBias))
        {
            var hw = reader.Float32(TensorNames.HeadWeight, new long?[] { null, input }, "[O, H]", out var hwShape);
            long o = hwShape[0];
            var hb = reader.Float32(TensorNames.HeadBias, new long?[] { o }, "[O]");
            var activation = ParseActivation(Optional(meta, MetadataKeys.HeadActivation) ?? "none", out ok);
            if (!ok) throw reader.FailMetadata(MetadataKeys.HeadActivation, $"is \"{meta[MetadataKeys.HeadActivation]}\"; expected none, softmax, sigmoid or tanh");
            head = new DenseHeadSpec((int)input!.Value, (int)o, hw, hb, activation);
        }
        long outputs = head?.OutputSize ?? input!.Value;
        long inputs = layers[0].InputSize;

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

        var unused = reader.Unused.FirstOrDefault();
        if (unused is not null)
            throw reader.Fail(unused, "is not part of a TinyGru model file (see docs/model-format.md for the tensor names)");

        var metadata = ReadMetadata(reader, meta);
        try
        {
            return new GruModel(convention, layers, head, norm, scaling, metadata);
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
        for (int k = 0; k < model.Layers.Count; k++)
        {
            var l = model.Layers[k];
            long h3 = 3L * l.HiddenSize;
            tensors.Add(TensorData.FromFloat32(TensorNames.InputWeights(k), new[] { h3, l.InputSize }, l.InputWeights));
            tensors.Add(TensorData.FromFloat32(TensorNames.RecurrentWeights(k), new[] { h3, l.HiddenSize }, l.RecurrentWeights));
            tensors.Add(TensorData.FromFloat32(TensorNames.InputBias(k), new[] { h3 }, l.InputBias));
            tensors.Add(TensorData.FromFloat32(TensorNames.RecurrentBias(k), new[] { h3 }, l.RecurrentBias));
        }
        if (model.Head is { } head)
        {
            tensors.Add(TensorData.FromFloat32(TensorNames.HeadWeight, new long[] { head.OutputSize, head.InputSize }, head.Weight));
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

        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MetadataKeys.Format] = MetadataKeys.FormatValue,
            [MetadataKeys.Version] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            [MetadataKeys.Convention] = ConventionName(model.Convention),
            [MetadataKeys.Layers] = model.Layers.Count.ToString(CultureInfo.InvariantCulture),
        };
        if (model.Head is not null) meta[MetadataKeys.HeadActivation] = ActivationName(model.Head.Activation);
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
        return SafetensorsFile.Serialize(tensors, meta);
    }

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

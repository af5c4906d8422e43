using System.Globalization;
using System.Text.RegularExpressions;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.PyTorch;

/// <summary>
/// Imports a PyTorch <c>state_dict</c> saved with <c>safetensors.torch.save_file</c>: one <c>nn.GRU</c> under any
/// module prefix (<c>{p}weight_ih_l{k}</c> [3H, in], <c>{p}weight_hh_l{k}</c> [3H, H], <c>{p}bias_ih_l{k}</c>,
/// <c>{p}bias_hh_l{k}</c> [3H], gate rows r, z, n — TinyGru's canonical order), optionally an <c>nn.Embedding</c>
/// before it (<c>{e}weight</c> [V, I], a module named like "emb…"), and the <c>nn.Linear</c> layers after it
/// (<c>{q}weight</c> [out, in], <c>{q}bias</c> [out]; an nn.Sequential's <c>head.0</c>, <c>head.2</c>, … in index order).
/// Sizes are inferred from shapes; activations come from <see cref="ImportOptions"/>.
/// </summary>
public static class StateDictImporter
{
    private static readonly Regex GruParameter = new(@"^(?<prefix>.*?)(weight|bias)_(ih|hh)_l(?<layer>\d+)$", RegexOptions.CultureInvariant);

    private static readonly Regex GruWeight = new(@"^(?<prefix>.*?)weight_ih_l(?<layer>\d+)(?<reverse>_reverse)?$", RegexOptions.CultureInvariant);

    /// <summary>Converts a parsed state dict into a model (gate convention reset-after, head activation none).</summary>
    public static GruModel Read(SafetensorsFile file) => Read(file, ImportOptions.None);

    /// <summary>
    /// Converts a parsed state dict into a model; <paramref name="options"/> supplies the dense layers' activations (required
    /// for a head of more than one nn.Linear) and the tensors to ignore.
    /// </summary>
    public static GruModel Read(SafetensorsFile file, ImportOptions options)
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        var reader = new SafetensorsTensorReader(file);
        var matches = file.Tensors.Where(t => !options.Ignores(t.Name)).Select(t => (t.Name, Match: GruWeight.Match(t.Name))).Where(m => m.Match.Success).ToList();
        if (matches.Count == 0)
            throw new ModelFormatException(file.Source, null,
                "no GRU weights found; expected tensors named '<module>.weight_ih_l0', '<module>.weight_hh_l0', ... as saved from an nn.GRU state_dict (found: " + Listing(file.Tensors.Select(t => t.Name)) + ")");
        var reverse = matches.FirstOrDefault(m => m.Match.Groups["reverse"].Success);
        if (reverse.Name is not null)
            throw reader.Fail(reverse.Name, "belongs to a bidirectional GRU; TinyGru runs unidirectional streaming GRUs (bidirectional=False)");
        var prefixes = matches.Select(m => m.Match.Groups["prefix"].Value).Distinct(StringComparer.Ordinal).OrderBy(p => p, StringComparer.Ordinal).ToList();
        if (prefixes.Count > 1)
            throw new ModelFormatException(file.Source, null,
                $"found {prefixes.Count} GRU modules ({string.Join(", ", prefixes.Select(p => "'" + p.TrimEnd('.') + "'"))}); expected exactly one nn.GRU");
        string prefix = prefixes[0];
        // Layers are counted from every GRU parameter, not only weight_ih, so a missing weight_ih_l1 is named as missing
        // (not reported as a stray weight_hh_l1).
        long layerCount = 0;
        foreach (var t in file.Tensors)
        {
            var p = GruParameter.Match(t.Name);
            if (!p.Success || p.Groups["prefix"].Value != prefix) continue;
            if (!long.TryParse(p.Groups["layer"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long layer) || layer >= ModelLimits.MaxLayers)
                throw reader.Fail(t.Name, $"names layer {p.Groups["layer"].Value}; at most {ModelLimits.MaxLayers} GRU layers are supported");
            layerCount = Math.Max(layerCount, layer + 1);
        }
        for (int k = 0; k < layerCount; k++)
            if (!reader.Has(prefix + "weight_ih_l" + k.ToString(CultureInfo.InvariantCulture)))
                throw reader.Fail(prefix + "weight_ih_l" + k.ToString(CultureInfo.InvariantCulture), $"is missing; the file has parameters of GRU layers 0 to {layerCount - 1}, and every layer needs its input weights");

        var layers = new List<GruLayerSpec>();
        long? input = null;
        for (int k = 0; k < layerCount; k++)
        {
            string s = k.ToString(CultureInfo.InvariantCulture);
            string wName = prefix + "weight_ih_l" + s, uName = prefix + "weight_hh_l" + s;
            var u = reader.Float32(uName, new long?[] { null, null }, "[3H, H]", out var uShape);
            long h = uShape[1];
            if (uShape[0] == 4 * h)
                throw reader.Fail(uName, $"has shape {TensorData.FormatShape(uShape)} (4H rows): this looks like an LSTM; TinyGru imports nn.GRU");
            if (uShape[0] != 3 * h)
                throw reader.Fail(uName, $"has shape {TensorData.FormatShape(uShape)}; expected [3H, H] with 3H = {3 * h} rows");
            var w = reader.Float32(wName, new long?[] { 3 * h, input }, input is null ? "[3H, I]" : "[3H, H of the previous layer]", out var wShape);
            string biName = prefix + "bias_ih_l" + s, bhName = prefix + "bias_hh_l" + s;
            if (reader.Has(biName) != reader.Has(bhName))
                throw reader.Fail(reader.Has(biName) ? bhName : biName, "is missing while the other bias of the layer is present");
            var zeros = new float[3 * h];
            var bi = reader.Has(biName) ? reader.Float32(biName, new long?[] { 3 * h }, "[3H]") : zeros;
            var bh = reader.Has(bhName) ? reader.Float32(bhName, new long?[] { 3 * h }, "[3H]") : (float[])zeros.Clone();
            layers.Add(new GruLayerSpec((int)wShape[1], (int)h, w, u, bi, bh));
            input = h;
        }

        var embedding = ReadEmbedding(file, reader, prefix, options, layers[0].InputSize);
        var dense = ReadDenseStack(file, reader, prefix, options, input!.Value, embedding?.Module);
        var leftover = reader.Unused.FirstOrDefault(n => !options.Ignores(n));
        if (leftover is not null)
            throw reader.Fail(leftover, "is not part of an nn.Embedding, an nn.GRU or the nn.Linear layers after it; TinyGru cannot tell what it does (pass --ignore-tensor NAME to skip it, or export only the model's layers)");

        string name = Path.GetFileNameWithoutExtension(file.Source);
        var provenance = new Dictionary<string, string>
        {
            ["source"] = "pytorch-state-dict",
            ["file"] = Path.GetFileName(file.Source),
            ["gru_module"] = prefix.TrimEnd('.'),
        };
        if (dense.Count > 0) provenance["head_module"] = string.Join(",", dense.Select(d => d.Module));
        if (embedding is not null) provenance["embedding_module"] = embedding.Value.Module;
        try
        {
            var specs = dense.Select(d => d.Spec).ToList();
            var head = specs.Count == 0 ? null : specs[specs.Count - 1];
            var hidden = specs.Count <= 1 ? null : specs.Take(specs.Count - 1).ToList();
            return new GruModel(GateConvention.ResetAfter, layers, head, metadata: new ModelMetadata(name, ModelTask.Unspecified, null, provenance),
                hiddenDenseLayers: hidden, embedding: embedding?.Spec);
        }
        catch (ModelFormatException e) when (e.FileName is null)
        {
            throw e.WithSource(file.Source);
        }
    }

    /// <summary>An nn.Embedding: a 2-D <c>{m}weight</c> [V, E] without a bias whose E is the first GRU layer's input size and whose module is named like an embedding (or cannot be a Linear of the head).</summary>
    private static (TokenEmbedding Spec, string Module)? ReadEmbedding(SafetensorsFile file, SafetensorsTensorReader reader, string gruPrefix, ImportOptions options, int inputSize)
    {
        var candidates = NonGruWeights(file, gruPrefix, options)
            .Where(t => t.Shape[1] == inputSize && !reader.Has(ModuleOf(t.Name) + "bias")
                        && ModuleOf(t.Name).IndexOf("emb", StringComparison.OrdinalIgnoreCase) >= 0)
            .Select(t => t.Name).ToList();
        if (candidates.Count == 0) return null;
        if (candidates.Count > 1)
            throw new ModelFormatException(file.Source, null,
                $"found {candidates.Count} embedding tables ({string.Join(", ", candidates.Select(c => "'" + c + "'"))}) of shape [V, {inputSize}]; expected at most one nn.Embedding before the GRU");
        var table = reader.Float32(candidates[0], new long?[] { null, inputSize }, "[V, E]", out var shape);
        return (new TokenEmbedding((int)shape[0], inputSize, table), ModuleOf(candidates[0]).TrimEnd('.'));
    }

    /// <summary>
    /// The nn.Linear layers after the GRU: every other 2-D <c>{m}weight</c>, in module order (<c>head.0</c>, <c>head.2</c>,
    /// <c>head.10</c>; an nn.Sequential's indices, or separately named layers in name order), chained by their shapes.
    /// </summary>
    private static List<(DenseHeadSpec Spec, string Module)> ReadDenseStack(
        SafetensorsFile file, SafetensorsTensorReader reader, string gruPrefix, ImportOptions options, long hidden, string? embeddingModule)
    {
        var weights = NonGruWeights(file, gruPrefix, options)
            .Where(t => embeddingModule is null || ModuleOf(t.Name).TrimEnd('.') != embeddingModule)
            .OrderBy(t => NaturalKey(ModuleOf(t.Name)), StringComparer.Ordinal).ToList();
        var result = new List<(DenseHeadSpec, string)>();
        if (weights.Count == 0) return result;
        if (weights.Count == 1 && weights[0].Shape[1] != hidden)
            return result; // not a layer on the GRU's output: reported as an unused tensor
        if (weights.Count > ModelLimits.MaxDenseLayers)
            throw new ModelFormatException(file.Source, null,
                $"found {weights.Count} dense layers ({string.Join(", ", weights.Select(w => "'" + w.Name + "'"))}); TinyGru supports at most {ModelLimits.MaxDenseLayers}");

        var activations = options.DenseActivations;
        string modules = string.Join(", ", weights.Select(w => ModuleOf(w.Name).TrimEnd('.')));
        if (activations is null && weights.Count > 1)
            throw new ModelFormatException(file.Source, null,
                $"the head has {weights.Count} dense layers ({modules}); a state_dict does not record their activations: pass --head-activations with one per layer, e.g. {string.Join(",", Enumerable.Repeat("relu", weights.Count - 1).Append("none"))}");
        if (activations is not null && activations.Count != weights.Count)
            throw new ModelFormatException(file.Source, null,
                $"--head-activations names {activations.Count} activation(s) but the head has {weights.Count} dense layer(s) ({modules}); give one per layer");

        long width = hidden;
        for (int i = 0; i < weights.Count; i++)
        {
            string weightName = weights[i].Name, module = ModuleOf(weightName);
            string meaning = i == 0 ? $"[outputs, {hidden}] (the GRU's hidden size)" : $"[outputs, {width}] (the previous dense layer's outputs)";
            var weight = reader.Float32(weightName, new long?[] { null, width }, meaning, out var shape);
            long outputs = shape[0];
            var bias = reader.Has(module + "bias") ? reader.Float32(module + "bias", new long?[] { outputs }, "[outputs]") : new float[outputs];
            var activation = activations?[i] ?? HeadActivation.None;
            if (activation == HeadActivation.Softmax && i < weights.Count - 1)
                throw new ModelFormatException(file.Source, null, $"--head-activations: softmax is given for '{module.TrimEnd('.')}', which is not the last dense layer; softmax is supported only on the last");
            result.Add((new DenseHeadSpec((int)width, (int)outputs, weight, bias, activation), module.TrimEnd('.')));
            width = outputs;
        }
        return result;
    }

    private static IEnumerable<TensorData> NonGruWeights(SafetensorsFile file, string gruPrefix, ImportOptions options) =>
        file.Tensors.Where(t => (t.Name == "weight" || t.Name.EndsWith(".weight", StringComparison.Ordinal))
                                && !(gruPrefix.Length > 0 && t.Name.StartsWith(gruPrefix, StringComparison.Ordinal))
                                && !options.Ignores(t.Name) && t.Shape.Count == 2);

    /// <summary>"head.2." for "head.2.weight"; "" for "weight".</summary>
    private static string ModuleOf(string weightName) => weightName.Substring(0, weightName.Length - "weight".Length);

    /// <summary>Sort key that orders numbers by value: "head.2" before "head.10".</summary>
    private static string NaturalKey(string name) => Regex.Replace(name, @"\d+", m => m.Value.PadLeft(10, '0'));

    private static string Listing(IEnumerable<string> names)
    {
        var list = names.Take(11).ToList();
        if (list.Count == 0) return "no tensors";
        return list.Count > 10 ? string.Join(", ", list.Take(10)) + ", ..." : string.Join(", ", list);
    }
}

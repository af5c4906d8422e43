using System.Globalization;
using System.Text.RegularExpressions;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.PyTorch;

/// <summary>
/// Imports a PyTorch <c>state_dict</c> saved with <c>safetensors.torch.save_file</c>: one <c>nn.GRU</c> under any
/// module prefix (<c>{p}weight_ih_l{k}</c> [3H, in], <c>{p}weight_hh_l{k}</c> [3H, H], <c>{p}bias_ih_l{k}</c>,
/// <c>{p}bias_hh_l{k}</c> [3H], gate rows r, z, n — TinyGru's canonical order) and at most one <c>nn.Linear</c>
/// head (<c>{q}weight</c> [O, H], <c>{q}bias</c> [O]). Sizes are inferred from shapes.
/// </summary>
public static class StateDictImporter
{
    private static readonly Regex GruParameter = new(@"^(?<prefix>.*?)(weight|bias)_(ih|hh)_l(?<layer>\d+)$", RegexOptions.CultureInvariant);

    private static readonly Regex GruWeight = new(@"^(?<prefix>.*?)weight_ih_l(?<layer>\d+)(?<reverse>_reverse)?$", RegexOptions.CultureInvariant);

    /// <summary>Converts a parsed state dict into a model (gate convention reset-after, head activation none).</summary>
    public static GruModel Read(SafetensorsFile file)
    {
        var reader = new SafetensorsTensorReader(file);
        var matches = file.Tensors.Select(t => (t.Name, Match: GruWeight.Match(t.Name))).Where(m => m.Match.Success).ToList();
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

        var head = ReadHead(file, reader, prefix, input!.Value);
        var leftover = reader.Unused.FirstOrDefault();
        if (leftover is not null)
            throw reader.Fail(leftover, "is not part of an nn.GRU followed by at most one nn.Linear; TinyGru cannot tell what it does (export only the GRU and its output layer)");

        string name = Path.GetFileNameWithoutExtension(file.Source);
        var provenance = new Dictionary<string, string>
        {
            ["source"] = "pytorch-state-dict",
            ["file"] = Path.GetFileName(file.Source),
            ["gru_module"] = prefix.TrimEnd('.'),
        };
        if (head is not null) provenance["head_module"] = head.Value.Module;
        try
        {
            return new GruModel(GateConvention.ResetAfter, layers, head?.Spec, metadata: new ModelMetadata(name, ModelTask.Unspecified, null, provenance));
        }
        catch (ModelFormatException e) when (e.FileName is null)
        {
            throw e.WithSource(file.Source);
        }
    }

    private static (DenseHeadSpec Spec, string Module)? ReadHead(SafetensorsFile file, SafetensorsTensorReader reader, string gruPrefix, long hidden)
    {
        var candidates = file.Tensors
            .Where(t => (t.Name == "weight" || t.Name.EndsWith(".weight", StringComparison.Ordinal))
                        && !(gruPrefix.Length > 0 && t.Name.StartsWith(gruPrefix, StringComparison.Ordinal))
                        && t.Shape.Count == 2 && t.Shape[1] == hidden)
            .Select(t => t.Name).ToList();
        if (candidates.Count == 0) return null;
        if (candidates.Count > 1)
            throw new ModelFormatException(file.Source, null,
                $"found {candidates.Count} candidate output layers ({string.Join(", ", candidates.Select(c => "'" + c + "'"))}) of shape [O, {hidden}]; expected at most one nn.Linear after the GRU");
        string weightName = candidates[0];
        string module = weightName.Substring(0, weightName.Length - "weight".Length);
        var weight = reader.Float32(weightName, new long?[] { null, hidden }, "[O, H]", out var shape);
        long outputs = shape[0];
        var bias = reader.Has(module + "bias") ? reader.Float32(module + "bias", new long?[] { outputs }, "[O]") : new float[outputs];
        return (new DenseHeadSpec((int)hidden, (int)outputs, weight, bias, HeadActivation.None), module.TrimEnd('.'));
    }

    private static string Listing(IEnumerable<string> names)
    {
        var list = names.Take(11).ToList();
        if (list.Count == 0) return "no tensors";
        return list.Count > 10 ? string.Join(", ", list.Take(10)) + ", ..." : string.Join(", ", list);
    }
}

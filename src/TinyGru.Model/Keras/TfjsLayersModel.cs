using System.Text;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.Keras;

/// <summary>
/// Reads a TensorFlow.js layers model (what <c>tensorflowjs_converter</c> and <c>model.save()</c> write): <c>model.json</c>
/// with <c>modelTopology</c> (the Keras model config) and <c>weightsManifest</c> (weight names, shapes and dtypes, in
/// order, stored back to back in the listed shard files beside it). float32 weights only.
/// </summary>
public static class TfjsLayersModel
{
    /// <summary>True when <paramref name="bytes"/> look like a TF.js layers model.json (a JSON object naming modelTopology).</summary>
    public static bool LooksLikeModelJson(byte[] bytes)
    {
        int n = Math.Min(bytes.Length, 4096);
        int i = 0;
        while (i < n && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t' || bytes[i] == 0xEF || bytes[i] == 0xBB || bytes[i] == 0xBF)) i++;
        return i < n && bytes[i] == '{' && Encoding.UTF8.GetString(bytes, 0, n).Contains("\"modelTopology\"");
    }

    /// <summary>Reads model.json at <paramref name="path"/> and its weight shards from the same folder.</summary>
    public static GruModel Read(string path) =>
        Load(ModelFileBytes.Read(path), path, shard => ModelFileBytes.Read(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", shard)));

    /// <summary>Reads model.json bytes; <paramref name="readShard"/> returns the bytes of a shard named in the manifest.</summary>
    public static GruModel Load(byte[] modelJson, string source, Func<string, byte[]> readShard)
    {
        if (modelJson is null) throw new ArgumentNullException(nameof(modelJson));
        if (readShard is null) throw new ArgumentNullException(nameof(readShard));
        ModelFormatException Fail(string? location, string problem) => new(source, location, problem);
        JsonValue root;
        try
        {
            int skip = modelJson.Length >= 3 && modelJson[0] == 0xEF && modelJson[1] == 0xBB && modelJson[2] == 0xBF ? 3 : 0;
            root = JsonValue.Parse(modelJson, skip, modelJson.Length - skip);
        }
        catch (FormatException e)
        {
            throw Fail(null, "is not valid JSON: " + e.Message);
        }
        if (KerasModelBuilder.Str(root, "format") is { } format && format != "layers-model")
            throw Fail("format", $"is '{format}'; TinyGru reads TF.js layers models (a graph model has lost its Keras layers: convert the Keras model with --output_format tfjs_layers_model)");
        var topology = KerasModelBuilder.Get(root, "modelTopology") ?? throw Fail("modelTopology", "is missing; expected a TF.js layers model.json");
        // model.save() nests the config under model_config; tensorflowjs_converter writes it directly.
        var modelConfig = KerasModelBuilder.Get(topology, "model_config") ?? topology;
        var manifest = KerasModelBuilder.Get(root, "weightsManifest");
        if (manifest is null || manifest.Kind != JsonKind.Array) throw Fail("weightsManifest", "is missing; expected the list of weight groups");

        var weights = new List<KerasWeight>();
        int group = 0;
        foreach (var g in manifest.Items)
        {
            var paths = KerasModelBuilder.Get(g, "paths");
            var specs = KerasModelBuilder.Get(g, "weights");
            if (paths is null || specs is null || paths.Kind != JsonKind.Array || specs.Kind != JsonKind.Array)
                throw Fail($"weightsManifest[{group}]", "needs 'paths' and 'weights' lists");
            var bytes = new List<byte>();
            foreach (var p in paths.Items)
            {
                string shard = p.Text ?? throw Fail($"weightsManifest[{group}].paths", "expected file names");
                if (shard.Contains("..") || Path.IsPathRooted(shard))
                    throw Fail($"weightsManifest[{group}].paths", $"'{shard}' is not a file name beside model.json");
                try { bytes.AddRange(readShard(shard)); }
                catch (ModelFormatException) { throw; }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw Fail($"weight shard '{shard}'", "cannot be read: " + e.Message);
                }
            }
            var data = bytes.ToArray();
            long offset = 0;
            foreach (var spec in specs.Items)
            {
                string name = KerasModelBuilder.Str(spec, "name") ?? throw Fail($"weightsManifest[{group}]", "a weight has no name");
                string dtype = KerasModelBuilder.Str(spec, "dtype") ?? "float32";
                if (dtype != "float32")
                    throw Fail($"weight '{name}'", $"has dtype {dtype}; TinyGru reads float32 TF.js weights (convert without quantization)");
                if (KerasModelBuilder.Get(spec, "quantization") is not null)
                    throw Fail($"weight '{name}'", "is quantized by tensorflowjs_converter; convert without --quantize_* options");
                var shapeJson = KerasModelBuilder.Get(spec, "shape");
                var shape = new List<long>();
                long count = 1;
                foreach (var d in shapeJson?.Items ?? Array.Empty<JsonValue>())
                {
                    if (!d.TryGetUInt64(out ulong v) || v > int.MaxValue) throw Fail($"weight '{name}'", "has an invalid shape");
                    shape.Add((long)v);
                    count *= (long)v;
                }
                if (offset + 4 * count > data.Length)
                    throw Fail($"weight '{name}'", $"needs bytes {offset} to {offset + 4 * count} but the shards of group {group} hold {data.Length}");
                var values = new float[count];
                Buffer.BlockCopy(data, (int)offset, values, 0, (int)(4 * count));
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("TF.js weights are little-endian");
                offset += 4 * count;
                weights.Add(new KerasWeight(name, shape, values));
            }
            group++;
        }

        // TF.js names weights "<layer>/<weight>"; a layer's weights are listed together in get_weights() order.
        IReadOnlyList<KerasWeight> WeightsOf(string layer) =>
            weights.Where(w => w.Name.StartsWith(layer + "/", StringComparison.Ordinal)).ToList();
        return KerasModelBuilder.Build(modelConfig, WeightsOf, KerasGeneration.Keras2, source, "tfjs-layers-model");
    }
}

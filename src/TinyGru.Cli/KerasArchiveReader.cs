using System.Globalization;
using System.IO.Compression;
using System.Text;
using PureHDF;
using TinyGru.Model;
using TinyGru.Model.Keras;
using TinyGru.Model.Safetensors;

namespace TinyGru.Cli;

/// <summary>
/// The two HDF5 containers of a Keras model, read with PureHDF and handed to <see cref="KerasModelBuilder"/>:
/// Keras 3 <c>.keras</c> (a zip of <c>config.json</c>, <c>metadata.json</c> and <c>model.weights.h5</c> with each layer's
/// weights under <c>layers/&lt;name&gt;[/cell]/vars/&lt;i&gt;</c>) and legacy <c>.h5</c> (a <c>model_config</c> attribute and
/// <c>model_weights/&lt;layer&gt;</c> groups listing their datasets in a <c>weight_names</c> attribute). The generator, which
/// runs inside the compiler without this dependency, points users here (TGRU003).
/// </summary>
internal static class KerasArchiveReader
{
    /// <summary>Reads a .keras or .h5 file's <paramref name="bytes"/>; <paramref name="source"/> names it in messages.</summary>
    public static GruModel Read(byte[] bytes, string source)
    {
        try
        {
            if (bytes.Length >= 4 && bytes[0] == (byte)'P' && bytes[1] == (byte)'K') return ReadKeras3(bytes, source);
            if (bytes.Length >= 8 && bytes[0] == 0x89 && bytes[1] == (byte)'H' && bytes[2] == (byte)'D' && bytes[3] == (byte)'F') return ReadLegacyH5(bytes, source);
        }
        catch (ModelFormatException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // PureHDF and the zip reader throw their own exception types for damaged files.
            throw new ModelFormatException(source, null, "cannot read the Keras file: " + e.Message.Split('\n')[0]);
        }
        throw new ModelFormatException(source, null, "is neither a Keras 3 .keras archive (a zip) nor an HDF5 .h5 file");
    }

    private static GruModel ReadKeras3(byte[] bytes, string source)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        byte[] Entry(string name)
        {
            var e = zip.GetEntry(name) ?? throw new ModelFormatException(source, name, "is missing from the .keras archive; expected config.json and model.weights.h5 (Keras 3 model.save)");
            using var s = e.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        }
        var config = ParseJson(Entry("config.json"), source, "config.json");
        using var h5 = H5File.Open(new MemoryStream(Entry("model.weights.h5")), leaveOpen: false);
        IReadOnlyList<KerasWeight> WeightsOf(string layer)
        {
            string at = "layers/" + layer;
            if (!h5.LinkExists(at)) return Array.Empty<KerasWeight>();
            var group = h5.Group(at);
            // A recurrent layer keeps its weights in its cell; other layers directly in vars.
            var vars = group.LinkExists("cell/vars") ? group.Group("cell/vars") : group.LinkExists("vars") ? group.Group("vars") : null;
            if (vars is null) return Array.Empty<KerasWeight>();
            var names = vars.Children().Select(c => c.Name).Where(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .OrderBy(n => int.Parse(n, CultureInfo.InvariantCulture)).ToList();
            return names.Select(n => ReadWeight(vars.Dataset(n), $"model.weights.h5:{at}/.../{n}", source)).ToList();
        }
        return KerasModelBuilder.Build(config, WeightsOf, KerasGeneration.Keras3, source, "keras3");
    }

    private static GruModel ReadLegacyH5(byte[] bytes, string source)
    {
        using var h5 = H5File.Open(new MemoryStream(bytes), leaveOpen: false);
        if (!h5.AttributeExists("model_config"))
            throw new ModelFormatException(source, "attribute 'model_config'", "is missing: this .h5 holds weights only (model.save_weights); save the whole model with model.save(\"model.h5\") or as .keras");
        var config = ParseJson(Encoding.UTF8.GetBytes(ReadString(h5.Attribute("model_config"))), source, "model_config");
        string version = h5.AttributeExists("keras_version") ? ReadString(h5.Attribute("keras_version")) : "2";
        var generation = version.StartsWith("3", StringComparison.Ordinal) ? KerasGeneration.Keras3 : KerasGeneration.Keras2;
        if (!h5.LinkExists("model_weights"))
            throw new ModelFormatException(source, "group 'model_weights'", "is missing; expected the layers' weights of a Keras model.save(\"model.h5\")");
        var weights = h5.Group("model_weights");
        IReadOnlyList<KerasWeight> WeightsOf(string layer)
        {
            if (!weights.LinkExists(layer)) return Array.Empty<KerasWeight>();
            var group = weights.Group(layer);
            if (!group.AttributeExists("weight_names")) return Array.Empty<KerasWeight>();
            var names = ReadStrings(group.Attribute("weight_names"));
            return names.Select(n => ReadWeight(group.Dataset(n), $"model_weights/{layer}/{n}", source)).ToList();
        }
        return KerasModelBuilder.Build(config, WeightsOf, generation, source, "keras-h5");
    }

    private static KerasWeight ReadWeight(IH5Dataset dataset, string location, string source)
    {
        var shape = dataset.Space.Dimensions.Select(d => (long)d).ToArray();
        var type = dataset.Type;
        if (type.Class != H5DataTypeClass.FloatingPoint || (type.Size != 4 && type.Size != 8))
            throw new ModelFormatException(source, location, $"has HDF5 type {type.Class} of {type.Size} bytes; expected float32 weights");
        float[] values = type.Size == 4 ? dataset.Read<float[]>() : dataset.Read<double[]>().Select(v => (float)v).ToArray();
        return new KerasWeight(location, shape, values);
    }

    private static string ReadString(IH5Attribute attribute)
    {
        // Keras writes byte strings (fixed length) or, through h5py, variable-length strings; both read as string.
        if (attribute.Space.Rank == 0) return attribute.Read<string>();
        return attribute.Read<string[]>().FirstOrDefault() ?? "";
    }

    private static string[] ReadStrings(IH5Attribute attribute) =>
        attribute.Space.Rank == 0 ? new[] { attribute.Read<string>() } : attribute.Read<string[]>();

    private static JsonValue ParseJson(byte[] utf8, string source, string what)
    {
        try
        {
            return JsonValue.Parse(utf8, 0, utf8.Length);
        }
        catch (FormatException e)
        {
            throw new ModelFormatException(source, what, "is not valid JSON: " + e.Message);
        }
    }
}

/// <summary>The CLI's model loading: every format <see cref="ModelLoader"/> reads, plus Keras .keras and .h5.</summary>
internal static class CliModelLoader
{
    public static GruModel Load(string path, ImportOptions? options = null) => Load(path, options, out _);

    public static GruModel Load(string path, ImportOptions? options, out ModelFileKind kind)
    {
        // Read once (ModelFileBytes refuses devices and FIFOs before opening them); Keras archives need PureHDF, which
        // TinyGru.Model (shared with the generator) does not carry, so they are recognised here.
        string file = ModelLoader.ModelFilePath(path);
        return Load(ModelFileBytes.Read(file), file, options ?? ImportOptions.None, out kind);
    }

    /// <summary>Loads a model from the bytes of <paramref name="file"/> (read by the caller, which may also hash them).</summary>
    public static GruModel Load(byte[] bytes, string file, ImportOptions options, out ModelFileKind kind)
    {
        if (ModelLoader.IsKerasArchive(bytes, file) && !(bytes.Length >= 2 && bytes[0] == 0x08))
        {
            kind = ModelFileKind.KerasArchive;
            return KerasArchiveReader.Read(bytes, file);
        }
        return ModelLoader.Load(bytes, file, options, out kind);
    }
}

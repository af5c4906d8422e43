using TinyGru.Model.Keras;
using TinyGru.Model.Onnx;
using TinyGru.Model.PyTorch;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model;

/// <summary>The model file formats TinyGru reads.</summary>
public enum ModelFileKind
{
    /// <summary>A TinyGru model file (safetensors with TinyGru metadata).</summary>
    TinyGru,
    /// <summary>A PyTorch state_dict saved as safetensors.</summary>
    PyTorchStateDict,
    /// <summary>An ONNX model.</summary>
    Onnx,
    /// <summary>A TensorFlow.js layers model (model.json and weight shards).</summary>
    TfjsLayersModel,
    /// <summary>A Keras 3 .keras archive or a legacy Keras .h5 file (read by the CLI, which has an HDF5 reader).</summary>
    KerasArchive,
}

/// <summary>Reads any supported model file, telling the formats apart by content.</summary>
public static class ModelLoader
{
    /// <summary>Loads the model at <paramref name="path"/>; <paramref name="source"/> (default: the path) names it in messages.</summary>
    public static GruModel Load(string path, string? source = null) => Load(path, ImportOptions.None, source, out _);

    /// <summary>
    /// Loads the model at <paramref name="path"/> (a file, or a folder holding a TF.js <c>model.json</c>) with what the user
    /// supplies in <paramref name="options"/>, and reports its format.
    /// </summary>
    public static GruModel Load(string path, ImportOptions options, string? source, out ModelFileKind kind)
    {
        path = ModelFilePath(path);
        source ??= path;
        var bytes = ModelFileBytes.Read(path, source);
        if (TfjsLayersModel.LooksLikeModelJson(bytes))
        {
            kind = ModelFileKind.TfjsLayersModel;
            string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            return TfjsLayersModel.Load(bytes, source, shard => ModelFileBytes.Read(Path.Combine(folder, shard), shard));
        }
        return Load(bytes, source, options, out kind);
    }

    /// <summary>The file to read for <paramref name="path"/>: the path itself, or the <c>model.json</c> in a TF.js model folder.</summary>
    public static string ModelFilePath(string path)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        return Directory.Exists(path) && File.Exists(Path.Combine(path, "model.json")) ? Path.Combine(path, "model.json") : path;
    }

    /// <summary>True for a Keras 3 .keras archive (a zip) or an HDF5 file (legacy Keras .h5), by name or signature.</summary>
    public static bool IsKerasArchive(byte[] bytes, string source)
    {
        if (source.EndsWith(".keras", StringComparison.OrdinalIgnoreCase) || source.EndsWith(".h5", StringComparison.OrdinalIgnoreCase)
            || source.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase))
            return true;
        // HDF5 superblock signature \x89HDF\r\n\x1a\n at offset 0.
        return bytes.Length >= 8 && bytes[0] == 0x89 && bytes[1] == (byte)'H' && bytes[2] == (byte)'D' && bytes[3] == (byte)'F';
    }

    /// <summary>Loads a model from file bytes; <paramref name="source"/> names the file in messages.</summary>
    public static GruModel Load(byte[] bytes, string source) => Load(bytes, source, out _);

    /// <summary>Loads a model and reports which format the file was.</summary>
    public static GruModel Load(byte[] bytes, string source, out ModelFileKind kind) => Load(bytes, source, ImportOptions.None, out kind);

    /// <summary>Loads the model at <paramref name="path"/> with what the user supplies in <paramref name="options"/>.</summary>
    public static GruModel Load(string path, ImportOptions options) => Load(path, options, null, out _);

    /// <summary>Loads a model with <paramref name="options"/> (used by the readers that cannot learn everything from the file) and reports its format.</summary>
    public static GruModel Load(byte[] bytes, string source, ImportOptions options, out ModelFileKind kind)
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        if (bytes is null) throw new ArgumentNullException(nameof(bytes));
        if (bytes.Length == 0)
            throw new ModelFormatException(source, null, "the file is empty; expected a TinyGru or PyTorch safetensors file or an ONNX model");
        if (IsKerasArchive(bytes, source))
            throw new ModelFormatException(source, null,
                "is a Keras .keras/.h5 file, which needs an HDF5 reader: convert it first with `tinygru convert MODEL.keras -o model.safetensors` and use the TinyGru file");
        if (TfjsLayersModel.LooksLikeModelJson(bytes))
        {
            // Without a file system path the weight shards beside model.json cannot be found.
            kind = ModelFileKind.TfjsLayersModel;
            string folder = Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";
            return TfjsLayersModel.Load(bytes, source, shard => ModelFileBytes.Read(Path.Combine(folder, shard), shard));
        }
        bool onnxName = source.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
        if (!onnxName && (SafetensorsFile.LooksLikeSafetensors(bytes) || source.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)))
        {
            var file = SafetensorsFile.Parse(bytes, source);
            if (TinyGruModelFile.IsTinyGru(file))
            {
                kind = ModelFileKind.TinyGru;
                return TinyGruModelFile.Read(file);
            }
            kind = ModelFileKind.PyTorchStateDict;
            return StateDictImporter.Read(file, options);
        }
        if (onnxName || OnnxImporter.LooksLikeOnnx(bytes))
        {
            kind = ModelFileKind.Onnx;
            return OnnxImporter.Load(bytes, source);
        }
        throw new ModelFormatException(source, null, "not a model file TinyGru reads; expected a TinyGru or PyTorch state_dict .safetensors file or an .onnx model");
    }
}

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
}

/// <summary>Reads any supported model file, telling the formats apart by content.</summary>
public static class ModelLoader
{
    /// <summary>Loads the model at <paramref name="path"/>; <paramref name="source"/> (default: the path) names it in messages.</summary>
    public static GruModel Load(string path, string? source = null) => Load(ModelFileBytes.Read(path, source), source ?? path);

    /// <summary>Loads a model from file bytes; <paramref name="source"/> names the file in messages.</summary>
    public static GruModel Load(byte[] bytes, string source) => Load(bytes, source, out _);

    /// <summary>Loads a model and reports which format the file was.</summary>
    public static GruModel Load(byte[] bytes, string source, out ModelFileKind kind) => Load(bytes, source, ImportOptions.None, out kind);

    /// <summary>Loads the model at <paramref name="path"/> with what the user supplies in <paramref name="options"/>.</summary>
    public static GruModel Load(string path, ImportOptions options) => Load(ModelFileBytes.Read(path, null), path, options, out _);

    /// <summary>Loads a model with <paramref name="options"/> (used by the readers that cannot learn everything from the file) and reports its format.</summary>
    public static GruModel Load(byte[] bytes, string source, ImportOptions options, out ModelFileKind kind)
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        if (bytes is null) throw new ArgumentNullException(nameof(bytes));
        if (bytes.Length == 0)
            throw new ModelFormatException(source, null, "the file is empty; expected a TinyGru or PyTorch safetensors file or an ONNX model");
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

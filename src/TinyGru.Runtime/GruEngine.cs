using TinyGru.Model;
using TinyGru.Runtime;

namespace TinyGru;

/// <summary>
/// Loads a model at run time and returns an engine that runs it: the one entry point for models that are not
/// compiled into the program (for example a model updated over the air on a Linux board). Code generated at build
/// time by TinyGru.Generator is faster; both implement <see cref="IGruModel"/>.
/// </summary>
public static class GruEngine
{
    /// <summary>
    /// Reads a TinyGru model file, a PyTorch state_dict saved as safetensors or an ONNX model (told apart by content),
    /// validates it and returns its engine in the zero state.
    /// </summary>
    /// <exception cref="ModelFormatException">The file is missing or not a valid model; the message names the file and the tensor or node at fault.</exception>
    public static IGruModel Load(string path) => Create(ModelLoader.Load(path));

    /// <summary>As <see cref="Load(string)"/>, from bytes already in memory; <paramref name="source"/> names them in error messages.</summary>
    public static IGruModel Load(byte[] bytes, string source) => Create(ModelLoader.Load(bytes, source));

    /// <summary>
    /// The engine for a model already loaded: <see cref="Int8ReferenceEngine"/> (bit-exact integer arithmetic) for
    /// integer-only int8 models, <see cref="GruReferenceEngine"/> otherwise.
    /// </summary>
    public static IGruModel Create(GruModel model) => ReferenceEngines.Create(model);
}

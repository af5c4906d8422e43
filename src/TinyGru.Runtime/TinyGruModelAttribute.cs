namespace TinyGru;

/// <summary>
/// Asks the TinyGru source generator to implement this partial struct or class from a model file.
/// The file must be an <c>AdditionalFiles</c> item of the project; <paramref name="path"/> is matched against
/// those items relative to the project folder, then by file name.
/// </summary>
/// <param name="path">The model file: TinyGru or PyTorch state_dict .safetensors, or .onnx.</param>
[AttributeUsage(AttributeTargets.Struct | AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TinyGruModelAttribute(string path) : Attribute
{
    /// <summary>The model file path as written in the attribute.</summary>
    public string Path { get; } = path;
}

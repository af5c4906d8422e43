using TinyGru.Model;

namespace TinyGru.Generator;

/// <summary>
/// One model-like AdditionalFiles item, read and validated once. Equality is by path and content hash: the same bytes
/// always give the same model, so the parsed <see cref="GruModel"/> itself does not take part in comparisons.
/// </summary>
internal sealed class ModelFileSpec : IEquatable<ModelFileSpec>
{
    private ModelFileSpec(string path, string hash, GruModel? model, string? error)
    {
        Path = path;
        Hash = hash;
        Model = model;
        Error = error;
    }

    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>SHA-256 of the file, lower-case hex (empty when unreadable).</summary>
    public string Hash { get; }

    public GruModel? Model { get; }

    /// <summary>The reader's message when the file is not a valid model.</summary>
    public string? Error { get; }

    public static bool IsModelFile(string path) =>
        path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
        // Keras files are matched so that TGRU003 can say to convert them (the generator has no HDF5 reader).
        || path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase);

    public static ModelFileSpec Read(string path, CancellationToken cancellationToken)
    {
        string name = System.IO.Path.GetFileName(path);
        byte[] bytes;
        try
        {
#pragma warning disable RS1035 // Model files are binary: AdditionalText.GetText() would decode them as text and corrupt them.
            bytes = ModelFileBytes.Read(path, name);
#pragma warning restore RS1035
        }
        catch (ModelFormatException e)
        {
            return new ModelFileSpec(path, "", null, e.Message);
        }
        cancellationToken.ThrowIfCancellationRequested();
        string hash = ModelFileBytes.Sha256Hex(bytes);
        try
        {
            var model = ModelLoader.Load(bytes, name);
            return new ModelFileSpec(path, hash, model, null);
        }
        catch (ModelFormatException e)
        {
            return new ModelFileSpec(path, hash, null, e.Message);
        }
    }

    public bool Equals(ModelFileSpec? other) =>
        other is not null && Path == other.Path && Hash == other.Hash && Error == other.Error;

    public override bool Equals(object? obj) => Equals(obj as ModelFileSpec);

    public override int GetHashCode() => Path.GetHashCode() ^ Hash.GetHashCode();
}

namespace TinyGru.Model;

/// <summary>Reads a model file's bytes with a size limit and a clear message when it cannot be read.</summary>
public static class ModelFileBytes
{
    /// <summary>Largest model file read (1 GiB); <see cref="ModelLimits.MaxParameters"/> float32 weights fit well within it.</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>SHA-256 of <paramref name="bytes"/> as lower-case hex: the model's identity in generated code.</summary>
    public static string Sha256Hex(byte[] bytes)
    {
        using var sha = System.Security.Cryptography.SHA256.Create();
        return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Reads <paramref name="path"/>; <paramref name="source"/> (default: the path) names it in messages.</summary>
    public static byte[] Read(string path, string? source = null)
    {
        source ??= path;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new ModelFormatException(source, null, "file not found");
            if (info.Length > MaxFileBytes)
                throw new ModelFormatException(source, null, $"the file is {info.Length} bytes; model files larger than {MaxFileBytes} bytes are not supported");
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(source, null, "cannot read the file: " + e.Message);
        }
    }
}

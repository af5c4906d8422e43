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

    /// <summary>
    /// Reads <paramref name="path"/>; <paramref name="source"/> (default: the path) names it in messages. Reads at most
    /// the length the file system reports (and at most <see cref="MaxFileBytes"/>): a device or pipe, whose reported
    /// length is 0, is refused before it is opened, so /dev/zero or a FIFO can neither exhaust memory nor block.
    /// </summary>
    public static byte[] Read(string path, string? source = null)
    {
        source ??= path;
        try
        {
            if (Directory.Exists(path)) throw new ModelFormatException(source, null, "is a folder; expected a model file");
            var info = new FileInfo(path);
            if (!info.Exists) throw new ModelFormatException(source, null, "file not found");
            long length = info.Length;
            if (length > MaxFileBytes)
                throw new ModelFormatException(source, null, $"the file is {length} bytes; model files larger than {MaxFileBytes} bytes are not supported");
            if (length == 0)
                throw new ModelFormatException(source, null, "the file is empty or not a regular file (a device or a pipe); expected a TinyGru or PyTorch safetensors file or an ONNX model");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = stream.Read(bytes, read, bytes.Length - read);
                if (n == 0) throw new ModelFormatException(source, null, $"the file ended after {read} of its {length} bytes (it changed while being read)");
                read += n;
            }
            if (stream.ReadByte() >= 0)
                throw new ModelFormatException(source, null, $"the file is longer than the {length} bytes it reported (it changed while being read, or is not a regular file)");
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(source, null, "cannot read the file: " + e.Message);
        }
    }
}

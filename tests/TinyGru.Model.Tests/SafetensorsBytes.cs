using System.Text;

namespace TinyGru.Model.Tests;

/// <summary>Builds raw safetensors bytes from a header string and a data section, for corrupt-file tests.</summary>
internal static class SafetensorsBytes
{
    public static byte[] Make(string header, byte[]? data = null, ulong? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        data ??= Array.Empty<byte>();
        var bytes = new byte[8 + h.Length + data.Length];
        BitConverter.GetBytes(declaredLength ?? (ulong)h.Length).CopyTo(bytes, 0);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    public static byte[] Floats(params float[] values)
    {
        var b = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, b, 0, b.Length);
        return b;
    }
}

using System.Globalization;
using System.Text;

namespace TinyGru.Model.Safetensors;

/// <summary>
/// A parsed safetensors file: 8-byte little-endian header length N, N bytes of JSON header
/// (<c>{"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {string: string}}</c>), then the data.
/// Reading is strict and bounded: every problem is a <see cref="ModelFormatException"/> naming the file and the key.
/// </summary>
public sealed class SafetensorsFile
{
    /// <summary>Largest header accepted (the Python safetensors package's own limit).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>Most dimensions accepted in one tensor shape.</summary>
    public const int MaxRank = 8;

    private readonly Dictionary<string, TensorData> _byName;

    private SafetensorsFile(string source, IReadOnlyList<TensorData> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Source = source;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>File name used in messages.</summary>
    public string Source { get; }

    /// <summary>Tensors in header order.</summary>
    public IReadOnlyList<TensorData> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGet(string name, out TensorData tensor) => _byName.TryGetValue(name, out tensor!);

    /// <summary>True when <paramref name="bytes"/> begins like a safetensors file (a plausible length then '{').</summary>
    public static bool LooksLikeSafetensors(byte[] bytes)
    {
        if (bytes.Length < 9) return false;
        ulong n = BitConverter.ToUInt64(bytes, 0);
        return n > 0 && n <= (ulong)(bytes.Length - 8) && bytes[8] == (byte)'{';
    }

    /// <summary>Reads a file from disk; <paramref name="source"/> (default: the path) names it in messages.</summary>
    public static SafetensorsFile Read(string path, string? source = null) =>
        Parse(ModelFileBytes.Read(path, source), source ?? path);

    /// <summary>Parses safetensors bytes; <paramref name="source"/> names the file in messages.</summary>
    public static SafetensorsFile Parse(byte[] bytes, string source)
    {
        if (bytes.Length == 0) throw Fail(source, null, "the file is empty; expected a safetensors file (8-byte header length, JSON header, data)");
        if (bytes.Length < 8)
            throw Fail(source, null, $"the file is {bytes.Length} bytes long, shorter than the 8-byte header length of a safetensors file");
        ulong headerLength = BitConverter.IsLittleEndian ? BitConverter.ToUInt64(bytes, 0) : ReadUInt64LittleEndian(bytes);
        if (headerLength == 0) throw Fail(source, null, "the header length is 0; expected a JSON header");
        if (headerLength > MaxHeaderBytes)
            throw Fail(source, null, $"the header length is {headerLength} bytes, more than the {MaxHeaderBytes} a safetensors header may have");
        if (headerLength > (ulong)(bytes.Length - 8))
            throw Fail(source, null, $"the header length is {headerLength} bytes but only {bytes.Length - 8} bytes follow it; the file is truncated or not safetensors");

        int n = (int)headerLength;
        JsonValue header;
        try
        {
            header = JsonValue.Parse(bytes, 8, n);
        }
        catch (FormatException e)
        {
            throw Fail(source, "header", "is not valid JSON: " + e.Message);
        }
        if (header.Kind != JsonKind.Object) throw Fail(source, "header", $"is {header.Describe()}; expected a JSON object");

        int dataStart = 8 + n;
        long dataLength = bytes.Length - dataStart;
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<(TensorData Tensor, long Begin, long End)>();
        foreach (var member in header.Members)
        {
            if (member.Key == "__metadata__")
            {
                ReadMetadata(source, member.Value, metadata);
                continue;
            }
            entries.Add(ReadEntry(source, member.Key, member.Value, bytes, dataStart, dataLength));
        }

        // The spec requires the data section to be covered exactly, with no holes or overlaps (no polyglot files).
        long expected = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < expected)
                throw Fail(source, e.Tensor.Name, $"data_offsets [{e.Begin}, {e.End}] overlap the previous tensor's bytes, which end at {expected}");
            if (e.Begin > expected)
                throw Fail(source, e.Tensor.Name, $"data_offsets begin at {e.Begin} but the previous tensor ends at {expected}; the data section must have no holes");
            expected = e.End;
        }
        if (expected != dataLength)
            throw Fail(source, null, $"the tensors cover {expected} bytes of data but the file has {dataLength} bytes after the header");

        return new SafetensorsFile(source, entries.Select(e => e.Tensor).ToArray(), metadata);
    }

    private static void ReadMetadata(string source, JsonValue value, IDictionary<string, string> metadata)
    {
        if (value.Kind != JsonKind.Object) throw Fail(source, "__metadata__", $"is {value.Describe()}; expected an object of strings");
        foreach (var m in value.Members)
        {
            if (m.Value.Kind != JsonKind.String)
                throw Fail(source, "__metadata__." + m.Key, $"is {m.Value.Describe()}; metadata values must be strings");
            metadata[m.Key] = m.Value.Text!;
        }
    }

    private static (TensorData, long, long) ReadEntry(string source, string name, JsonValue value, byte[] bytes, int dataStart, long dataLength)
    {
        if (value.Kind != JsonKind.Object)
            throw Fail(source, name, $"header entry is {value.Describe()}; expected an object with dtype, shape and data_offsets");
        JsonValue? dtypeValue = null, shapeValue = null, offsetsValue = null;
        foreach (var m in value.Members)
        {
            switch (m.Key)
            {
                case "dtype": dtypeValue = m.Value; break;
                case "shape": shapeValue = m.Value; break;
                case "data_offsets": offsetsValue = m.Value; break;
                default: throw Fail(source, name, $"unknown header field '{m.Key}'; expected dtype, shape and data_offsets");
            }
        }
        if (dtypeValue is null) throw Fail(source, name, "header entry has no 'dtype'");
        if (shapeValue is null) throw Fail(source, name, "header entry has no 'shape'");
        if (offsetsValue is null) throw Fail(source, name, "header entry has no 'data_offsets'");

        if (dtypeValue.Kind != JsonKind.String) throw Fail(source, name, $"dtype is {dtypeValue.Describe()}; expected a string");
        if (!TensorDTypes.TryParse(dtypeValue.Text!, out var dtype))
            throw Fail(source, name, $"unknown dtype '{dtypeValue.Text}'; expected one of {TensorDTypes.KnownNames}");

        if (shapeValue.Kind != JsonKind.Array) throw Fail(source, name, $"shape is {shapeValue.Describe()}; expected an array of integers");
        if (shapeValue.Items.Count > MaxRank) throw Fail(source, name, $"shape has {shapeValue.Items.Count} dimensions; at most {MaxRank} are supported");
        var shape = new long[shapeValue.Items.Count];
        long elements = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (!shapeValue.Items[i].TryGetUInt64(out ulong d))
                throw Fail(source, name, $"shape dimension {i} is {shapeValue.Items[i].Describe()}; expected a non-negative integer");
            if (d > int.MaxValue)
                throw Fail(source, name, $"shape dimension {i} is {d}; at most {int.MaxValue} is supported");
            shape[i] = (long)d;
            elements = elements * shape[i];
            if (elements > int.MaxValue) throw Fail(source, name, $"shape {TensorData.FormatShape(shape.Take(i + 1))} has more than {int.MaxValue} elements");
        }

        if (offsetsValue.Kind != JsonKind.Array || offsetsValue.Items.Count != 2)
            throw Fail(source, name, $"data_offsets is {offsetsValue.Describe()}; expected [begin, end]");
        if (!offsetsValue.Items[0].TryGetUInt64(out ulong begin) || !offsetsValue.Items[1].TryGetUInt64(out ulong end))
            throw Fail(source, name, "data_offsets must be two non-negative integers");
        if (begin > end) throw Fail(source, name, $"data_offsets [{begin}, {end}] end before they begin");
        if (end > (ulong)dataLength)
            throw Fail(source, name, $"data_offsets [{begin}, {end}] reach past the end of the data ({dataLength} bytes); the file is truncated or the header is wrong");
        long expectedBytes = elements * dtype.Size();
        if ((long)(end - begin) != expectedBytes)
            throw Fail(source, name, $"shape {TensorData.FormatShape(shape)} of {dtype.Name()} needs {expectedBytes} bytes but data_offsets [{begin}, {end}] hold {end - begin}");

        var tensor = new TensorData(name, dtype, shape, bytes, dataStart + (int)begin, (int)(end - begin));
        return (tensor, (long)begin, (long)end);
    }

    private static ulong ReadUInt64LittleEndian(byte[] b)
    {
        ulong v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
        return v;
    }

    private static ModelFormatException Fail(string source, string? location, string problem) =>
        new(source, location is null ? null : (location == "header" || location.StartsWith("__metadata__", StringComparison.Ordinal) ? location : $"tensor '{location}'"), problem);

    /// <summary>Writes a safetensors file: header keys and data in the order given, header padded to 8 bytes.</summary>
    public static byte[] Serialize(IEnumerable<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var list = tensors.ToList();
        var sb = new StringBuilder("{");
        bool first = true;
        if (metadata is { Count: > 0 })
        {
            sb.Append("\"__metadata__\":{");
            bool firstMeta = true;
            foreach (var kv in metadata.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                if (!firstMeta) sb.Append(',');
                JsonValue.WriteString(sb, kv.Key);
                sb.Append(':');
                JsonValue.WriteString(sb, kv.Value);
                firstMeta = false;
            }
            sb.Append('}');
            first = false;
        }
        long offset = 0;
        foreach (var t in list)
        {
            if (!first) sb.Append(',');
            first = false;
            JsonValue.WriteString(sb, t.Name);
            sb.Append(":{\"dtype\":\"").Append(t.DType.Name()).Append("\",\"shape\":[")
              .Append(string.Join(",", t.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))))
              .Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
              .Append((offset + t.ByteLength).ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset += t.ByteLength;
        }
        sb.Append('}');
        while ((Encoding.UTF8.GetByteCount(sb.ToString()) % 8) != 0) sb.Append(' ');
        var header = Encoding.UTF8.GetBytes(sb.ToString());
        var result = new byte[8 + header.Length + offset];
        var len = BitConverter.GetBytes((ulong)header.Length);
        if (!BitConverter.IsLittleEndian) Array.Reverse(len);
        Buffer.BlockCopy(len, 0, result, 0, 8);
        Buffer.BlockCopy(header, 0, result, 8, header.Length);
        int at = 8 + header.Length;
        foreach (var t in list)
        {
            var data = t.GetBytes();
            Buffer.BlockCopy(data, 0, result, at, data.Length);
            at += data.Length;
        }
        return result;
    }
}

using System.Text;

namespace TinyGru.Model.Tests;

/// <summary>Writes the protobuf wire format, for building ONNX test models.</summary>
internal sealed class ProtobufWriter
{
    private readonly MemoryStream _bytes = new();

    public byte[] ToArray() => _bytes.ToArray();

    public ProtobufWriter Tag(int field, int wireType) => RawVarint((ulong)field << 3 | (uint)wireType);

    public ProtobufWriter RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
        return this;
    }

    public ProtobufWriter Varint(int field, long value) => Tag(field, 0).RawVarint(unchecked((ulong)value));

    public ProtobufWriter Fixed32(int field, float value) => Tag(field, 5).Raw(BitConverter.GetBytes(value));

    public ProtobufWriter Bytes(int field, byte[] value) => Tag(field, 2).RawVarint((ulong)value.Length).Raw(value);

    public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtobufWriter Message(int field, Action<ProtobufWriter> write)
    {
        var inner = new ProtobufWriter();
        write(inner);
        return Bytes(field, inner.ToArray());
    }

    public ProtobufWriter PackedVarints(int field, IEnumerable<long> values)
    {
        var inner = new ProtobufWriter();
        foreach (long v in values) inner.RawVarint(unchecked((ulong)v));
        return Bytes(field, inner.ToArray());
    }

    public ProtobufWriter PackedFloats(int field, IEnumerable<float> values) =>
        Bytes(field, values.SelectMany(BitConverter.GetBytes).ToArray());

    public ProtobufWriter Raw(byte[] bytes)
    {
        _bytes.Write(bytes, 0, bytes.Length);
        return this;
    }
}

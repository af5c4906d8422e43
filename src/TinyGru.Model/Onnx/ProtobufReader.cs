using System.Globalization;
using System.Text;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.Onnx;

/// <summary>Protobuf wire types TinyGru reads; groups (3, 4) and the unassigned 6 and 7 are rejected.</summary>
internal enum ProtobufWireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}

/// <summary>Malformed protobuf: <see cref="Location"/> names the message being read, <see cref="Problem"/> says what and at which byte.</summary>
internal sealed class ProtobufException : Exception
{
    public ProtobufException(string location, string problem)
        : base(location + ": " + problem)
    {
        Location = location;
        Problem = problem;
    }

    /// <summary>The message being read, e.g. "graph.node[3]".</summary>
    public string Location { get; }

    /// <summary>What is wrong, including the byte offset in the file.</summary>
    public string Problem { get; }
}

/// <summary>
/// A strict reader of the protobuf wire format over one message's bytes. It is bounded by construction:
/// every read consumes at least one byte or fails, lengths are checked against the bytes that remain before
/// anything is allocated, and nested messages are limited to <see cref="MaxDepth"/> levels.
/// </summary>
internal sealed class ProtobufReader
{
    /// <summary>Deepest nesting of messages read; ONNX models need 6 (model, graph, node, attribute, tensor, entry).</summary>
    public const int MaxDepth = 16;

    /// <summary>Largest field number protobuf allows (2^29 − 1).</summary>
    public const int MaxFieldNumber = (1 << 29) - 1;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly byte[] _buffer;
    private readonly int _end;
    private readonly int _depth;
    private int _position;

    /// <summary>Reads a whole buffer as one message; <paramref name="location"/> names it in errors.</summary>
    public ProtobufReader(byte[] buffer, string location)
        : this(buffer ?? throw new ArgumentNullException(nameof(buffer)), 0, buffer.Length, location, 0)
    {
    }

    private ProtobufReader(byte[] buffer, int start, int end, string location, int depth)
    {
        _buffer = buffer;
        _position = start;
        _end = end;
        Location = location;
        _depth = depth;
    }

    /// <summary>Names the message being read in errors.</summary>
    public string Location { get; }

    /// <summary>Offset of the next byte in the whole buffer.</summary>
    public int Position => _position;

    /// <summary>True when the message has no more bytes.</summary>
    public bool AtEnd => _position >= _end;

    /// <summary>Reads the next field's tag, or returns false at the end of the message.</summary>
    public bool TryReadTag(out int field, out ProtobufWireType wireType)
    {
        field = 0;
        wireType = ProtobufWireType.Varint;
        if (AtEnd) return false;
        int start = _position;
        ulong tag = ReadVarint();
        ulong number = tag >> 3;
        int type = (int)(tag & 7);
        if (number == 0) throw Invalid(start, "field number 0 is not allowed");
        if (number > MaxFieldNumber) throw Invalid(start, $"field number {number} is larger than protobuf's maximum {MaxFieldNumber}");
        field = (int)number;
        switch (type)
        {
            case 0:
            case 1:
            case 2:
            case 5:
                wireType = (ProtobufWireType)type;
                return true;
            case 3:
            case 4:
                throw Invalid(start, $"field {field} uses wire type {type} (a group); groups are not supported");
            default:
                throw Invalid(start, $"field {field} has wire type {type}, which does not exist");
        }
    }

    /// <summary>Reads a varint of at most 10 bytes that fits in 64 bits.</summary>
    public ulong ReadVarint()
    {
        int start = _position;
        ulong result = 0;
        for (int i = 0; i < 10; i++)
        {
            if (_position >= _end) throw Truncated(start, "a varint runs past the end of " + Container);
            byte b = _buffer[_position++];
            if (i == 9)
            {
                if ((b & 0x80) != 0) throw Invalid(start, "a varint is longer than 10 bytes");
                if (b > 1) throw Invalid(start, "a varint does not fit in 64 bits");
            }
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        throw Invalid(start, "a varint is longer than 10 bytes"); // unreachable: the 10th byte returns or throws
    }

    /// <summary>Reads a varint as a signed 64-bit integer (protobuf int64: two's complement).</summary>
    public long ReadInt64() => unchecked((long)ReadVarint());

    /// <summary>Reads a varint as protobuf int32: negative values are sign-extended to 10 bytes, so truncation is the wire semantics.</summary>
    public int ReadInt32() => unchecked((int)ReadVarint());

    /// <summary>Reads 4 little-endian bytes.</summary>
    public uint ReadFixed32()
    {
        Require(4, "a 32-bit field");
        uint v = (uint)(_buffer[_position] | _buffer[_position + 1] << 8 | _buffer[_position + 2] << 16 | _buffer[_position + 3] << 24);
        _position += 4;
        return v;
    }

    /// <summary>Reads 8 little-endian bytes.</summary>
    public ulong ReadFixed64()
    {
        Require(8, "a 64-bit field");
        ulong lo = (uint)(_buffer[_position] | _buffer[_position + 1] << 8 | _buffer[_position + 2] << 16 | _buffer[_position + 3] << 24);
        ulong hi = (uint)(_buffer[_position + 4] | _buffer[_position + 5] << 8 | _buffer[_position + 6] << 16 | _buffer[_position + 7] << 24);
        _position += 8;
        return lo | hi << 32;
    }

    /// <summary>Reads a float (fixed32).</summary>
    public float ReadFloat() => TensorData.Int32BitsToSingle(unchecked((int)ReadFixed32()));

    /// <summary>Reads a double (fixed64).</summary>
    public double ReadDouble() => BitConverter.Int64BitsToDouble(unchecked((long)ReadFixed64()));

    /// <summary>Reads a length-delimited field's bytes without copying them.</summary>
    public ArraySegment<byte> ReadBytes()
    {
        int length = ReadLength(out _);
        var segment = new ArraySegment<byte>(_buffer, _position, length);
        _position += length;
        return segment;
    }

    /// <summary>Reads a length-delimited field as strict UTF-8; <paramref name="what"/> names it in errors.</summary>
    public string ReadString(string what)
    {
        int start = _position;
        var bytes = ReadBytes();
        try
        {
            return StrictUtf8.GetString(bytes.Array!, bytes.Offset, bytes.Count);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid(start, what + " is not valid UTF-8");
        }
    }

    /// <summary>Reads a length-delimited field as a nested message named <paramref name="location"/> in errors.</summary>
    public ProtobufReader ReadMessage(string location)
    {
        if (_depth + 1 > MaxDepth)
            throw new ProtobufException(location, $"invalid protobuf at byte {_position}: messages are nested more than {MaxDepth} deep");
        int start = _position;
        ulong declared = ReadVarint();
        if (declared > (ulong)(_end - _position))
            throw new ProtobufException(location, $"truncated protobuf at byte {start}: the message declares {declared} bytes but only {_end - _position} remain in {Container}");
        int length = (int)declared;
        var child = new ProtobufReader(_buffer, _position, _position + length, location, _depth + 1);
        _position += length;
        return child;
    }

    /// <summary>Skips a field of the given wire type.</summary>
    public void SkipField(ProtobufWireType wireType)
    {
        switch (wireType)
        {
            case ProtobufWireType.Varint: ReadVarint(); break;
            case ProtobufWireType.Fixed64: Require(8, "a 64-bit field"); _position += 8; break;
            case ProtobufWireType.Fixed32: Require(4, "a 32-bit field"); _position += 4; break;
            default:
                int length = ReadLength(out _); // read before adding: `_position += ReadLength()` would add to the old position
                _position += length;
                break;
        }
    }

    /// <summary>Throws unless <paramref name="actual"/> is <paramref name="expected"/>; <paramref name="field"/> names the field.</summary>
    public void ExpectWireType(ProtobufWireType actual, ProtobufWireType expected, string field)
    {
        if (actual != expected)
            throw Invalid(_position, $"field '{field}' has wire type {(int)actual} ({Describe(actual)}); expected {(int)expected} ({Describe(expected)})");
    }

    /// <summary>Reads one value or a packed run of a repeated varint field (int64, int32 and enum fields).</summary>
    public void ReadRepeatedVarint(ProtobufWireType wireType, string field, List<long> into)
    {
        if (wireType == ProtobufWireType.Varint)
        {
            into.Add(ReadInt64());
            return;
        }
        ExpectWireType(wireType, ProtobufWireType.LengthDelimited, field);
        int length = ReadLength(out _);
        var packed = new ProtobufReader(_buffer, _position, _position + length, Location, _depth);
        _position += length;
        while (!packed.AtEnd) into.Add(packed.ReadInt64());
    }

    /// <summary>Reads one value or a packed run of a repeated float field.</summary>
    public void ReadRepeatedFloat(ProtobufWireType wireType, string field, List<float> into)
    {
        if (wireType == ProtobufWireType.Fixed32)
        {
            into.Add(ReadFloat());
            return;
        }
        ExpectWireType(wireType, ProtobufWireType.LengthDelimited, field);
        int length = ReadLength(out int start);
        if (length % 4 != 0) throw Invalid(start, $"packed field '{field}' has {length} bytes, not a multiple of 4");
        for (int end = _position + length; _position < end;) into.Add(ReadFloat());
    }

    /// <summary>Reads one value or a packed run of a repeated double field.</summary>
    public void ReadRepeatedDouble(ProtobufWireType wireType, string field, List<double> into)
    {
        if (wireType == ProtobufWireType.Fixed64)
        {
            into.Add(ReadDouble());
            return;
        }
        ExpectWireType(wireType, ProtobufWireType.LengthDelimited, field);
        int length = ReadLength(out int start);
        if (length % 8 != 0) throw Invalid(start, $"packed field '{field}' has {length} bytes, not a multiple of 8");
        for (int end = _position + length; _position < end;) into.Add(ReadDouble());
    }

    /// <summary>An error about the current message at <paramref name="offset"/>.</summary>
    public ProtobufException Invalid(int offset, string problem) =>
        new(Location, "invalid protobuf at byte " + offset.ToString(CultureInfo.InvariantCulture) + ": " + problem);

    private ProtobufException Truncated(int offset, string problem) =>
        new(Location, "truncated protobuf at byte " + offset.ToString(CultureInfo.InvariantCulture) + ": " + problem);

    private string Container => _end == _buffer.Length && _depth == 0 ? "the file" : Location;

    private int ReadLength(out int start)
    {
        start = _position;
        ulong declared = ReadVarint();
        if (declared > (ulong)(_end - _position))
            throw Truncated(start, $"a length-delimited field declares {declared} bytes but only {_end - _position} remain in {Container}");
        return (int)declared;
    }

    private void Require(int count, string what)
    {
        if (_end - _position < count)
            throw Truncated(_position, $"{what} needs {count} bytes but only {_end - _position} remain in {Container}");
    }

    private static string Describe(ProtobufWireType type) => type switch
    {
        ProtobufWireType.Varint => "varint",
        ProtobufWireType.Fixed64 => "64-bit",
        ProtobufWireType.LengthDelimited => "length-delimited",
        _ => "32-bit",
    };
}

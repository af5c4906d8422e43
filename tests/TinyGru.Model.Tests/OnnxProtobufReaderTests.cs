using TinyGru.Model.Onnx;
using Xunit;

namespace TinyGru.Model.Tests;

public class OnnxProtobufReaderTests
{
    [Theory]
    [InlineData(new byte[] { 0x00 }, 0UL)]
    [InlineData(new byte[] { 0x7F }, 127UL)]
    [InlineData(new byte[] { 0x80, 0x01 }, 128UL)]
    [InlineData(new byte[] { 0xAC, 0x02 }, 300UL)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, ulong.MaxValue)]
    public void ReadsVarints(byte[] bytes, ulong expected)
    {
        var r = new ProtobufReader(bytes, "test");
        Assert.Equal(expected, r.ReadVarint());
        Assert.True(r.AtEnd);
    }

    [Fact]
    public void NegativeInt64IsTenBytes()
    {
        var bytes = new ProtobufWriter().RawVarint(unchecked((ulong)-2L)).ToArray();
        Assert.Equal(10, bytes.Length);
        Assert.Equal(-2L, new ProtobufReader(bytes, "test").ReadInt64());
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "invalid protobuf at byte 0: a varint is longer than 10 bytes")]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 }, "invalid protobuf at byte 0: a varint does not fit in 64 bits")]
    [InlineData(new byte[] { 0x80, 0x80 }, "truncated protobuf at byte 0: a varint runs past the end of the file")]
    public void RejectsBadVarints(byte[] bytes, string problem)
    {
        var e = Assert.Throws<ProtobufException>(() => new ProtobufReader(bytes, "test").ReadVarint());
        Assert.Equal(problem, e.Problem);
        Assert.Equal("test", e.Location);
    }

    [Theory]
    [InlineData(new byte[] { 0x0B }, "invalid protobuf at byte 0: field 1 uses wire type 3 (a group); groups are not supported")]
    [InlineData(new byte[] { 0x0C }, "invalid protobuf at byte 0: field 1 uses wire type 4 (a group); groups are not supported")]
    [InlineData(new byte[] { 0x0E }, "invalid protobuf at byte 0: field 1 has wire type 6, which does not exist")]
    [InlineData(new byte[] { 0x0F }, "invalid protobuf at byte 0: field 1 has wire type 7, which does not exist")]
    [InlineData(new byte[] { 0x02 }, "invalid protobuf at byte 0: field number 0 is not allowed")]
    public void RejectsBadTags(byte[] bytes, string problem)
    {
        var e = Assert.Throws<ProtobufException>(() => new ProtobufReader(bytes, "test").TryReadTag(out _, out _));
        Assert.Equal(problem, e.Problem);
    }

    [Fact]
    public void RejectsLengthsPastTheEnd()
    {
        var bytes = new byte[] { 0x0A, 0x05, 1, 2, 3 };
        var r = new ProtobufReader(bytes, "test");
        Assert.True(r.TryReadTag(out int field, out var wire));
        Assert.Equal((1, ProtobufWireType.LengthDelimited), (field, wire));
        var e = Assert.Throws<ProtobufException>(() => r.ReadBytes());
        Assert.Equal("truncated protobuf at byte 1: a length-delimited field declares 5 bytes but only 3 remain in the file", e.Problem);
    }

    [Fact]
    public void NestedLengthIsCheckedAgainstTheEnclosingMessage()
    {
        // Outer message of 3 bytes holds a field claiming 4 bytes, although the file has more after the outer message.
        var bytes = new byte[] { 0x0A, 0x03, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00 };
        var outer = new ProtobufReader(bytes, "model");
        outer.TryReadTag(out _, out _);
        var inner = outer.ReadMessage("graph");
        inner.TryReadTag(out _, out _);
        var e = Assert.Throws<ProtobufException>(() => inner.ReadBytes());
        Assert.Equal("graph", e.Location);
        Assert.Equal("truncated protobuf at byte 3: a length-delimited field declares 4 bytes but only 1 remain in graph", e.Problem);
    }

    [Fact]
    public void SkipsUnknownFieldsOfEveryWireType()
    {
        var bytes = new ProtobufWriter()
            .Varint(1, 300)
            .Tag(2, 1).Raw(new byte[8])
            .String(3, "skipped")
            .Fixed32(4, 1.5f)
            .Varint(5, 42)
            .ToArray();
        var r = new ProtobufReader(bytes, "test");
        long last = -1;
        while (r.TryReadTag(out int field, out var wire))
        {
            if (field == 5) last = r.ReadInt64();
            else r.SkipField(wire);
        }
        Assert.Equal(42, last);
    }

    [Fact]
    public void ReadsPackedAndUnpackedRepeatedFields()
    {
        var bytes = new ProtobufWriter()
            .PackedVarints(1, new long[] { 1, -1, 300 })
            .Varint(1, 7)
            .PackedFloats(2, new[] { 0.5f, -2f })
            .Fixed32(2, 3f)
            .ToArray();
        var r = new ProtobufReader(bytes, "test");
        var ints = new List<long>();
        var floats = new List<float>();
        while (r.TryReadTag(out int field, out var wire))
        {
            if (field == 1) r.ReadRepeatedVarint(wire, "ints", ints);
            else r.ReadRepeatedFloat(wire, "floats", floats);
        }
        Assert.Equal(new long[] { 1, -1, 300, 7 }, ints);
        Assert.Equal(new[] { 0.5f, -2f, 3f }, floats);
    }

    [Fact]
    public void RejectsPackedFloatsOfOddLength()
    {
        var bytes = new ProtobufWriter().Bytes(2, new byte[6]).ToArray();
        var r = new ProtobufReader(bytes, "test");
        r.TryReadTag(out _, out var wire);
        var e = Assert.Throws<ProtobufException>(() => r.ReadRepeatedFloat(wire, "floats", new List<float>()));
        Assert.Equal("invalid protobuf at byte 1: packed field 'floats' has 6 bytes, not a multiple of 4", e.Problem);
    }

    [Fact]
    public void RejectsWrongWireTypeForAField()
    {
        var bytes = new ProtobufWriter().Varint(7, 1).ToArray();
        var r = new ProtobufReader(bytes, "model");
        r.TryReadTag(out _, out var wire);
        var e = Assert.Throws<ProtobufException>(() => r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "graph"));
        Assert.Equal("invalid protobuf at byte 1: field 'graph' has wire type 0 (varint); expected 2 (length-delimited)", e.Problem);
    }

    [Fact]
    public void LimitsNesting()
    {
        // 20 messages nested in each other, each a single length-delimited field 1.
        byte[] bytes = Array.Empty<byte>();
        for (int i = 0; i < 20; i++) bytes = new ProtobufWriter().Bytes(1, bytes).ToArray();
        var r = new ProtobufReader(bytes, "m");
        void Descend()
        {
            for (int depth = 0; depth < 20; depth++)
            {
                r.TryReadTag(out _, out _);
                r = r.ReadMessage("m" + depth);
            }
        }
        var e = Assert.Throws<ProtobufException>(Descend);
        Assert.Contains($"messages are nested more than {ProtobufReader.MaxDepth} deep", e.Problem);
    }

    [Fact]
    public void RejectsInvalidUtf8()
    {
        var bytes = new ProtobufWriter().Bytes(1, new byte[] { 0xC3, 0x28 }).ToArray();
        var r = new ProtobufReader(bytes, "test");
        r.TryReadTag(out _, out _);
        var e = Assert.Throws<ProtobufException>(() => r.ReadString("the node name"));
        Assert.Equal("invalid protobuf at byte 1: the node name is not valid UTF-8", e.Problem);
    }

    [Fact]
    public void RejectsTruncatedFixedWidthFields()
    {
        var r = new ProtobufReader(new byte[] { 1, 2, 3 }, "test");
        var e = Assert.Throws<ProtobufException>(() => r.ReadFixed32());
        Assert.Equal("truncated protobuf at byte 0: a 32-bit field needs 4 bytes but only 3 remain in the file", e.Problem);
    }
}

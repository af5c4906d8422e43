using TinyGru.Model.Safetensors;
using Xunit;

namespace TinyGru.Model.Tests;

/// <summary>Every malformed safetensors file gets a specific ModelFormatException naming the file and the key.</summary>
public class SafetensorsCorruptFileTests
{
    private const string File = "bad.safetensors";

    private static ModelFormatException Fails(byte[] bytes)
    {
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Parse(bytes, File));
        Assert.StartsWith(File + ": ", e.Message);
        return e;
    }

    private static string One(string dtype, string shape, string offsets) =>
        $"{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}}}";

    [Fact]
    public void EmptyFile() => Assert.Contains("the file is empty", Fails(Array.Empty<byte>()).Message);

    [Fact]
    public void TruncatedHeaderLength() => Assert.Contains("shorter than the 8-byte header length", Fails(new byte[] { 1, 2, 3 }).Message);

    [Fact]
    public void HeaderLongerThanFile() =>
        Assert.Contains("only 4 bytes follow it", Fails(SafetensorsBytes.Make("{}  ", declaredLength: 50)).Message);

    [Fact]
    public void AbsurdHeaderLength() =>
        Assert.Contains("more than the 100000000", Fails(SafetensorsBytes.Make("{}", declaredLength: ulong.MaxValue)).Message);

    [Fact]
    public void HeaderNotJson() => Assert.Contains("header: is not valid JSON", Fails(SafetensorsBytes.Make("{\"w\": [1,")).Message);

    [Fact]
    public void HeaderNotObject() => Assert.Contains("header: is an array; expected a JSON object", Fails(SafetensorsBytes.Make("[1, 2]")).Message);

    [Fact]
    public void HeaderNotUtf8()
    {
        var bytes = SafetensorsBytes.Make("{\"w\":1}");
        bytes[10] = 0xFF;
        Assert.Contains("not valid UTF-8", Fails(bytes).Message);
    }

    [Fact]
    public void DuplicateKey() =>
        Assert.Contains("duplicate key \"a\"", Fails(SafetensorsBytes.Make("{\"a\":{},\"a\":{}}")).Message);

    [Fact]
    public void UnknownDtype()
    {
        var e = Fails(SafetensorsBytes.Make(One("F12", "[1]", "[0,4]"), new byte[4]));
        Assert.Contains("tensor 'w': unknown dtype 'F12'; expected one of BOOL,", e.Message);
    }

    [Fact]
    public void ShapeTimesDtypeDoesNotMatchByteRange()
    {
        var e = Fails(SafetensorsBytes.Make(One("F32", "[2, 3]", "[0,20]"), new byte[20]));
        Assert.Contains("tensor 'w': shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] hold 20", e.Message);
    }

    [Fact]
    public void OffsetsPastTheEnd()
    {
        var e = Fails(SafetensorsBytes.Make(One("F32", "[2]", "[0,8]"), new byte[4]));
        Assert.Contains("tensor 'w': data_offsets [0, 8] reach past the end of the data (4 bytes)", e.Message);
    }

    [Fact]
    public void OffsetsReversed() =>
        Assert.Contains("end before they begin", Fails(SafetensorsBytes.Make(One("F32", "[1]", "[8,4]"), new byte[8])).Message);

    [Fact]
    public void OverlappingOffsets()
    {
        var header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        var e = Fails(SafetensorsBytes.Make(header, new byte[12]));
        Assert.Contains("tensor 'b': data_offsets [4, 12] overlap the previous tensor's bytes, which end at 8", e.Message);
    }

    [Fact]
    public void HoleInData()
    {
        var e = Fails(SafetensorsBytes.Make(One("F32", "[1]", "[4,8]"), new byte[8]));
        Assert.Contains("tensor 'w': data_offsets begin at 4 but the previous tensor ends at 0", e.Message);
    }

    [Fact]
    public void TrailingBytesAfterTensors()
    {
        var e = Fails(SafetensorsBytes.Make(One("F32", "[1]", "[0,4]"), new byte[12]));
        Assert.Contains("the tensors cover 4 bytes of data but the file has 12 bytes after the header", e.Message);
    }

    [Fact]
    public void NegativeDimension() =>
        Assert.Contains("tensor 'w': shape dimension 0 is the number -1; expected a non-negative integer",
            Fails(SafetensorsBytes.Make(One("F32", "[-1]", "[0,4]"), new byte[4])).Message);

    [Fact]
    public void HugeShapeDoesNotAllocate() =>
        Assert.Contains("has more than 2147483647 elements",
            Fails(SafetensorsBytes.Make(One("F32", "[2000000000, 2000000000]", "[0,4]"), new byte[4])).Message);

    [Fact]
    public void MetadataValueNotString() =>
        Assert.Contains("__metadata__.format: is the number 1; metadata values must be strings",
            Fails(SafetensorsBytes.Make("{\"__metadata__\":{\"format\":1}}")).Message);

    [Fact]
    public void MissingField() =>
        Assert.Contains("tensor 'w': header entry has no 'data_offsets'",
            Fails(SafetensorsBytes.Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}")).Message);

    [Fact]
    public void DeepNestingIsRejectedNotStackOverflow() =>
        Assert.Contains("nesting deeper than 64",
            Fails(SafetensorsBytes.Make("{\"w\":" + new string('[', 100000) + new string(']', 100000) + "}")).Message);

    [Fact]
    public void RandomMutationsOnlyEverThrowModelFormatException()
    {
        var original = System.IO.File.ReadAllBytes(Fixtures.Path("gru_tiny.safetensors"));
        var rng = new Random(1234);
        int rejected = 0;
        for (int i = 0; i < 3000; i++)
        {
            var bytes = (byte[])original.Clone();
            int headerEnd = 8 + (int)BitConverter.ToUInt64(original, 0);
            int flips = rng.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly inside the header, where structure lives.
                int at = rng.Next(4) == 0 ? rng.Next(bytes.Length) : rng.Next(Math.Min(headerEnd, bytes.Length));
                bytes[at] = (byte)rng.Next(256);
            }
            if (rng.Next(3) == 0) Array.Resize(ref bytes, rng.Next(bytes.Length));
            try
            {
                ModelLoader.Load(bytes, "mutant.safetensors");
            }
            catch (ModelFormatException e)
            {
                Assert.StartsWith("mutant.safetensors", e.Message);
                rejected++;
            }
        }
        Assert.True(rejected > 1000, $"only {rejected} of 3000 mutants were rejected");
    }
}

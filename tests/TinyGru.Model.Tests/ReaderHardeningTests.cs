using System.Text;
using TinyGru.Model;
using TinyGru.Model.Safetensors;
using Xunit;

namespace TinyGru.Model.Tests;

/// <summary>Issue #15 at the reader level: messages stay one short line, files are read within a bound.</summary>
public class ReaderHardeningTests
{
    private static byte[] Safetensors(string header) =>
        BitConverter.GetBytes((long)Encoding.UTF8.GetByteCount(header)).Concat(Encoding.UTF8.GetBytes(header)).ToArray();

    /// <summary>Found by the fuzzer: a bad JSON escape or key echoed a raw line break into the message.</summary>
    [Theory]
    [InlineData("{\"a\\\n\":1}")]
    [InlineData("{\"k\\n\\r\":{},\"k\\n\\r\":{}}")]
    public void EchoedFileTextIsEscapedIntoOneLine(string header)
    {
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Parse(Safetensors(header), "m.safetensors"));
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        Assert.Contains("\\u000a", e.Message);
    }

    [Fact]
    public void HugeEchoIsCapped()
    {
        var e = new ModelFormatException("m.safetensors", "tensor '" + new string('x', 100_000) + "'", "is missing");
        Assert.True(e.Message.Length <= ModelFormatException.MaxMessageLength + 1, $"{e.Message.Length} characters");
    }

    [Fact]
    public void FolderIsNamedAsAFolder()
    {
        var dir = Directory.CreateTempSubdirectory("tinygru-model");
        try
        {
            var e = Assert.Throws<ModelFormatException>(() => ModelFileBytes.Read(dir.FullName));
            Assert.EndsWith("is a folder; expected a model file", e.Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void DeviceIsRefusedWithoutReading()
    {
        if (!File.Exists("/dev/zero")) return;
        var e = Assert.Throws<ModelFormatException>(() => ModelFileBytes.Read("/dev/zero"));
        Assert.Contains("not a regular file", e.Message);
    }
}

using System.Security.Cryptography;
using Xunit;

namespace TinyGru.Cli.Tests;

public class GenerateCommandTests
{
    [Fact]
    public void WritesAPublicTypeNamingTheModelAndItsHash()
    {
        using var dir = new TempFolder();
        var output = dir.File("Sensor.cs");
        var run = CliRun.Of("generate", CliRun.Fixture("gru_tiny.safetensors"), "--namespace", "Edge.Models", "--class", "Sensor", "-o", output);
        Assert.Equal("", run.Stderr);
        Assert.Equal(0, run.ExitCode);
        string source = File.ReadAllText(output);
        Assert.Contains("namespace Edge.Models", source);
        Assert.Contains("public partial struct Sensor : global::TinyGru.IGruModel", source);
        Assert.Contains("public const int InputSize = 3;", source);
        Assert.Contains("public const int OutputSize = 4;", source);
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(CliRun.Fixture("gru_tiny.safetensors"))));
        Assert.Contains($"from gru_tiny.safetensors (sha256 {hash})", source);
        Assert.DoesNotContain(AppContext.BaseDirectory, source);
    }

    [Fact]
    public void QuantizedFilesGenerateIntegerOnlyCode()
    {
        using var dir = new TempFolder();
        var output = dir.File("Small.cs");
        var run = CliRun.Of("generate", CliRun.Fixture("gru_small_int8.safetensors"), "--class", "Small", "-o", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        string source = File.ReadAllText(output);
        Assert.Contains("Precision int8 (integer-only", source);
        Assert.Contains("public void CopyStateTo(global::System.Span<short> destination)", source);
        Assert.DoesNotContain("MathF", source);
    }

    [Fact]
    public void NanoFrameworkIsNotAvailableYet()
    {
        using var dir = new TempFolder();
        CliRun.Of("generate", CliRun.Fixture("gru_tiny.safetensors"), "--target", "nanoframework", "-o", dir.File("x.cs"))
            .AssertOneLineError("--target nanoframework: not available yet");
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void BadClassName()
    {
        using var dir = new TempFolder();
        CliRun.Of("generate", CliRun.Fixture("gru_tiny.safetensors"), "--class", "2fast", "-o", dir.File("x.cs"))
            .AssertOneLineError("--class: '2fast' is not a C# identifier");
    }
}

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
    public void NanoFrameworkWritesOneFileAndPrintsItsFootprint()
    {
        using var dir = new TempFolder();
        var output = dir.File("Tiny.cs");
        var run = CliRun.Of("generate", CliRun.Fixture("gru_tiny.safetensors"), "--target", "nanoframework", "--namespace", "Board", "--class", "Tiny", "-o", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("", run.Stderr);
        string source = File.ReadAllText(output);
        Assert.Contains("namespace Board", source);
        Assert.Contains("public sealed class Tiny", source);
        Assert.Contains("public void Step(float[] input, float[] output)", source);
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(CliRun.Fixture("gru_tiny.safetensors"))));
        Assert.Contains($"from gru_tiny.safetensors (sha256 {hash})", source);
        Assert.Contains("Weights: inline", source);
        Assert.Contains("placement inline", run.Stdout);
        Assert.Contains("IL ≈", run.Stdout);
        Assert.Contains("RAM ≈", run.Stdout);
        Assert.Contains("IL instructions executed per Step", run.Stdout);
        Assert.Contains("nanoFramework.System.Math", run.Stdout);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void NanoFrameworkResourceWeightsAreWrittenBesideTheSource()
    {
        using var dir = new TempFolder();
        var output = dir.File("Small.cs");
        var run = CliRun.Of("generate", CliRun.Fixture("gru_small_int8.safetensors"), "--target", "nanoframework", "--class", "Small", "--weights", "resource", "-o", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var bin = dir.File("Small.weights.bin");
        Assert.True(File.Exists(bin));
        // int8: one byte per weight: W 96×6, U 96×32, head 6×32.
        Assert.Equal(96 * 6 + 96 * 32 + 6 * 32, new FileInfo(bin).Length);
        Assert.Contains("Small_weights", run.Stdout);
        Assert.Contains("ResourceUtility.GetObject", File.ReadAllText(output));
        Assert.DoesNotContain("nanoFramework.System.Math", run.Stdout);
    }

    [Fact]
    public void NanoFrameworkManagedActivationsNeedNoMath()
    {
        using var dir = new TempFolder();
        var output = dir.File("M.cs");
        var run = CliRun.Of("generate", CliRun.Fixture("gru_tiny.safetensors"), "--target", "nanoframework", "--weights", "arrays", "--activations", "managed", "-o", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.DoesNotContain("System.Math.", File.ReadAllText(output));
        Assert.Contains("placement arrays", run.Stdout);
    }

    [Fact]
    public void NanoFrameworkOptionErrorsAreOneLine()
    {
        using var dir = new TempFolder();
        string model = CliRun.Fixture("gru_tiny.safetensors");
        CliRun.Of("generate", model, "--target", "nanoframework", "--weights", "flash", "-o", dir.File("x.cs"))
            .AssertOneLineError("--weights: 'flash' is not auto, inline, arrays or resource");
        CliRun.Of("generate", model, "--target", "nanoframework", "--activations", "fast", "-o", dir.File("x.cs"))
            .AssertOneLineError("--activations: 'fast' is not math or managed");
        CliRun.Of("generate", model, "--weights", "inline", "-o", dir.File("x.cs"))
            .AssertOneLineError("--weights and --activations apply to --target nanoframework only");
        CliRun.Of("generate", model, "--target", "arduino", "-o", dir.File("x.cs"))
            .AssertOneLineError("--target: 'arduino' is not a known target; expected net or nanoframework");
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void NanoFrameworkModelTooLargeForAPlacementIsAOneLineErrorWithSizes()
    {
        using var dir = new TempFolder();
        CliRun.Of("generate", CliRun.Fixture("gru_stacked.safetensors"), "--target", "nanoframework", "--weights", "inline", "-o", dir.File("x.cs"))
            .AssertOneLineError("gru_stacked.safetensors: the model does not fit nanoFramework with --weights inline: ≈");
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

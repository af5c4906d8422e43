using System.Text.Json;
using TinyGru.Model;
using Xunit;

namespace TinyGru.Cli.Tests;

public class InspectAndConvertTests
{
    [Fact]
    public void InspectDescribesTheArchitecture()
    {
        var run = CliRun.Of("inspect", CliRun.Fixture("gru_stacked.safetensors"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("PyTorch state_dict", run.Stdout);
        Assert.Contains("GRU 16 → 64", run.Stdout);
        Assert.Contains("GRU 64 → 64", run.Stdout);
        Assert.Contains("dense 64 → 10", run.Stdout);
        // 2·(3·64·in + 3·64·64 + 6·64) + 10·64 + 10 with in = 16, 64: checked by hand from PyTorch's parameter count.
        Assert.Contains("41,354", run.Stdout);
    }

    [Fact]
    public void InspectJsonIsMachineReadable()
    {
        var run = CliRun.Of("inspect", CliRun.Fixture("gru_small.safetensors"), "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        var root = doc.RootElement;
        Assert.Equal("pytorch-state-dict", root.GetProperty("format").GetString());
        Assert.Equal(6, root.GetProperty("inputSize").GetInt32());
        Assert.Equal(32, root.GetProperty("layers")[0].GetProperty("hiddenSize").GetInt32());
        Assert.Equal(6, root.GetProperty("outputSize").GetInt32());
        long parameters = 3 * 32 * 6 + 3 * 32 * 32 + 6 * 32 + 6 * 32 + 6;
        Assert.Equal(parameters, root.GetProperty("parameters").GetInt64());
        Assert.Equal(parameters * 4, root.GetProperty("float32WeightBytes").GetInt64());
        Assert.Equal(32 * 4, root.GetProperty("stateBytes").GetInt64());
    }

    [Fact]
    public void ConvertWritesATinyGruFileThatPredictsTheSame()
    {
        using var dir = new TempFolder();
        var output = dir.File("tiny.safetensors");
        var run = CliRun.Of("convert", CliRun.Fixture("gru_tiny.safetensors"), "-o", output, "--head-activation", "softmax", "--labels", "a,b,c,d", "--name", "demo");
        Assert.Equal(0, run.ExitCode);
        var m = ModelLoader.Load(File.ReadAllBytes(output), output, out var kind);
        Assert.Equal(ModelFileKind.TinyGru, kind);
        Assert.Equal("demo", m.Metadata.Name);
        Assert.Equal(ModelTask.Classification, m.Metadata.Task);
        Assert.Equal(HeadActivation.Softmax, m.Head!.Activation);
        var original = ModelLoader.Load(CliRun.Fixture("gru_tiny.safetensors"));
        Assert.Equal(original.Layers[0].RecurrentWeights, m.Layers[0].RecurrentWeights);
    }

    [Fact]
    public void ConvertKeepsTheSeriesTransform()
    {
        using var dir = new TempFolder();
        var original = ModelLoader.Load(CliRun.Fixture("gru_tiny.safetensors"));
        var residual = Enumerable.Repeat(-1, original.OutputSize).ToArray();
        residual[0] = 0;
        var input = dir.File("transformed.safetensors");
        File.WriteAllBytes(input, TinyGruModelFile.Serialize(original.WithSeriesTransform(SeriesTransform.Difference(original.InputSize, residual))));
        var output = dir.File("renamed.safetensors");
        Assert.Equal(0, CliRun.Of("convert", input, "-o", output, "--name", "renamed").ExitCode);
        var m = ModelLoader.Load(File.ReadAllBytes(output), output);
        Assert.Equal("renamed", m.Metadata.Name);
        Assert.Equal(residual, m.SeriesTransform!.ResidualInputs);
        Assert.All(m.SeriesTransform.DifferencedInputs, Assert.True);
    }

    [Fact]
    public void ConvertWithWrongLabelCountWritesNothing()
    {
        using var dir = new TempFolder();
        var output = dir.File("tiny.safetensors");
        CliRun.Of("convert", CliRun.Fixture("gru_tiny.safetensors"), "-o", output, "--labels", "a,b")
            .AssertOneLineError("--labels: 2 class labels for 4 outputs");
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ConvertIntoMissingFolder()
    {
        using var dir = new TempFolder();
        CliRun.Of("convert", CliRun.Fixture("gru_tiny.safetensors"), "-o", dir.File("no/such/dir/x.safetensors"))
            .AssertOneLineError("does not exist");
    }
}

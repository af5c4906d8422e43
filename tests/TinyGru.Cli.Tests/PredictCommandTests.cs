using System.Globalization;
using Xunit;

namespace TinyGru.Cli.Tests;

public class PredictCommandTests
{
    [Theory]
    [InlineData("gru_tiny", "gru_tiny.safetensors")]
    [InlineData("gru_stacked", "gru_stacked.safetensors")]
    public void OutputsMatchPyTorch(string fixture, string model)
    {
        using var dir = new TempFolder();
        var input = dir.WriteFixtureInput(fixture, out var expected, out int outputs);
        var output = dir.File("out.csv");
        var run = CliRun.Of("predict", CliRun.Fixture(model), "--input", input, "--output", output);
        Assert.Equal("", run.Stderr);
        Assert.Equal(0, run.ExitCode);

        var lines = File.ReadAllLines(output);
        Assert.Equal(string.Join(",", Enumerable.Range(0, outputs).Select(o => "y" + o)), lines[0]);
        var actual = lines.Skip(1).SelectMany(l => l.Split(',')).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++) Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5, $"value {i}: {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void WritesToStandardOutputWithoutOutputOption()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "0.5,0.25,-1\n");
        var run = CliRun.Of("predict", CliRun.Fixture("gru_tiny.safetensors"), "-i", dir.File("in.csv"));
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("y0,y1,y2,y3\n", run.Stdout);
        Assert.Equal(2, run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void NonNumericCellNamesLineAndColumn()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "a,b,c\n1,2,3\n4,x5,6\n");
        CliRun.Of("predict", CliRun.Fixture("gru_tiny.safetensors"), "-i", dir.File("in.csv"))
            .AssertOneLineError("in.csv: line 3, column 2 ('b'): 'x5' is not a number");
    }

    [Fact]
    public void WrongColumnCountNamesTheModelInputSize()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "1,2\n3,4\n");
        CliRun.Of("predict", CliRun.Fixture("gru_tiny.safetensors"), "-i", dir.File("in.csv"))
            .AssertOneLineError("rows have 2 columns; the model expects 3 input features per row");
    }

    [Fact]
    public void RaggedRows()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "1,2,3\n3,4\n");
        CliRun.Of("predict", CliRun.Fixture("gru_tiny.safetensors"), "-i", dir.File("in.csv"))
            .AssertOneLineError("line 2 has 2 columns; expected 3 like the first row");
    }

    [Fact]
    public void EmptyInput()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "a,b,c\n");
        CliRun.Of("predict", CliRun.Fixture("gru_tiny.safetensors"), "-i", dir.File("in.csv"))
            .AssertOneLineError("in.csv: the file has no data rows");
    }

    [Fact]
    public void MissingModelFile()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "1,2,3\n");
        CliRun.Of("predict", dir.File("nope.safetensors"), "-i", dir.File("in.csv"))
            .AssertOneLineError("nope.safetensors: file not found");
    }

    [Fact]
    public void CorruptModelFile()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("bad.safetensors"), new byte[] { 200, 0, 0, 0, 0, 0, 0, 0, (byte)'{' });
        File.WriteAllText(dir.File("in.csv"), "1,2,3\n");
        CliRun.Of("predict", dir.File("bad.safetensors"), "-i", dir.File("in.csv"))
            .AssertOneLineError("bad.safetensors: the header length is 200 bytes but only 1 bytes follow it");
    }

    [Fact]
    public void FailedRunKeepsExistingOutputAndLeavesNoTemporaryFile()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "1,2,3\n1,oops,3\n");
        File.WriteAllText(dir.File("out.csv"), "precious");
        var run = CliRun.Of("predict", CliRun.Fixture("gru_tiny.safetensors"), "-i", dir.File("in.csv"), "-o", dir.File("out.csv"));
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("precious", File.ReadAllText(dir.File("out.csv")));
        Assert.Equal(new[] { "in.csv", "out.csv" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void VerboseShowsTheStackTrace()
    {
        using var dir = new TempFolder();
        var run = CliRun.Of("predict", dir.File("nope.safetensors"), "-i", dir.File("in.csv"), "--verbose");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("   at ", run.Stderr);
    }
}

using System.Globalization;
using System.Text;
using TinyGru.Model;
using TinyGru.Model.Safetensors;
using Xunit;

namespace TinyGru.Cli.Tests;

/// <summary>
/// Issue #15 through the built command: devices and pipes cannot exhaust memory or block, a failed run destroys no
/// file, outputs never replace what they should not, predict streams, and every small case is one line.
/// </summary>
public class HardeningTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(60); // generous for a loaded CI machine; hangs are the failure
    private static string Tiny => CliRun.Fixture("gru_tiny.safetensors");
    private static bool Unix => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    private static string Fifo(TempFolder dir, string name)
    {
        var path = dir.File(name);
        Assert.True(BuiltCli.ShellSucceeds($"mkfifo '{path}'"), "mkfifo failed");
        return path;
    }

    private static string WriteClasses(TempFolder dir, string? label = null)
    {
        var sb = new StringBuilder("a,b,c,d,kind\n");
        for (int i = 0; i < 40; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{i % 3},{i % 5},{i % 7},{i % 2},{(i == 7 && label is not null ? label : i % 2 == 0 ? "even" : "odd")}\n");
        var path = dir.File("classes.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    // ---- item 3: devices and pipes ----

    [Theory]
    [InlineData("inspect")]
    [InlineData("convert")]
    public void ModelFromDevZeroIsRefusedAtOnce(string command)
    {
        if (!File.Exists("/dev/zero")) return;
        using var dir = new TempFolder();
        var args = command == "inspect" ? new[] { "inspect", "/dev/zero" } : new[] { "convert", "/dev/zero", "-o", dir.File("m.safetensors") };
        var run = BuiltCli.Run(Short, args);
        run.AssertOneLineError("/dev/zero: the file is empty or not a regular file");
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void ModelFromAFifoWithoutWriterDoesNotBlock()
    {
        if (!Unix) return;
        using var dir = new TempFolder();
        var fifo = Fifo(dir, "model.safetensors");
        BuiltCli.Run(Short, "inspect", fifo).AssertOneLineError("model.safetensors: the file is empty or not a regular file");
    }

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    public void DataFromDevZeroEndsInOneLine(string command)
    {
        if (!File.Exists("/dev/zero")) return;
        using var dir = new TempFolder();
        var args = command == "train"
            ? new[] { "train", "--data", "/dev/zero", "--layout", "sequences", "--label", "1", "-o", dir.File("m.safetensors") }
            : new[] { "eval", Tiny, "--data", "/dev/zero", "--layout", "sequences", "--label", "1" };
        var run = BuiltCli.Run(Short, args);
        run.AssertOneLineError("/dev/zero: line 1 contains a NUL character");
        Assert.True(run.PeakRssBytes < 400L << 20, $"peak RSS {run.PeakRssBytes >> 20} MB");
    }

    [Fact]
    public void EndlessDataFromAFifoIsBounded()
    {
        if (!Unix) return;
        using var dir = new TempFolder();
        var fifo = Fifo(dir, "data.csv");
        using var writer = BuiltCli.Shell($"yes '1,2,3,0' > '{fifo}' 2>/dev/null");
        try
        {
            var run = BuiltCli.Run(TimeSpan.FromMinutes(3), "train", "--data", fifo, "--layout", "sequences", "--label", "4", "-o", dir.File("m.safetensors"));
            run.AssertOneLineError("data.csv: more than 1000000 data rows");
            Assert.True(run.PeakRssBytes < 1L << 30, $"peak RSS {run.PeakRssBytes >> 20} MB");
        }
        finally { if (!writer.HasExited) writer.Kill(); }
    }

    [Fact]
    public void PredictFromDevZeroEndsInOneLine()
    {
        if (!File.Exists("/dev/zero")) return;
        var run = BuiltCli.Run(Short, "predict", Tiny, "--input", "/dev/zero");
        run.AssertOneLineError("/dev/zero: line 1 contains a NUL character");
    }

    [Fact]
    public void PredictStreamsAFifoInConstantMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempFolder();
        var fifo = Fifo(dir, "rows.csv");
        const int rows = 1_000_000;
        using var writer = BuiltCli.Shell($"(echo a,b,c; yes '0.5,0.25,-1' | head -n {rows}) > '{fifo}'");
        var output = dir.File("out.csv");
        var run = BuiltCli.Run(TimeSpan.FromMinutes(5), "predict", Tiny, "--input", fifo, "-o", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        int lines = 0;
        foreach (var _ in File.ReadLines(output)) lines++;
        Assert.Equal(rows + 1, lines);
        // The whole-table predict peaked at 464 MB for 1 M rows; streaming holds one row.
        Assert.True(run.PeakRssBytes < 200L << 20, $"peak RSS {run.PeakRssBytes >> 20} MB for {rows} rows");
    }

    // ---- item 4: a failed run destroys nothing ----

    [Fact]
    public void UnwritablePlotFailsBeforeTrainingAndKeepsTheOldModel()
    {
        using var dir = new TempFolder();
        var data = WriteClasses(dir);
        var model = dir.File("m.safetensors");
        File.Copy(Tiny, model);
        var before = File.ReadAllBytes(model);
        Directory.CreateDirectory(dir.File("plot.png"));
        var run = CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "kind", "--epochs", "2", "-o", model, "--plot", dir.File("plot.png"), "--quiet");
        run.AssertOneLineError("plot.png: is a folder");
        Assert.Equal(before, File.ReadAllBytes(model));
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp"));
        Assert.DoesNotContain("epoch", run.Stdout);
    }

    [Fact]
    public void TemporaryFileErrorsNameTheOutputPath()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "0.5,0.25,-1\n");
        // 250 characters is a legal file name, but its temporary sibling (.NAME.xxxxxxxx.tmp) is too long.
        var output = dir.File(new string('o', 246) + ".csv");
        var run = CliRun.Of("predict", Tiny, "-i", dir.File("in.csv"), "-o", output);
        run.AssertOneLineError(output + ": cannot write the file");
        Assert.DoesNotContain(".tmp", run.Stderr);
    }

    // ---- item 5: outputs replace only regular files that are not inputs ----

    [Fact]
    public void OutputThroughASymlinkIsRefused()
    {
        if (!Unix) return;
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "0.5,0.25,-1\n");
        File.WriteAllText(dir.File("target.csv"), "keep");
        var link = dir.File("link.csv");
        File.CreateSymbolicLink(link, dir.File("target.csv"));
        var run = BuiltCli.Run(Short, "predict", Tiny, "-i", dir.File("in.csv"), "-o", link);
        run.AssertOneLineError("link.csv: is a symbolic link");
        Assert.Equal("keep", File.ReadAllText(dir.File("target.csv")));
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void OutputOntoAFifoOrDeviceNodeIsRefused()
    {
        if (!Unix) return;
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "0.5,0.25,-1\n");
        var fifo = Fifo(dir, "out.csv");
        BuiltCli.Run(Short, "predict", Tiny, "-i", dir.File("in.csv"), "-o", fifo).AssertOneLineError("out.csv: is a device, pipe or socket");
        Assert.True(BuiltCli.ShellSucceeds($"test -p '{fifo}'"), "the FIFO was replaced");

        // A device node where the test may make one (root in a container): the null device's numbers.
        var node = dir.File("null.bin");
        if (BuiltCli.ShellSucceeds($"mknod '{node}' c 1 3 2>/dev/null"))
        {
            BuiltCli.Run(Short, "convert", Tiny, "-o", node).AssertOneLineError("null.bin: is a device, pipe or socket");
            Assert.True(BuiltCli.ShellSucceeds($"test -c '{node}'"), "the device node was replaced");
        }
    }

    [Fact]
    public void OutputEqualToAnInputIsRefused()
    {
        using var dir = new TempFolder();
        var input = dir.File("in.csv");
        File.WriteAllText(input, "0.5,0.25,-1\n");
        CliRun.Of("predict", Tiny, "-i", input, "-o", input).AssertOneLineError("in.csv: is also an input of this command");
        Assert.Equal("0.5,0.25,-1\n", File.ReadAllText(input));

        var data = WriteClasses(dir);
        var before = File.ReadAllText(data);
        CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "kind", "--epochs", "1", "-o", data, "--quiet")
            .AssertOneLineError("classes.csv: is also an input of this command");
        Assert.Equal(before, File.ReadAllText(data));
    }

    // ---- item 6: predict streams; --features; other delimiters ----

    [Fact]
    public void FeaturesPickColumnsByHeaderName()
    {
        using var dir = new TempFolder();
        var plain = dir.WriteFixtureInput("gru_tiny", out var expected, out _);
        // The same rows behind a timestamp column and with the features in another order.
        var lines = File.ReadAllLines(plain);
        var shuffled = dir.File("with-time.csv");
        File.WriteAllLines(shuffled, lines.Select((l, i) =>
        {
            var c = l.Split(',');
            return (i == 0 ? "time" : "2024-01-01T00:00:" + i.ToString("00", CultureInfo.InvariantCulture)) + "," + c[2] + "," + c[0] + "," + c[1];
        }));
        var run = CliRun.Of("predict", Tiny, "-i", shuffled, "--features", "f0,f1,f2");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var actual = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).SelectMany(l => l.Split(',')).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++) Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5, $"value {i}: {actual[i]} vs {expected[i]}");

        CliRun.Of("predict", Tiny, "-i", shuffled, "--features", "f0,f1,nope").AssertOneLineError("--features: there is no column 'nope' (columns: time, f2, f0, f1)");
        CliRun.Of("predict", Tiny, "-i", shuffled, "--features", "f0,f1").AssertOneLineError("--features names 2 columns; the model expects 3");
    }

    [Theory]
    [InlineData("a;b;c\n1;2;3\n", "semicolons")]
    [InlineData("1\t2\t3\n4\t5\t6\n", "tabs")]
    public void OtherDelimiterIsNamed(string text, string name)
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), text);
        CliRun.Of("predict", Tiny, "-i", dir.File("in.csv")).AssertOneLineError($"in.csv: line 1 has no commas but is separated by {name}");
        CliRun.Of("train", "--data", dir.File("in.csv"), "--layout", "sequences", "--label", "1", "-o", dir.File("m.safetensors"))
            .AssertOneLineError($"in.csv: line 1 has no commas but is separated by {name}");
    }

    // ---- item 8: the small ones ----

    [Fact]
    public void EmptyOutputPathIsOneLine() =>
        CliRun.Of("convert", Tiny, "-o", "").AssertOneLineError("the output path is empty");

    [Theory]
    [InlineData("--class", "class", "--class: 'class' is not a C# identifier")]
    [InlineData("--class", "int", "--class: 'int' is not a C# identifier")]
    [InlineData("--namespace", "App.namespace", "--namespace: 'App.namespace' is not a C# namespace")]
    public void KeywordsAreNotIdentifiers(string option, string value, string expected)
    {
        using var dir = new TempFolder();
        CliRun.Of("generate", Tiny, option, value, "-o", dir.File("M.cs")).AssertOneLineError(expected);
        Assert.False(File.Exists(dir.File("M.cs")));
    }

    [Fact]
    public void HugeCellIsEchoedShort()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("in.csv"), "a,b,c\n1,x" + new string('9', 1_000_000) + ",3\n");
        var run = CliRun.Of("predict", Tiny, "-i", dir.File("in.csv"));
        run.AssertOneLineError("line 2, column 2 ('b'): 'x9999");
        Assert.True(run.Stderr.Length < 400, $"{run.Stderr.Length} characters");
        Assert.Contains("(1000001 characters)", run.Stderr);

        // 5 million digits: longer than any CSV line TinyGru reads, said in one short line.
        File.WriteAllText(dir.File("in.csv"), "a,b,c\n1,x" + new string('9', 5_000_000) + ",3\n");
        run = CliRun.Of("predict", Tiny, "-i", dir.File("in.csv"));
        run.AssertOneLineError("in.csv: line 2 is longer than 1048576 characters");
        Assert.True(run.Stderr.Length < 400, $"{run.Stderr.Length} characters");
    }

    [Fact]
    public void HugeDimensionIsNamedAsTooLarge()
    {
        using var dir = new TempFolder();
        var header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1099511627776,3],\"data_offsets\":[0,12]}}";
        var bytes = BitConverter.GetBytes((long)header.Length).Concat(Encoding.ASCII.GetBytes(header)).Concat(new byte[12]).ToArray();
        File.WriteAllBytes(dir.File("big.safetensors"), bytes);
        CliRun.Of("inspect", dir.File("big.safetensors")).AssertOneLineError("big.safetensors: tensor 'w': shape dimension 0 is 1099511627776; at most 2147483647 is supported");
    }

    [Fact]
    public void MissingSecondLayerInputWeightsAreNamed()
    {
        using var dir = new TempFolder();
        var file = SafetensorsFile.Parse(File.ReadAllBytes(CliRun.Fixture("gru_stacked.safetensors")), "gru_stacked.safetensors");
        var kept = file.Tensors.Where(t => t.Name != "gru.weight_ih_l1").ToList();
        File.WriteAllBytes(dir.File("s.safetensors"), SafetensorsFile.Serialize(kept, new Dictionary<string, string> { ["format"] = "pt" }));
        CliRun.Of("inspect", dir.File("s.safetensors")).AssertOneLineError("'gru.weight_ih_l1': is missing; the file has parameters of GRU layers 0 to 1");
    }

    [Fact]
    public void OverlongLabelIsReportedBeforeTrainingWithFileAndLine()
    {
        using var dir = new TempFolder();
        var data = WriteClasses(dir, new string('L', ModelLimits.MaxLabelLength + 1));
        var run = CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "kind", "--epochs", "1", "-o", dir.File("m.safetensors"), "--quiet");
        run.AssertOneLineError($"classes.csv: line 9: label 'LLLL");
        Assert.Contains($"is {ModelLimits.MaxLabelLength + 1} characters long", run.Stderr);
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void FolderGivenAsFileIsNamedAsAFolder()
    {
        using var dir = new TempFolder();
        CliRun.Of("inspect", dir.Path).AssertOneLineError(": is a folder; expected a model file");
        CliRun.Of("train", "--data", dir.Path, "--layout", "sequences", "--label", "1", "-o", dir.File("m.safetensors")).AssertOneLineError(": is a folder; expected a CSV file");
        CliRun.Of("predict", Tiny, "-i", dir.Path).AssertOneLineError(": is a folder; expected a CSV file");
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("abc")]
    public void BadFlagValueIsOneLineNotHelp(string value)
    {
        using var dir = new TempFolder();
        var run = CliRun.Of("train", "--data", WriteClasses(dir), "--layout", "sequences", "--label", "kind", "--lr", value, "-o", dir.File("m.safetensors"));
        run.AssertOneLineError(value);
        Assert.DoesNotContain("Usage", run.Stdout + run.Stderr);
    }
}

using System.Globalization;
using System.Text.Json;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using Xunit;

namespace TinyGru.Cli.Tests;

/// <summary><c>tinygru quantize</c> and quantized files through <c>inspect</c>, <c>predict</c> and <c>eval</c>.</summary>
public class QuantizeCommandTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Trains a small 3-class model on 4-step sequences; returns the data and model paths.</summary>
    private static (string Data, string Model) Trained(TempFolder dir)
    {
        var random = new Random(1);
        var lines = new List<string> { "kind,a0,b0,a1,b1,a2,b2,a3,b3" };
        for (int i = 0; i < 90; i++)
        {
            int k = i % 3;
            lines.Add(new[] { "low", "mid", "high" }[k] + "," + string.Join(",", Enumerable.Range(0, 8).Select(_ => (k * 10 + 3 * random.NextDouble()).ToString("F3", Inv))));
        }
        var data = dir.File("kinds.csv");
        File.WriteAllLines(data, lines);
        var model = dir.File("kinds.safetensors");
        var run = CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "kind", "--steps", "4", "--hidden", "8",
            "--epochs", "15", "--test-every", "5", "--seed", "2", "-o", model, "--quiet");
        Assert.True(run.ExitCode == 0, run.Stderr);
        return (data, model);
    }

    private static readonly string[] Layout = { "--layout", "sequences", "--label", "kind", "--steps", "4", "--test-every", "5" };

    [Theory]
    [InlineData("int8")]
    [InlineData("int8-weights")]
    public void QuantizesAndReportsFloatVsInt8(string precision)
    {
        using var dir = new TempFolder();
        var (data, model) = Trained(dir);
        var output = dir.File("kinds-q.safetensors");
        var run = CliRun.Of(new[] { "quantize", model, "--calibration", data }.Concat(Layout).Concat(new[] { "--precision", precision, "-o", output, "--json" }).ToArray());
        Assert.True(run.ExitCode == 0, run.Stderr);

        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal(precision, root.GetProperty("precision").GetString());
        Assert.Equal("test", root.GetProperty("part").GetString());
        Assert.Equal(18, root.GetProperty("quantized").GetProperty("examples").GetInt32());
        Assert.Equal(72 * 4, root.GetProperty("calibration").GetProperty("rows").GetInt32());   // training part only

        var q = ModelLoader.Load(output);
        ModelPrecisions.TryParse(precision, out var expected);
        Assert.Equal(expected, q.Precision);
        Assert.Equal(new[] { "high", "low", "mid" }, q.Metadata.ClassLabels);
        Assert.Equal("kinds.csv", q.Metadata.Provenance["quantization.calibration_data"]);
        // A tiny model: int8-weights shrinks it; integer-only adds its 2 KB of activation tables.
        Assert.Equal(ModelFootprint.Of(q).For(expected).FlashBytes, root.GetProperty("flashBytes").GetInt64());
        if (expected == ModelPrecision.Int8Weights) Assert.True(root.GetProperty("flashBytes").GetInt64() < root.GetProperty("float32FlashBytes").GetInt64());

        // The reported quantized accuracy is the model file's, recomputed here by its reference engine.
        var f = ModelLoader.Load(model);
        var rows = File.ReadAllLines(data).Skip(1).Select(l => l.Split(',')).ToArray();
        var labels = new[] { "high", "low", "mid" };
        int correct = 0, n = 0;
        var engine = ReferenceEngines.Create(q);
        var y = new float[3];
        for (int i = 0; i < rows.Length; i += 5)
        {
            engine.Reset();
            var x = rows[i].Skip(1).Select(v => float.Parse(v, Inv)).ToArray();
            for (int t = 0; t < 4; t++) engine.Step(x.AsSpan(2 * t, 2), y);
            if (labels[Array.IndexOf(y, y.Max())] == rows[i][0]) correct++;
            n++;
        }
        Assert.Equal((double)correct / n, root.GetProperty("quantized").GetProperty("accuracy").GetDouble(), 6);
        Assert.True(f.Precision == ModelPrecision.Float32);

        var inspect = CliRun.Of("inspect", output);
        Assert.Contains("precision      " + precision, inspect.Stdout);
        Assert.Contains("← this file", inspect.Stdout);
        var inspectJson = CliRun.Of("inspect", output, "--json");
        using var ij = JsonDocument.Parse(inspectJson.Stdout);
        Assert.Equal(precision, ij.RootElement.GetProperty("precision").GetString());
        Assert.True(ij.RootElement.GetProperty("footprint").GetProperty("int8").GetProperty("flashBytes").GetInt64() > 0);

        var eval = CliRun.Of(new[] { "eval", output, "--data", data, "--json" }.Concat(Layout).ToArray());
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var ej = JsonDocument.Parse(eval.Stdout);
        Assert.Equal((double)correct / n, ej.RootElement.GetProperty("accuracy").GetDouble(), 6);
    }

    [Fact]
    public void PredictRunsTheIntegerEngineOnInt8Files()
    {
        using var dir = new TempFolder();
        var input = dir.WriteFixtureInput("gru_small", out _, out _);
        var rows = File.ReadAllLines(input).Skip(1).Select(l => l.Split(',').Select(v => float.Parse(v, Inv)).ToArray()).ToList();
        var f = ModelLoader.Load(CliRun.Fixture("gru_small.safetensors"));
        var q = ModelQuantizer.Quantize(f, ModelPrecision.Int8, CalibrationRange.Observe(f, rows));
        var path = dir.File("small-int8.safetensors");
        File.WriteAllBytes(path, TinyGruModelFile.Serialize(q));

        var run = CliRun.Of("predict", path, "--input", input);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var printed = run.Stdout.Trim().Split('\n').Skip(1).Select(l => l.Split(',').Select(v => float.Parse(v, Inv)).ToArray()).ToArray();
        var engine = new Int8ReferenceEngine(q);
        var y = new float[q.OutputSize];
        for (int t = 0; t < rows.Count; t++)
        {
            engine.Step(rows[t], y);
            Assert.Equal(y, printed[t]);   // round-trip printing: the integer engine's exact floats
        }
    }

    public static TheoryData<string, string[], string> BadInput => new()
    {
        { "precision", new[] { "--precision", "int4" }, "int4" },
        { "headroom", new[] { "--input-headroom", "-1" }, "--input-headroom is -1; expected a fraction from 0 to 100" },
        { "headroom without int8 inputs", new[] { "--precision", "int8-weights", "--input-headroom", "0.25" }, "--input-headroom needs --precision int8" },
        { "missing calibration", new[] { "--calibration", "missing.csv" }, "missing.csv" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public void BadArgumentsGiveOneLineAndWriteNothing(string what, string[] change, string expected)
    {
        using var dir = new TempFolder();
        var (data, model) = Trained(dir);
        var output = dir.File("out.safetensors");
        var args = new List<string> { "quantize", model, "--calibration", data };
        args.AddRange(Layout);
        args.AddRange(new[] { "-o", output });
        for (int i = 0; i < change.Length; i += 2)
        {
            int at = args.IndexOf(change[i]);
            if (at >= 0) args[at + 1] = change[i + 1] == "missing.csv" ? dir.File("missing.csv") : change[i + 1];
            else args.AddRange(new[] { change[i], change[i + 1] });
        }
        var run = CliRun.Of(args.ToArray());
        Assert.True(run.ExitCode != 0, what);
        Assert.Contains(expected, run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.False(File.Exists(output), what);
    }

    [Fact]
    public void ModelsThatDoNotFitTheIntegerSchemeAreNamed()
    {
        using var dir = new TempFolder();
        // Raw inputs in the ten thousands and no normalization: weight × input scale ≥ 1/16.
        var lines = new List<string> { "kind,a0,a1" };
        for (int i = 0; i < 10; i++) lines.Add($"{(i % 2 == 0 ? "x" : "y")},{i * 9000},{-i * 9000}");
        var data = dir.File("raw.csv");
        File.WriteAllLines(data, lines);
        var m = new GruModel(GateConvention.ResetAfter,
            new[] { new GruLayerSpec(1, 2, Enumerable.Repeat(2f, 6).ToArray(), new float[12], new float[6], new float[6]) },
            new DenseHeadSpec(2, 2, new float[4], new float[2], HeadActivation.Softmax),
            metadata: new ModelMetadata("raw", ModelTask.Classification, new[] { "x", "y" }, null));
        var model = dir.File("raw.safetensors");
        File.WriteAllBytes(model, TinyGruModelFile.Serialize(m));
        var output = dir.File("raw-int8.safetensors");
        CliRun.Of("quantize", model, "--calibration", data, "--layout", "sequences", "--label", "kind", "--steps", "2", "-o", output)
            .AssertOneLineError("raw.safetensors: tensor 'layers.0.w_ih': row 0: weight scale");
        Assert.False(File.Exists(output));
    }
}

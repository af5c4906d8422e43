using System.Globalization;
using System.Text.Json;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using Xunit;

namespace TinyGru.Cli.Tests;

/// <summary><c>tinygru train --qat</c> and <c>tinygru finetune</c>: success paths and every argument error.</summary>
public class QatCommandTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A noisy sine "level", one row per step.</summary>
    private static string WriteSeries(TempFolder dir, string name = "levels.csv", int features = 1)
    {
        var random = new Random(3);
        var lines = new List<string> { "year,level" + (features > 1 ? ",other" : "") };
        for (int i = 0; i < 160; i++)
            lines.Add($"{1900 + i},{(50 + 40 * Math.Sin(i * 0.5) + random.NextDouble()).ToString("F3", Inv)}" + (features > 1 ? $",{(i % 7).ToString(Inv)}" : ""));
        var path = dir.File(name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string[] SeriesFlags(string data) =>
        new[] { "--data", data, "--layout", "series", "--target", "level", "--window", "8", "--test-fraction", "0.2" };

    private static string TrainFloat(TempFolder dir, string data)
    {
        var model = dir.File("float.safetensors");
        var run = CliRun.Of(new[] { "train" }.Concat(SeriesFlags(data)).Concat(new[] { "--hidden", "8", "--epochs", "20", "--seed", "1", "-o", model, "-q" }).ToArray());
        Assert.True(run.ExitCode == 0, run.Stderr);
        return model;
    }

    [Fact]
    public void TrainWithQatWritesTheInt8ModelItTrainedWhenAsked()
    {
        using var dir = new TempFolder();
        var data = WriteSeries(dir);
        var model = dir.File("int8.safetensors");
        var run = CliRun.Of(new[] { "train" }.Concat(SeriesFlags(data)).Concat(new[] { "--hidden", "8", "--epochs", "20", "--seed", "1", "--qat", "--precision", "int8", "-o", model, "--json" }).ToArray());
        Assert.True(run.ExitCode == 0, run.Stderr);

        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("int8", json.RootElement.GetProperty("precision").GetString());
        double int8Rmse = json.RootElement.GetProperty("int8Test").GetProperty("rmse").GetDouble();
        var m = ModelLoader.Load(model);
        Assert.Equal(ModelPrecision.Int8, m.Precision);
        Assert.Equal("tinygru train", m.Metadata.Provenance["source"]);
        Assert.Contains("straight-through", m.Metadata.Provenance["train.qat"]);
        Assert.Equal(m.Quantization!.Input!.Scale.ToString("R", Inv), m.Metadata.Provenance["qat.input_scale"]);

        // eval runs the written file in the integer-only engine: the int8 number train reported.
        var eval = CliRun.Of(new[] { "eval", model }.Concat(SeriesFlags(data)).Append("--json").ToArray());
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using var evalJson = JsonDocument.Parse(eval.Stdout);
        Assert.Equal(int8Rmse, evalJson.RootElement.GetProperty("rmse").GetDouble(), 9);
    }

    [Fact]
    public void FinetuneWithQatKeepsTheModelsUnitsAndReportsFloatAndInt8()
    {
        using var dir = new TempFolder();
        var data = WriteSeries(dir);
        var floatModel = TrainFloat(dir, data);
        var tuned = dir.File("tuned.safetensors");

        var run = CliRun.Of(new[] { "finetune", floatModel, "--qat" }.Concat(SeriesFlags(data)).Concat(new[] { "--seed", "1", "-o", tuned }).ToArray());

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("test, int8", run.Stdout);
        Assert.Contains("written as float32", run.Stdout);
        var before = ModelLoader.Load(floatModel);
        var after = ModelLoader.Load(tuned);
        Assert.Equal(ModelPrecision.Float32, after.Precision);
        Assert.Equal(before.InputNormalization!.Mean, after.InputNormalization!.Mean);
        Assert.Equal(before.OutputScaling!.Scale, after.OutputScaling!.Scale);
        Assert.Equal("tinygru finetune", after.Metadata.Provenance["source"]);
        Assert.Equal("10 of 10", after.Metadata.Provenance["train.epochs"]);
        Assert.Equal("0.001", after.Metadata.Provenance["train.lr"]);
        Assert.True(after.Metadata.Provenance.ContainsKey("metric.int8_test_rmse"));
        Assert.NotEqual(before.Layers[0].InputWeights, after.Layers[0].InputWeights);

        // Quantized with the range it recorded, the float model is the int8 model that was evaluated.
        var range = new CalibrationRange(double.Parse(after.Metadata.Provenance["qat.input_min"], Inv), double.Parse(after.Metadata.Provenance["qat.input_max"], Inv), 1);
        var int8 = ModelQuantizer.Quantize(after, ModelPrecision.Int8, range);
        Assert.Equal(after.Metadata.Provenance["qat.input_zero_point"], int8.Quantization!.Input!.ZeroPoint.ToString(Inv));
    }

    [Fact]
    public void FinetuneKeepsTheClassOrderAndWritesInt8WeightsWhenAsked()
    {
        using var dir = new TempFolder();
        var random = new Random(1);
        var lines = new List<string> { "kind,a0,b0,a1,b1,a2,b2" };
        for (int i = 0; i < 90; i++)
        {
            int k = i % 3;
            lines.Add(new[] { "low", "mid", "high" }[k] + "," + string.Join(",", Enumerable.Range(0, 6).Select(_ => (k * 10 + 3 * random.NextDouble()).ToString("F3", Inv))));
        }
        var data = dir.File("kinds.csv");
        File.WriteAllLines(data, lines);
        var flags = new[] { "--data", data, "--layout", "sequences", "--label", "kind", "--steps", "3", "--test-every", "5" };
        var floatModel = dir.File("kinds.safetensors");
        Assert.Equal(0, CliRun.Of(new[] { "train" }.Concat(flags).Concat(new[] { "--hidden", "6", "--epochs", "10", "-o", floatModel, "-q" }).ToArray()).ExitCode);
        var tuned = dir.File("kinds-int8w.safetensors");

        var run = CliRun.Of(new[] { "finetune", floatModel, "--qat", "--precision", "int8-weights", "--epochs", "3" }.Concat(flags).Concat(new[] { "-o", tuned, "--json" }).ToArray());

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("int8-weights", json.RootElement.GetProperty("precision").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("epochs").GetInt32());
        var m = ModelLoader.Load(tuned);
        Assert.Equal(ModelPrecision.Int8Weights, m.Precision);
        Assert.Equal(new[] { "high", "low", "mid" }, m.Metadata.ClassLabels);
        Assert.Equal("kinds", m.Metadata.Name);
    }

    public static TheoryData<string, string[], string> BadArguments => new()
    {
        { "precision without qat (train)", new[] { "train", "DATA", "--precision", "int8" }, "--precision int8 needs --qat" },
        { "precision without qat (finetune)", new[] { "finetune", "MODEL", "DATA", "--precision", "int8-weights" }, "--precision int8-weights needs --qat" },
        { "missing model", new[] { "finetune", "MISSING", "DATA", "--qat" }, "nope.safetensors" },
        { "zero epochs", new[] { "finetune", "MODEL", "DATA", "--qat", "--epochs", "0" }, "--epochs: must be at least 1" },
        { "negative lr", new[] { "finetune", "MODEL", "DATA", "--qat", "--lr", "-1" }, "--lr: must be a positive number" },
        { "int8 model", new[] { "finetune", "INT8", "DATA", "--qat" }, "fine-tune the float32 model it was quantized from" },
        { "other features", new[] { "finetune", "MODEL", "OTHER", "--qat", "--features", "level,other" }, "the model takes 1 features per step; the data has 2" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void BadArgumentsGiveOneLineAndWriteNothing(string what, string[] args, string expected)
    {
        using var dir = new TempFolder();
        var data = WriteSeries(dir);
        var other = WriteSeries(dir, "other.csv", features: 2);
        string model = args.Contains("MODEL") || args.Contains("INT8") ? TrainFloat(dir, data) : "";
        string int8 = dir.File("int8.safetensors");
        if (args.Contains("INT8")) File.WriteAllBytes(int8, TinyGruModelFile.Serialize(ModelQuantizer.Quantize(ModelLoader.Load(model), ModelPrecision.Int8Weights)));
        var output = dir.File("out.safetensors");
        var full = args.SelectMany(a => a switch
        {
            "DATA" => SeriesFlags(data),
            "OTHER" => SeriesFlags(other),
            "MODEL" => new[] { model },
            "INT8" => new[] { int8 },
            "MISSING" => new[] { dir.File("nope.safetensors") },
            _ => new[] { a },
        }).Concat(args[0] == "train" ? new[] { "--epochs", "2" } : Array.Empty<string>()).Concat(new[] { "-o", output }).ToArray();

        var run = CliRun.Of(full);

        run.AssertOneLineError(expected);
        Assert.False(File.Exists(output), what);
    }
}

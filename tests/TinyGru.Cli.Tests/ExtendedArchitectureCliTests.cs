using System.Globalization;
using TinyGru.Model;
using TinyGru.Model.Safetensors;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.Cli.Tests;

/// <summary>Issue 13 through the command line: every new fixture via predict (ONNX, state_dict + flags, Keras containers), convert's flags, and the errors.</summary>
public class ExtendedArchitectureCliTests
{
    private static float[] Predict(TempFolder dir, string fixture, params string[] modelAndFlags)
    {
        var input = dir.WriteFixtureInput(fixture, out _, out _);
        var output = dir.File("out.csv");
        var run = CliRun.Of(new[] { "predict" }.Concat(modelAndFlags).Concat(new[] { "--input", input, "--output", output }).ToArray());
        Assert.Equal("", run.Stderr);
        Assert.Equal(0, run.ExitCode);
        return File.ReadAllLines(output).Skip(1).SelectMany(l => l.Split(',')).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    private static void AssertMatches(string fixture, float[] actual)
    {
        var expected = ReferenceFixture.Load(fixture).Y;
        double error = ReferenceFixture.MaxScaledError(expected, actual);
        Assert.True(error <= 1e-5, $"{fixture}: max scaled |Δy| = {error:G3}");
    }

    [Theory]
    [InlineData("gru_mlp_head", "gru_mlp_head.onnx", null)]
    [InlineData("gru_mlp_head", "gru_mlp_head.safetensors", "relu,none")]
    [InlineData("gru_mlp_softmax", "gru_mlp_softmax.onnx", null)]
    [InlineData("gru_mlp_softmax", "gru_mlp_softmax.safetensors", "tanh,softmax")]
    [InlineData("gru_embedding", "gru_embedding.onnx", null)]
    [InlineData("gru_embedding", "gru_embedding.safetensors", "softmax")]
    [InlineData("gru_hn_last", "gru_hn_last.onnx", null)]
    [InlineData("keras_gru_classic", "keras_gru_classic/model.json", null)]
    [InlineData("keras_gru_hard_sigmoid", "keras_gru_hard_sigmoid", null)]
    [InlineData("keras_reset_after", "keras_reset_after.keras", null)]
    [InlineData("keras_embedding_legacy", "keras_embedding_legacy.h5", null)]
    public void PredictMatchesTheReference(string fixture, string model, string? activations)
    {
        using var dir = new TempFolder();
        var flags = activations is null ? new[] { CliRun.Fixture(model) } : new[] { CliRun.Fixture(model), "--head-activations", activations };
        AssertMatches(fixture, Predict(dir, fixture, flags));
    }

    [Theory]
    [InlineData("keras_reset_after", "keras_reset_after.keras", "hard-sigmoid|sigmoid")]
    [InlineData("keras_embedding_legacy", "keras_embedding_legacy.h5", "embedding")]
    [InlineData("gru_mlp_softmax", "gru_mlp_softmax.safetensors", "dense")]
    public void ConvertThenPredictFromTheTinyGruFile(string fixture, string model, string _)
    {
        using var dir = new TempFolder();
        string converted = dir.File("model.safetensors");
        var args = new List<string> { "convert", CliRun.Fixture(model), "-o", converted };
        if (model.EndsWith(".safetensors", StringComparison.Ordinal)) args.AddRange(new[] { "--head-activations", "tanh,softmax" });
        var run = CliRun.Of(args.ToArray());
        Assert.Equal("", run.Stderr);
        Assert.Equal("3", SafetensorsFile.Read(converted).Metadata["tinygru.version"]);
        AssertMatches(fixture, Predict(dir, fixture, converted));
    }

    /// <summary>
    /// The generator integration tests compile the Keras fixtures from these converted files (the generator cannot read
    /// HDF5); converting again today must give the committed bytes, so they cannot drift from the reader.
    /// </summary>
    [Theory]
    [InlineData("keras_reset_after.keras")]
    [InlineData("keras_embedding_legacy.h5")]
    public void ConvertedKerasFixturesAreCurrent(string model)
    {
        using var dir = new TempFolder();
        string converted = dir.File("model.safetensors");
        var run = CliRun.Of("convert", CliRun.Fixture(model), "-o", converted);
        Assert.Equal("", run.Stderr);
        string committed = CliRun.Fixture(Path.GetFileNameWithoutExtension(model) + ".converted.safetensors");
        Assert.True(File.ReadAllBytes(committed).AsSpan().SequenceEqual(File.ReadAllBytes(converted)),
            $"{committed} differs from `tinygru convert {model}`; regenerate it with that command");
    }

    [Fact]
    public void MlpStateDictWithoutActivationsSaysWhatToPass() =>
        CliRun.Of("predict", CliRun.Fixture("gru_mlp_head.safetensors"), "--input", "x.csv")
            .AssertOneLineError("the head has 2 dense layers (head.0, head.2); a state_dict does not record their activations: pass --head-activations with one per layer, e.g. relu,none");

    [Fact]
    public void BadHeadActivationsName() =>
        CliRun.Of("predict", CliRun.Fixture("gru_mlp_head.safetensors"), "--head-activations", "relu,gelu", "--input", "x.csv")
            .AssertOneLineError("--head-activations: entry 2 is 'gelu'; expected none, relu, tanh, sigmoid or (last only) softmax");

    [Fact]
    public void ConvertAttachesNormalizationFromValuesAndCsv()
    {
        using var dir = new TempFolder();
        string std = dir.File("std.csv");
        File.WriteAllText(std, "a,b,c\n2,4,0.5\n");
        string converted = dir.File("m.safetensors");
        var run = CliRun.Of("convert", CliRun.Fixture("gru_tiny.safetensors"), "-o", converted, "--input-mean", "1,-1,0.25", "--input-std", std,
            "--output-scale", "2,2,2,2", "--output-offset", "0,1,0,1");
        Assert.Equal("", run.Stderr);
        var m = ModelLoader.Load(converted);
        Assert.Equal(new[] { 1f, -1f, 0.25f }, m.InputNormalization!.Mean);
        Assert.Equal(new[] { 2f, 4f, 0.5f }, m.InputNormalization.Std);
        Assert.Equal(new[] { 0f, 1f, 0f, 1f }, m.OutputScaling!.Offset);

        // The normalized model on (x·std + mean) gives the plain model's output, scaled: y' = 2·y + offset.
        var plain = new TinyGru.Runtime.GruReferenceEngine(ModelLoader.Load(CliRun.Fixture("gru_tiny.safetensors")));
        var scaled = new TinyGru.Runtime.GruReferenceEngine(m);
        var x = new float[] { 0.3f, -0.7f, 1.1f };
        var y = new float[4];
        var y2 = new float[4];
        plain.Step(x, y);
        scaled.Step(new[] { x[0] * 2 + 1, x[1] * 4 - 1, x[2] * 0.5f + 0.25f }, y2);
        for (int o = 0; o < 4; o++) Assert.Equal(2 * y[o] + (o % 2), y2[o], 4);
    }

    [Theory]
    [InlineData(new[] { "--input-mean", "1,2" }, "--input-mean and --input-std go together: give both")]
    [InlineData(new[] { "--input-mean", "1,2", "--input-std", "1,1" }, "--input-std: 2 values; the model needs 3 input features")]
    [InlineData(new[] { "--input-mean", "1,x,3", "--input-std", "1,1,1" }, "--input-mean: entry 2 is 'x'; expected a finite number")]
    [InlineData(new[] { "--input-mean", "1,2,3", "--input-std", "1,0,1" }, "--input-std: entry 2 is 0; a standard deviation must be greater than 0")]
    [InlineData(new[] { "--output-scale", "1,2" }, "--output-scale: 2 values; the model needs 4 outputs")]
    public void ConvertScalingErrors(string[] flags, string message)
    {
        using var dir = new TempFolder();
        string converted = dir.File("m.safetensors");
        CliRun.Of(new[] { "convert", CliRun.Fixture("gru_tiny.safetensors"), "-o", converted }.Concat(flags).ToArray()).AssertOneLineError(message);
        Assert.False(File.Exists(converted));
    }

    [Fact]
    public void TokenModelsRefuseInputNormalization()
    {
        using var dir = new TempFolder();
        CliRun.Of("convert", CliRun.Fixture("gru_embedding.onnx"), "-o", dir.File("m.safetensors"), "--input-mean", "1", "--input-std", "1")
            .AssertOneLineError("this model's input is a token id per step (an embedding); there are no features to normalize");
    }

    [Fact]
    public void IgnoreTensorSkipsScalerBuffers()
    {
        using var dir = new TempFolder();
        var file = SafetensorsFile.Read(CliRun.Fixture("gru_small.safetensors"));
        var tensors = file.Tensors.ToList();
        tensors.Add(TensorData.FromFloat32("scaler.mean_", new long[] { 6 }, new float[6]));
        string withExtra = dir.File("extra.safetensors");
        File.WriteAllBytes(withExtra, SafetensorsFile.Serialize(tensors, new Dictionary<string, string> { ["format"] = "pt" }));
        CliRun.Of("convert", withExtra, "-o", dir.File("a.safetensors"))
            .AssertOneLineError("tensor 'scaler.mean_': is not part of an nn.Embedding, an nn.GRU or the nn.Linear layers after it; TinyGru cannot tell what it does (pass --ignore-tensor NAME to skip it");
        var run = CliRun.Of("convert", withExtra, "-o", dir.File("b.safetensors"), "--ignore-tensor", "scaler.*");
        Assert.Equal("", run.Stderr);
        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public void OutOfRangeTokenNamesTheRow()
    {
        using var dir = new TempFolder();
        string input = dir.File("tokens.csv");
        File.WriteAllText(input, "token\n3\n40\n");
        CliRun.Of("predict", CliRun.Fixture("gru_embedding.onnx"), "--input", input)
            .AssertOneLineError("tokens.csv: data row 2: token id 40 is not a whole number from 0 to 39 (the model's vocabulary has 40 ids)");
    }

    [Theory]
    [InlineData("gru_mlp_head.onnx", "Head: 2 dense layers")]
    [InlineData("gru_embedding.onnx", "public void Step(int token, global::System.Span<float> output)")]
    [InlineData("keras_gru_hard_sigmoid/model.json", "r and z use the Keras 2 / TF.js hard sigmoid")]
    [InlineData("keras_reset_after.keras", "reset-after")]
    public void GenerateWritesCodeForTheGrownModels(string model, string expected)
    {
        // float32 code of dense stacks, token models and hard-sigmoid gates.
        using var dir = new TempFolder();
        string output = dir.File("M.cs");
        var run = CliRun.Of("generate", CliRun.Fixture(model), "-o", output);
        Assert.Equal("", run.Stderr);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(expected, File.ReadAllText(output));
    }

    [Theory]
    [InlineData("gru_mlp_softmax.onnx", "Head: 2 dense layers")]
    [InlineData("gru_embedding.onnx", "public void Step(int token, float[] output)")]
    [InlineData("keras_gru_hard_sigmoid/model.json", "private static float HardSigmoid(float x)")]
    public void GenerateWritesNanoFrameworkCodeForTheGrownModels(string model, string expected)
    {
        using var dir = new TempFolder();
        string output = dir.File("M.cs");
        var run = CliRun.Of("generate", CliRun.Fixture(model), "--target", "nanoframework", "-o", output);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(expected, File.ReadAllText(output));
    }

    [Theory]
    [InlineData("gru_mlp_head", "gru_mlp_head.onnx", "Dense layer 0")]
    [InlineData("gru_mlp_softmax", "gru_mlp_softmax.onnx", "Dense layer 0")]
    [InlineData("gru_embedding", "gru_embedding.onnx", "public void Step(int token, global::System.Span<float> output)")]
    [InlineData("keras_gru_hard_sigmoid", "keras_gru_hard_sigmoid/model.json", "HardSigmoid(")]
    public void QuantizeAndGenerateIntegerOnlyInt8OfTheGrownModels(string fixture, string model, string expected)
    {
        // One sequence per row: the fixture's steps, shifted per row; a class label per row (calibration data).
        var f = ReferenceFixture.Load(fixture);
        using var dir = new TempFolder();
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string> { "kind," + string.Join(",", Enumerable.Range(0, f.Steps * f.InputSize).Select(i => "x" + i)) };
        for (int row = 0; row < 12; row++)
            lines.Add((row % f.OutputSize).ToString(inv) + "," + string.Join(",", Enumerable.Range(0, f.Steps * f.InputSize)
                .Select(i => f.X[(i + row * f.InputSize) % f.X.Length].ToString("R", inv))));
        string data = dir.File("calibration.csv"), quantized = dir.File("q.safetensors"), code = dir.File("M.cs"), nano = dir.File("N.cs");
        File.WriteAllLines(data, lines);
        var run = CliRun.Of("quantize", CliRun.Fixture(model), "--calibration", data, "--layout", "sequences", "--label", "kind",
            "--steps", f.Steps.ToString(inv), "--precision", "int8", "-o", quantized);
        Assert.True(run.ExitCode == 0, run.Stderr);
        if (fixture == "gru_embedding") Assert.Contains("token model: the embedding table is the input (int8 with one scale", run.Stdout);
        Assert.Equal(TinyGru.Model.Quantization.ModelPrecision.Int8, ModelLoader.Load(quantized).Precision);
        var gen = CliRun.Of("generate", quantized, "-o", code);
        Assert.True(gen.ExitCode == 0, gen.Stderr);
        var text = File.ReadAllText(code);
        Assert.Contains("Precision int8 (integer-only", text);
        Assert.Contains(expected, text);
        var genNano = CliRun.Of("generate", quantized, "--target", "nanoframework", "-o", nano);
        Assert.True(genNano.ExitCode == 0, genNano.Stderr);
    }

    [Fact]
    public void InspectShowsTheNewParts()
    {
        var text = CliRun.Of("inspect", CliRun.Fixture("keras_embedding_legacy.h5")).Stdout;
        Assert.Contains("Keras .keras/.h5", text);
        Assert.Contains("1 token id per step (0 to 29)", text);
        Assert.Contains("[30, 6] table (180 parameters)", text);
        var mlp = CliRun.Of("inspect", CliRun.Fixture("gru_mlp_head.safetensors"), "--head-activations", "relu,none").Stdout;
        Assert.Contains("dense 24 → 16, relu", mlp);
        Assert.Contains("dense 16 → 3, none", mlp);
        var hard = CliRun.Of("inspect", CliRun.Fixture("keras_gru_hard_sigmoid"), "--json").Stdout;
        Assert.Contains("\"gateActivation\": \"hard-sigmoid-keras2\"", hard);
        Assert.Contains("\"format\": \"tfjs-layers-model\"", hard);
    }
}

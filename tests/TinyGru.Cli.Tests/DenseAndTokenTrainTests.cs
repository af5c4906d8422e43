using System.Globalization;
using System.Text.Json;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using Xunit;

namespace TinyGru.Cli.Tests;

/// <summary>
/// <c>tinygru train --dense</c> and token models (<c>--vocab</c>, <c>--embedding</c>) end to end — train, inspect,
/// eval, predict, finetune, generate — and their bad-input paths: one line, exit 1, no model file.
/// </summary>
public class DenseAndTokenTrainTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static string Digits => Path.Combine(AppContext.BaseDirectory, "data", "digits.csv");

    [Fact]
    public void TrainsDigitsWithADenseStackThatInspectEvalPredictAndGenerateRead()
    {
        using var dir = new TempFolder();
        var model = dir.File("digits.safetensors");
        var run = CliRun.Of("train", "--data", Digits, "--layout", "sequences", "--label", "label", "--steps", "8", "--test-every", "5",
            "--hidden", "16", "--dense", "24,12", "--dense-activation", "relu,tanh", "--epochs", "8", "--seed", "1", "-o", model, "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);

        var m = ModelLoader.Load(model);
        Assert.Equal(new[] { 24, 12, 10 }, m.DenseLayers.Select(d => d.OutputSize));
        Assert.Equal(new[] { HeadActivation.Relu, HeadActivation.Tanh, HeadActivation.Softmax }, m.DenseLayers.Select(d => d.Activation));
        Assert.Equal("24,12 (relu,tanh)", m.Metadata.Provenance["train.dense"]);
        using var json = JsonDocument.Parse(run.Stdout);
        double accuracy = json.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble();
        Assert.True(accuracy >= 0.9, $"test accuracy {accuracy}");

        var inspect = CliRun.Of("inspect", model);
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        Assert.Contains("dense 16 → 24, relu", inspect.Stdout);
        Assert.Contains("dense 24 → 12, tanh", inspect.Stdout);
        Assert.Contains("dense 12 → 10, softmax", inspect.Stdout);

        // eval runs the written file through the reference engine: the same accuracy train reported.
        var eval = CliRun.Of("eval", model, "--data", Digits, "--layout", "sequences", "--label", "label", "--steps", "8", "--test-every", "5", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using (var e = JsonDocument.Parse(eval.Stdout))
            Assert.Equal(accuracy, e.RootElement.GetProperty("accuracy").GetDouble(), 9);

        // predict: the first digit's 8 rows of 8 pixels; the last row's output is the reference engine's.
        var first = File.ReadLines(Digits).Skip(1).First().Split(',').Skip(1).Select(v => float.Parse(v, Inv)).ToArray();
        var input = dir.File("digit.csv");
        File.WriteAllLines(input, Enumerable.Range(0, 8).Select(t => string.Join(",", first.Skip(8 * t).Take(8).Select(v => v.ToString(Inv)))));
        var predict = CliRun.Of("predict", model, "--input", input);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var engine = new GruReferenceEngine(m);
        var y = new float[10];
        for (int t = 0; t < 8; t++) engine.Step(first.AsSpan(8 * t, 8), y);
        var lastRow = predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(',').Select(v => float.Parse(v, Inv)).ToArray();
        Assert.Equal(y, lastRow);

        var generate = CliRun.Of("generate", model, "--class", "Digits", "-o", dir.File("Digits.g.cs"));
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        Assert.Contains("partial struct Digits", File.ReadAllText(dir.File("Digits.g.cs")));
    }

    /// <summary>Sequences of 10 token ids from 0 … 11; the label says whether id 1 occurs.</summary>
    private static string WriteTokens(TempFolder dir, int rows = 300, int maxId = 11)
    {
        var random = new Random(4);
        var lines = new List<string> { "label," + string.Join(",", Enumerable.Range(0, 10).Select(i => "t" + i)) };
        for (int n = 0; n < rows; n++)
        {
            var ids = Enumerable.Range(0, 10).Select(_ => random.Next(2, maxId + 1)).ToArray();
            bool yes = random.Next(2) == 1;
            if (yes) ids[random.Next(10)] = 1;
            lines.Add((yes ? "yes" : "no") + "," + string.Join(",", ids));
        }
        var path = dir.File("tokens.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void TrainsATokenModelThatEvalPredictAndFinetuneRead()
    {
        using var dir = new TempFolder();
        var data = WriteTokens(dir);
        var model = dir.File("tokens.safetensors");
        var run = CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "label", "--vocab", "12", "--embedding", "6",
            "--hidden", "16", "--epochs", "25", "--test-every", "5", "--seed", "3", "-o", model, "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);

        var m = ModelLoader.Load(model);
        Assert.Equal(12, m.Embedding!.VocabularySize);
        Assert.Equal(6, m.Embedding.EmbeddingSize);
        Assert.Null(m.InputNormalization);
        Assert.Equal("token ids", m.Metadata.Provenance["data.input"]);
        using var json = JsonDocument.Parse(run.Stdout);
        double accuracy = json.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble();
        Assert.True(accuracy >= 0.9, $"test accuracy {accuracy}");

        var eval = CliRun.Of("eval", model, "--data", data, "--layout", "sequences", "--label", "label", "--test-every", "5", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        using (var e = JsonDocument.Parse(eval.Stdout))
            Assert.Equal(accuracy, e.RootElement.GetProperty("accuracy").GetDouble(), 9);

        var input = dir.File("ids.csv");
        File.WriteAllLines(input, new[] { "id", "3", "1", "7" });
        var predict = CliRun.Of("predict", model, "--input", input);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var engine = new GruReferenceEngine(m);
        var y = new float[2];
        foreach (int id in new[] { 3, 1, 7 }) engine.Step(id, y);
        Assert.Equal(y, predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(',').Select(v => float.Parse(v, Inv)).ToArray());

        // Post-training int8-weights: calibrated on the embedding rows of the training ids; the embedding is quantized per row.
        var quantized = dir.File("q.safetensors");
        var quantize = CliRun.Of("quantize", model, "--calibration", data, "--layout", "sequences", "--label", "label", "--test-every", "5",
            "--precision", "int8-weights", "-o", quantized);
        Assert.True(quantize.ExitCode == 0, quantize.Stderr);
        Assert.Contains("int8-weights", quantize.Stdout);
        Assert.NotNull(ModelLoader.Load(quantized).Quantization!.Embedding);

        // QAT fine-tuning of a token model: int8 weights (embedding included), written as int8-weights.
        var tuned = dir.File("tuned.safetensors");
        var finetune = CliRun.Of("finetune", model, "--qat", "--precision", "int8-weights", "--data", data, "--layout", "sequences", "--label", "label",
            "--test-every", "5", "--epochs", "2", "-o", tuned, "-q");
        Assert.True(finetune.ExitCode == 0, finetune.Stderr);
        var t = ModelLoader.Load(tuned);
        Assert.Equal(ModelPrecision.Int8Weights, t.Precision);
        Assert.NotNull(t.Quantization!.Embedding);
        Assert.Contains("int8 weights", t.Metadata.Provenance["train.qat"]);
    }

    [Fact]
    public void FinetunesADenseStackModel()
    {
        using var dir = new TempFolder();
        var model = dir.File("d.safetensors");
        Assert.Equal(0, CliRun.Of("train", "--data", Digits, "--layout", "sequences", "--label", "label", "--steps", "8", "--hidden", "8",
            "--dense", "8", "--epochs", "1", "-o", model, "-q").ExitCode);
        var tuned = dir.File("t.safetensors");
        var run = CliRun.Of("finetune", model, "--qat", "--data", Digits, "--layout", "sequences", "--label", "label", "--steps", "8", "--epochs", "1", "-o", tuned, "-q");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var t = ModelLoader.Load(tuned);
        Assert.Equal(new[] { 8, 10 }, t.DenseLayers.Select(d => d.OutputSize));
        Assert.Equal("tinygru finetune", t.Metadata.Provenance["source"]);

        // Integer-only QAT of a dense stack: int8 inputs too, written as an integer-only int8 model that the int8
        // reference engine runs.
        var int8 = CliRun.Of("finetune", model, "--qat", "--precision", "int8", "--data", Digits, "--layout", "sequences", "--label", "label", "--steps", "8", "--epochs", "1", "-o", tuned, "-q");
        Assert.True(int8.ExitCode == 0, int8.Stderr);
        var q = ModelLoader.Load(tuned);
        Assert.Equal(TinyGru.Model.Quantization.ModelPrecision.Int8, q.Precision);
        Assert.Equal(new[] { 8, 10 }, q.DenseLayers.Select(d => d.OutputSize));
        Assert.Contains("int8 inputs", q.Metadata.Provenance["train.qat"]);
    }

    /// <summary>
    /// A PyTorch state_dict with an nn.Sequential MLP head (GRU 4→16 ×2 → 32 tanh → 6 softmax) fine-tuned on CSV data:
    /// the stack and its activations are kept. A model with hard-sigmoid gates is refused in one line.
    /// </summary>
    [Fact]
    public void FinetunesAnImportedMlpHeadAndRefusesHardSigmoidGates()
    {
        using var dir = new TempFolder();
        var random = new Random(9);
        var data = dir.File("six.csv");
        File.WriteAllLines(data, new[] { "label," + string.Join(",", Enumerable.Range(0, 20).Select(i => "x" + i)) }
            .Concat(Enumerable.Range(0, 60).Select(n => (n % 6) + "," + string.Join(",", Enumerable.Range(0, 20).Select(_ => (random.NextDouble() + n % 6).ToString("F3", Inv))))));
        var tuned = dir.File("tuned.safetensors");
        var run = CliRun.Of("finetune", CliRun.Fixture("gru_mlp_softmax.safetensors"), "--head-activations", "tanh,softmax", "--data", data,
            "--layout", "sequences", "--label", "label", "--steps", "5", "--epochs", "2", "-o", tuned, "-q");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var before = ModelLoader.Load(CliRun.Fixture("gru_mlp_softmax.safetensors"), new ImportOptions(new[] { HeadActivation.Tanh, HeadActivation.Softmax }, null));
        var after = ModelLoader.Load(tuned);
        Assert.Equal(new[] { HeadActivation.Tanh, HeadActivation.Softmax }, after.DenseLayers.Select(d => d.Activation));
        Assert.Equal(new[] { 32, 6 }, after.DenseLayers.Select(d => d.OutputSize));
        Assert.NotEqual(before.HiddenDenseLayers[0].Weight, after.HiddenDenseLayers[0].Weight);

        var two = dir.File("two.csv");
        File.WriteAllLines(two, new[] { "y,a0,b0,a1,b1", "0.5,1,2,3,4", "0.1,2,3,4,5", "0.7,3,4,5,6" });
        CliRun.Of("finetune", CliRun.Fixture("keras_gru_hard_sigmoid"), "--data", two, "--layout", "sequences", "--label", "y", "--steps", "2",
            "--task", "regression", "-o", tuned).AssertOneLineError("the model's gates are hard-sigmoid-keras2; the trainer trains sigmoid gates");
    }

    public static TheoryData<string[], string> BadRuns => new()
    {
        { new[] { "--dense", "32,x" }, "--dense: 'x' is not a width from 1 to 4096" },
        { new[] { "--dense", "32,,16" }, "--dense: '' is not a width" },
        { new[] { "--dense", "0" }, "--dense: '0' is not a width" },
        { new[] { "--dense", "8,8,8,8,8,8,8,8" }, "--dense: 8 layers; at most 7" },
        { new[] { "--dense", "8", "--dense-activation", "softmax" }, "--dense-activation: 'softmax' is not relu, tanh, sigmoid or none" },
        { new[] { "--dense", "8,4", "--dense-activation", "relu,tanh,none" }, "--dense-activation: 3 activations for 2 --dense layers" },
        { new[] { "--dense-activation", "tanh" }, "--dense-activation needs --dense" },
        { new[] { "--embedding", "8" }, "--embedding needs --vocab" },
        { new[] { "--vocab", "12", "--scale", "feature" }, "--scale does not apply to token input (--vocab)" },
        { new[] { "--vocab", "12", "--qat", "--precision", "int8" }, "--qat --precision int8 of a token model (--vocab): QAT trains the table with a scale per row" },
    };

    [Theory]
    [MemberData(nameof(BadRuns))]
    public void BadDenseAndTokenSettingsGiveOneLineAndNoFile(string[] extra, string expected)
    {
        using var dir = new TempFolder();
        var data = WriteTokens(dir, rows: 20);
        var model = dir.File("m.safetensors");
        CliRun.Of(new[] { "train", "--data", data, "--layout", "sequences", "--label", "label", "--epochs", "1", "-o", model }.Concat(extra).ToArray())
            .AssertOneLineError(expected);
        Assert.False(File.Exists(model));
        Assert.DoesNotContain(Directory.GetFiles(dir.Path), f => !f.EndsWith("tokens.csv", StringComparison.Ordinal));   // no temporary file left either
    }

    [Fact]
    public void TokenDataErrorsNameFileLineColumnAndVocabulary()
    {
        using var dir = new TempFolder();
        var data = WriteTokens(dir, rows: 30);                 // ids up to 11
        var model = dir.File("m.safetensors");
        string[] Train(params string[] more) => new[] { "train", "--data", data, "--layout", "sequences", "--label", "label", "--epochs", "1", "-o", model }.Concat(more).ToArray();

        // The first id ≥ 10 in file order, found independently of the reader.
        var rows = File.ReadAllLines(data);
        var (line, column) = Enumerable.Range(1, rows.Length - 1).SelectMany(r => rows[r].Split(',').Skip(1).Select((v, c) => (r, c, v)))
            .Where(p => int.Parse(p.v, Inv) >= 10).Select(p => (p.r + 1, p.c + 2)).First();
        var id = rows[line - 1].Split(',')[column - 1];
        CliRun.Of(Train("--vocab", "10")).AssertOneLineError(
            $"tokens.csv: line {line}, column {column} ('t{column - 2}'): token id {id} is outside the vocabulary of 10 ids (--vocab 10: expected 0 to 9)");
        Assert.False(File.Exists(model));

        // --vocab on feature data: the first non-id cell is named.
        var features = dir.File("levels.csv");
        File.WriteAllLines(features, new[] { "label,a,b,c", "x,1,2.5,3", "y,2,3,4" });
        CliRun.Of("train", "--data", features, "--layout", "sequences", "--label", "label", "--vocab", "8", "-o", model)
            .AssertOneLineError("levels.csv: line 2, column 3 ('b'): '2.5' is not a token id; with --vocab 8 every input cell is a whole number from 0 to 7");
        CliRun.Of(Train("--vocab", "12", "--steps", "5"))
            .AssertOneLineError("--vocab: token input is one id per step, so one column per step; --steps 5 makes 2 columns per step");
        CliRun.Of("train", "--data", Digits, "--layout", "series", "--target", "r0c0", "--window", "4", "--vocab", "17", "-o", model)
            .AssertOneLineError("--vocab: token input is read from --layout sequences");
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void EvalOfATokenModelNamesIdsOutsideItsVocabulary()
    {
        using var dir = new TempFolder();
        var data = WriteTokens(dir, rows: 40, maxId: 9);
        var model = dir.File("m.safetensors");
        Assert.Equal(0, CliRun.Of("train", "--data", data, "--layout", "sequences", "--label", "label", "--vocab", "10", "--epochs", "1", "-o", model, "-q").ExitCode);
        var other = dir.File("other.csv");
        File.WriteAllLines(other, new[] { "label,t0,t1", "yes,1,4", "no,3,10" });
        CliRun.Of("eval", model, "--data", other, "--layout", "sequences", "--label", "label")
            .AssertOneLineError("other.csv: line 3, column 3 ('t1'): token id 10 is outside the vocabulary of 10 ids");
    }
}

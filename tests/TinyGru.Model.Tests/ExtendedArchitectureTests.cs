using System.Text;
using TinyGru.Model.Keras;
using TinyGru.Model.Safetensors;
using Xunit;

namespace TinyGru.Model.Tests;

/// <summary>Format version 3 (dense stacks, token embeddings, gate activations) and the Keras readers' errors.</summary>
public class ExtendedArchitectureTests
{
    private static GruModel ExtendedModel(GateActivation gates = GateActivation.HardSigmoidKeras2)
    {
        var rng = new Random(3);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var layer = new GruLayerSpec(4, 6, R(3 * 6 * 4), R(3 * 6 * 6), R(18), R(18));
        var hidden = new[] { new DenseHeadSpec(6, 5, R(30), R(5), HeadActivation.Relu), new DenseHeadSpec(5, 3, R(15), R(3), HeadActivation.Tanh) };
        var head = new DenseHeadSpec(3, 2, R(6), R(2), HeadActivation.Softmax);
        return new GruModel(GateConvention.ResetBefore, new[] { layer }, head, outputScaling: null,
            metadata: new ModelMetadata("ext", ModelTask.Classification, new[] { "a", "b" }, null),
            hiddenDenseLayers: hidden, embedding: new TokenEmbedding(9, 4, R(36)), gateActivation: gates);
    }

    [Fact]
    public void Version3RoundTrip()
    {
        var m = ExtendedModel();
        var bytes = TinyGruModelFile.Serialize(m);
        var file = SafetensorsFile.Parse(bytes, "ext.safetensors");
        Assert.Equal("3", file.Metadata["tinygru.version"]);
        Assert.Equal("relu,tanh", file.Metadata["tinygru.dense_activations"]);
        Assert.Equal("hard-sigmoid-keras2", file.Metadata["tinygru.gate_activation"]);
        var back = TinyGruModelFile.Read(file);
        Assert.Equal(m.GateActivation, back.GateActivation);
        Assert.Equal(m.Embedding!.Table, back.Embedding!.Table);
        Assert.Equal(2, back.HiddenDenseLayers.Count);
        for (int d = 0; d < 2; d++)
        {
            Assert.Equal(m.HiddenDenseLayers[d].Weight, back.HiddenDenseLayers[d].Weight);
            Assert.Equal(m.HiddenDenseLayers[d].Bias, back.HiddenDenseLayers[d].Bias);
            Assert.Equal(m.HiddenDenseLayers[d].Activation, back.HiddenDenseLayers[d].Activation);
        }
        Assert.Equal(m.Head!.Weight, back.Head!.Weight);
        Assert.Equal(bytes, TinyGruModelFile.Serialize(back)); // deterministic
        Assert.Equal(m.ParameterCount, back.ParameterCount);
        Assert.Equal(36 + 3L * 6 * 4 + 3L * 6 * 6 + 36 + 35 + 18 + 8, m.ParameterCount);
    }

    [Fact]
    public void PlainModelsKeepTheirOldVersion()
    {
        var m = ExtendedModel();
        var plain = new GruModel(m.Convention, new[] { new GruLayerSpec(4, 6, m.Layers[0].InputWeights, m.Layers[0].RecurrentWeights, m.Layers[0].InputBias, m.Layers[0].RecurrentBias) },
            new DenseHeadSpec(6, 2, new float[12], new float[2], HeadActivation.Sigmoid));
        var file = SafetensorsFile.Parse(TinyGruModelFile.Serialize(plain), "plain.safetensors");
        Assert.Equal("1", file.Metadata["tinygru.version"]);
        Assert.False(file.Metadata.ContainsKey("tinygru.gate_activation"));
        Assert.False(file.Metadata.ContainsKey("tinygru.dense_activations"));
    }

    [Theory]
    [InlineData(GateActivation.Sigmoid)]
    [InlineData(GateActivation.HardSigmoidKeras3)]
    public void GateActivationIsRecordedExplicitly(GateActivation gates)
    {
        var back = TinyGruModelFile.Read(SafetensorsFile.Parse(TinyGruModelFile.Serialize(ExtendedModel(gates)), "m"));
        Assert.Equal(gates, back.GateActivation);
    }

    private static string Mutated(Func<Dictionary<string, string>, Dictionary<string, string>> change, Func<List<TensorData>, List<TensorData>>? tensors = null)
    {
        var file = SafetensorsFile.Parse(TinyGruModelFile.Serialize(ExtendedModel()), "m.safetensors");
        var meta = change(file.Metadata.ToDictionary(p => p.Key, p => p.Value));
        var list = (tensors ?? (t => t))(file.Tensors.ToList());
        var bytes = SafetensorsFile.Serialize(list, meta);
        return Assert.Throws<ModelFormatException>(() => TinyGruModelFile.Read(SafetensorsFile.Parse(bytes, "m.safetensors"))).Message;
    }

    [Fact]
    public void OlderVersionWithNewFieldsIsRefused() =>
        Assert.Contains("metadata 'tinygru.version': is 1; dense stacks, ReLU, token embeddings and gate activations are format version 3",
            Mutated(m => { m["tinygru.version"] = "1"; return m; }));

    [Fact]
    public void UnknownGateActivation() =>
        Assert.Contains("metadata 'tinygru.gate_activation': is \"hard\"; expected sigmoid, hard-sigmoid-keras2 or hard-sigmoid-keras3",
            Mutated(m => { m["tinygru.gate_activation"] = "hard"; return m; }));

    [Fact]
    public void DenseActivationCountMismatch() =>
        Assert.Contains("metadata 'tinygru.dense_activations': names 1 activations but the file has dense layer 1 (dense.1.weight)",
            Mutated(m => { m["tinygru.dense_activations"] = "relu"; return m; }));

    [Fact]
    public void SoftmaxOnAHiddenLayerIsRefused() =>
        Assert.Contains("dense.0.weight: activation Softmax is not supported on a hidden dense layer",
            Mutated(m => { m["tinygru.dense_activations"] = "softmax,tanh"; return m; }));

    [Fact]
    public void EmbeddingOfTheWrongWidth() =>
        Assert.Contains("tensor 'layers.0.w_ih': has shape [18, 4]; expected [3H, I]",
            Mutated(m => m, t => t.Select(x => x.Name == "embedding.weight" ? TensorData.FromFloat32(x.Name, new long[] { 6, 6 }, new float[36]) : x).ToList()));

    [Fact]
    public void TooManyDenseLayers()
    {
        var m = ExtendedModel();
        var hidden = Enumerable.Range(0, ModelLimits.MaxDenseLayers).Select(_ => new DenseHeadSpec(6, 6, new float[36], new float[6], HeadActivation.Relu)).ToList();
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(m.Convention, m.Layers, new DenseHeadSpec(6, 2, new float[12], new float[2], HeadActivation.None), hiddenDenseLayers: hidden));
        Assert.Contains($"{ModelLimits.MaxDenseLayers + 1} dense layers is more than the supported {ModelLimits.MaxDenseLayers}", e.Message);
    }

    [Fact]
    public void EmbeddingWithNormalizationIsRefused()
    {
        var m = ExtendedModel();
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(m.Convention, m.Layers, m.Head, new InputNormalization(new float[4], new float[] { 1, 1, 1, 1 }),
            hiddenDenseLayers: m.HiddenDenseLayers, embedding: m.Embedding));
        Assert.Contains("a token model has no input features to normalize", e.Message);
    }

    [Fact]
    public void OutOfRangeTokenNamesIdAndVocabulary()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ExtendedModel().Embedding!.RowOffset(9));
        Assert.Contains("token id 9 is outside the vocabulary of 9 ids (expected 0 to 8)", e.Message);
    }

    // ---- Keras (TF.js layers model) errors: one line naming the layer and what is supported ----

    private static string FixtureJson() => File.ReadAllText(Fixtures.Path("keras_gru_classic/model.json"));

    private static GruModel LoadJson(string json) =>
        TfjsLayersModel.Load(Encoding.UTF8.GetBytes(json), "model.json", shard => File.ReadAllBytes(Fixtures.Path("keras_gru_classic/" + shard)));

    private static string KerasFails(string json)
    {
        var e = Assert.Throws<ModelFormatException>(() => LoadJson(json));
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("model.json: ", e.Message);
        return e.Message;
    }

    [Fact]
    public void KerasFixtureLoads()
    {
        var m = LoadJson(FixtureJson());
        Assert.Equal(12, m.LastHiddenSize);
        Assert.Equal(HeadActivation.Softmax, m.Head!.Activation);
        Assert.Equal("tfjs-layers-model", m.Metadata.Provenance["source"]);
    }

    [Theory]
    [InlineData("LSTM", "layer 'gru_GRU1' (LSTM): is not supported; supported are InputLayer, Embedding, GRU, Dense, Dropout, Activation and Softmax (TinyGru runs GRU layers)")]
    [InlineData("Conv1D", "layer 'gru_GRU1' (Conv1D): is not supported; supported are InputLayer, Embedding, GRU, Dense, Dropout, Activation and Softmax")]
    [InlineData("Masking", "(masking: TinyGru runs every step)")]
    [InlineData("Bidirectional", "(TinyGru runs forward streaming GRUs)")]
    public void UnsupportedKerasLayer(string cls, string message) =>
        Assert.Contains(message, KerasFails(FixtureJson().Replace("\"class_name\":\"GRU\"", $"\"class_name\":\"{cls}\"")));

    [Theory]
    [InlineData("\"go_backwards\":false", "\"go_backwards\":true", "layer 'gru_GRU1' (GRU): has go_backwards=True; TinyGru runs forward streaming GRUs")]
    [InlineData("\"stateful\":false", "\"stateful\":true", "layer 'gru_GRU1' (GRU): has stateful=True")]
    [InlineData("\"activation\":\"tanh\"", "\"activation\":\"relu\"", "layer 'gru_GRU1' (GRU): has activation 'relu'; TinyGru's GRU candidate uses tanh")]
    [InlineData("\"recurrent_activation\":\"sigmoid\"", "\"recurrent_activation\":\"relu\"", "has recurrent_activation 'relu'; expected sigmoid or hard_sigmoid")]
    [InlineData("\"activation\":\"softmax\"", "\"activation\":\"elu\"", "layer 'dense_Dense1' (Dense): has activation 'elu'; expected linear, relu, tanh, sigmoid or softmax")]
    [InlineData("\"units\":12", "\"units\":11", "layer 'gru_GRU1' (GRU) kernel: has shape [4, 36]; expected [4, 33]")]
    public void UnsupportedKerasSetting(string from, string to, string message)
    {
        string json = FixtureJson();
        Assert.Contains(from, json);
        Assert.Contains(message, KerasFails(json.Replace(from, to)));
    }

    [Fact]
    public void KerasDropoutAndActivationLayers()
    {
        // Dropout is the identity at inference; an Activation layer after a linear Dense becomes that layer's activation.
        string json = FixtureJson().Replace("\"activation\":\"softmax\"", "\"activation\":\"linear\"");
        int at = json.IndexOf("{\"class_name\":\"Dense\"", StringComparison.Ordinal);
        json = json.Insert(at, "{\"class_name\":\"Dropout\",\"config\":{\"name\":\"drop\",\"rate\":0.5}},");
        int end = json.IndexOf("]},\"keras_version\"", StringComparison.Ordinal);
        json = json.Insert(end, ",{\"class_name\":\"Activation\",\"config\":{\"name\":\"act\",\"activation\":\"softmax\"}}");
        var m = LoadJson(json);
        Assert.Equal(HeadActivation.Softmax, m.Head!.Activation);
        Assert.Equal(LoadJson(FixtureJson()).Head!.Weight, m.Head.Weight);
    }

    [Fact]
    public void KerasArchiveWithoutAnHdf5ReaderPointsToConvert()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(new byte[] { 0x50, 0x4B, 3, 4, 0, 0 }, "model.keras"));
        Assert.Contains("convert it first with `tinygru convert MODEL.keras -o model.safetensors`", e.Message);
    }
}

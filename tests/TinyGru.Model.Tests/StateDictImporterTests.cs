using TinyGru.Model.Safetensors;
using Xunit;

namespace TinyGru.Model.Tests;

public class StateDictImporterTests
{
    [Fact]
    public void InfersSizesOfAStackedGruWithHead()
    {
        var m = new StateDictBuilder().Gru(5, 12, 7).Linear("head", 3, 7).Load();
        Assert.Equal(5, m.InputSize);
        Assert.Equal(new[] { 12, 7 }, m.Layers.Select(l => l.HiddenSize));
        Assert.Equal(3, m.OutputSize);
        Assert.Equal(GateConvention.ResetAfter, m.Convention);
        Assert.Equal("pytorch-state-dict", m.Metadata.Provenance["source"]);
    }

    [Fact]
    public void KeepsPyTorchGateRowsAsTheyAre()
    {
        // Canonical order is PyTorch's r, z, n: the importer must not reorder rows.
        var file = SafetensorsFile.Read(Fixtures.Path("gru_small.safetensors"));
        var m = ModelLoader.Load(Fixtures.Path("gru_small.safetensors"));
        file.TryGet("gru.weight_ih_l0", out var w);
        file.TryGet("gru.bias_hh_l0", out var b);
        Assert.Equal(w.ToFloat32(), m.Layers[0].InputWeights);
        Assert.Equal(b.ToFloat32(), m.Layers[0].RecurrentBias);
    }

    [Fact]
    public void AnyModulePrefixAndNoHead()
    {
        var b = new StateDictBuilder();
        b.Add("encoder.rnn.weight_ih_l0", 6, 4).Add("encoder.rnn.weight_hh_l0", 6, 2).Add("encoder.rnn.bias_ih_l0", 6).Add("encoder.rnn.bias_hh_l0", 6);
        var m = b.Load();
        Assert.Null(m.Head);
        Assert.Equal(2, m.OutputSize);
        Assert.Equal("encoder.rnn", m.Metadata.Provenance["gru_module"]);
    }

    [Fact]
    public void GruWithoutBiasesGetsZeroBiases()
    {
        var m = new StateDictBuilder().Gru(3, 4).Remove("gru.bias_ih_l0").Remove("gru.bias_hh_l0").Load();
        Assert.All(m.Layers[0].InputBias, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Bidirectional() =>
        Assert.Contains("tensor 'gru.weight_ih_l0_reverse': belongs to a bidirectional GRU",
            new StateDictBuilder().Gru(3, 4).Add("gru.weight_ih_l0_reverse", 12, 3).Fails().Message);

    [Fact]
    public void TwoLinearLayersNeedTheirActivations() =>
        Assert.Contains("the head has 2 dense layers (fc1, fc2); a state_dict does not record their activations: pass --head-activations with one per layer, e.g. relu,none",
            new StateDictBuilder().Gru(3, 4).Linear("fc1", 2, 4).Linear("fc2", 5, 4).Fails().Message);

    [Fact]
    public void LinearLayersThatDoNotChain() =>
        Assert.Contains("tensor 'fc2.weight': has shape [5, 4]; expected [outputs, 2] (the previous dense layer's outputs)",
            new StateDictBuilder().Gru(3, 4).Linear("fc1", 2, 4).Linear("fc2", 5, 4).Fails(Options("relu,none")).Message);

    [Fact]
    public void WrongNumberOfActivations() =>
        Assert.Contains("--head-activations names 3 activation(s) but the head has 2 dense layer(s) (head.0, head.2); give one per layer",
            new StateDictBuilder().Gru(3, 4).Linear("head.0", 6, 4).Linear("head.2", 2, 6).Fails(Options("relu,relu,none")).Message);

    [Fact]
    public void SoftmaxOnlyLast() =>
        Assert.Contains("softmax is given for 'head.0', which is not the last dense layer",
            new StateDictBuilder().Gru(3, 4).Linear("head.0", 6, 4).Linear("head.2", 2, 6).Fails(Options("softmax,none")).Message);

    [Fact]
    public void SequentialHeadInIndexOrder()
    {
        // head.10 after head.2: module indices order numerically, not as text.
        var m = new StateDictBuilder().Gru(3, 4).Linear("head.0", 6, 4).Linear("head.2", 5, 6).Linear("head.10", 2, 5).Load(Options("relu,tanh,softmax"));
        Assert.Equal(new[] { 6, 5 }, m.HiddenDenseLayers.Select(d => d.OutputSize));
        Assert.Equal(new[] { HeadActivation.Relu, HeadActivation.Tanh }, m.HiddenDenseLayers.Select(d => d.Activation));
        Assert.Equal(HeadActivation.Softmax, m.Head!.Activation);
        Assert.Equal(2, m.OutputSize);
    }

    [Fact]
    public void EmbeddingBeforeTheGru()
    {
        var m = new StateDictBuilder().Add("emb.weight", 50, 3).Gru(3, 4).Linear("fc", 2, 4).Load();
        Assert.Equal(50, m.Embedding!.VocabularySize);
        Assert.Equal(1, m.StepInputSize);
    }

    [Fact]
    public void IgnoredTensorsAreSkipped()
    {
        var b = new StateDictBuilder().Gru(3, 4).Linear("fc", 2, 4).Add("scaler.mean", 3).Add("scaler.scale", 3);
        Assert.Contains("tensor 'scaler.mean': is not part of an nn.Embedding, an nn.GRU or the nn.Linear layers after it; TinyGru cannot tell what it does (pass --ignore-tensor NAME to skip it",
            b.Fails().Message);
        Assert.Equal(2, b.Load(new ImportOptions(null, new[] { "scaler.*" })).OutputSize);
        Assert.Contains("'scaler.scale'", b.Fails(new ImportOptions(null, new[] { "scaler.mean" })).Message);
    }

    private static ImportOptions Options(string activations) => new(Activations.ParseList(activations, out _), null);

    [Fact]
    public void TwoGruModules() =>
        Assert.Contains("found 2 GRU modules ('a', 'b')",
            new StateDictBuilder().Add("a.weight_ih_l0", 6, 1).Add("b.weight_ih_l0", 6, 1).Fails().Message);

    [Fact]
    public void NoGruWeights() =>
        Assert.Contains("no GRU weights found; expected tensors named '<module>.weight_ih_l0'",
            new StateDictBuilder().Linear("fc", 2, 3).Fails().Message);

    [Fact]
    public void LstmIsRecognised() =>
        Assert.Contains("tensor 'gru.weight_hh_l0': has shape [16, 4] (4H rows): this looks like an LSTM",
            new StateDictBuilder().Add("gru.weight_ih_l0", 16, 3).Add("gru.weight_hh_l0", 16, 4).Fails().Message);

    [Fact]
    public void MissingRecurrentWeights() =>
        Assert.Contains("tensor 'gru.weight_hh_l0': is missing; expected a tensor of shape [3H, H]",
            new StateDictBuilder().Gru(3, 4).Remove("gru.weight_hh_l0").Fails().Message);

    /// <summary>Issue #15: a 2-layer state dict without weight_ih_l1 named the stray weight_hh_l1, never the missing tensor.</summary>
    [Fact]
    public void MissingLastLayerInputWeights() =>
        Assert.Contains("tensor 'gru.weight_ih_l1': is missing; the file has parameters of GRU layers 0 to 1",
            new StateDictBuilder().Gru(3, 4, 4).Remove("gru.weight_ih_l1").Fails().Message);

    [Fact]
    public void MissingMiddleLayer() =>
        Assert.Contains("tensor 'gru.weight_ih_l1': is missing",
            new StateDictBuilder().Gru(3, 4, 4, 4).Remove("gru.weight_ih_l1").Fails().Message);

    [Fact]
    public void WrongRank() =>
        Assert.Contains("tensor 'gru.weight_ih_l0': has shape [36] (rank 1); expected [3H, I] (rank 2)",
            new StateDictBuilder().Gru(3, 4).Add("gru.weight_ih_l0", 36).Fails().Message);

    [Fact]
    public void InconsistentLayerSizes() =>
        Assert.Contains("tensor 'gru.weight_ih_l1': has shape [12, 5]; expected [3H, H of the previous layer] = [12, 4]",
            new StateDictBuilder().Gru(3, 4, 4).Add("gru.weight_ih_l1", 12, 5).Fails().Message);

    [Fact]
    public void BiasWithWrongLength() =>
        Assert.Contains("tensor 'gru.bias_hh_l0': has shape [11]; expected [3H] = [12]",
            new StateDictBuilder().Gru(3, 4).Add("gru.bias_hh_l0", 11).Fails().Message);

    [Fact]
    public void OneBiasMissing() =>
        Assert.Contains("tensor 'gru.bias_hh_l0': is missing while the other bias of the layer is present",
            new StateDictBuilder().Gru(3, 4).Remove("gru.bias_hh_l0").Fails().Message);

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    public void NonFiniteWeights(float bad, string shown)
    {
        var values = Enumerable.Repeat(0.1f, 12 * 4).ToArray();
        values[4 * 2 + 1] = bad;
        var e = new StateDictBuilder().Gru(3, 4).Set("gru.weight_hh_l0", new long[] { 12, 4 }, values).Fails();
        Assert.Contains($"tensor 'gru.weight_hh_l0': element [2, 1] is {shown}; weights must be finite", e.Message);
    }

    [Fact]
    public void IntegerDtypeWeights()
    {
        var b = new StateDictBuilder().Gru(3, 4);
        var tensors = SafetensorsFile.Parse(b.Build(), "x").Tensors.Where(t => t.Name != "gru.weight_ih_l0")
            .Append(TensorData.FromInt32("gru.weight_ih_l0", new long[] { 12, 3 }, new int[36]));
        var bytes = SafetensorsFile.Serialize(tensors, null);
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(bytes, "model.safetensors"));
        Assert.Contains("tensor 'gru.weight_ih_l0': has dtype I32; expected F32", e.Message);
    }

    [Fact]
    public void UnrecognisedExtraTensor() =>
        Assert.Contains("tensor 'other.weight': is not part of an nn.Embedding, an nn.GRU or the nn.Linear layers after it",
            new StateDictBuilder().Gru(3, 4).Add("other.weight", 10, 3).Fails().Message);

    [Fact]
    public void HalfPrecisionTensorsAreConverted()
    {
        // IEEE half: 0x3C00 = 1.0, 0xC000 = −2.0, 0x0001 = smallest subnormal 2^-24, 0x7BFF = 65504 (largest).
        var raw = new byte[] { 0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0xFF, 0x7B };
        var bytes = SafetensorsBytes.Make("{\"w\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", raw);
        SafetensorsFile.Parse(bytes, "h").TryGet("w", out var w);
        Assert.Equal(new[] { 1f, -2f, MathF.Pow(2, -24), 65504f }, w.ToFloat32());
    }

    [Fact]
    public void BFloat16TensorsAreConverted()
    {
        // bf16 is the top half of an IEEE single: 0x3FC0 = 1.5, 0xC080 = −4.
        var raw = new byte[] { 0xC0, 0x3F, 0x80, 0xC0 };
        var bytes = SafetensorsBytes.Make("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", raw);
        SafetensorsFile.Parse(bytes, "h").TryGet("w", out var w);
        Assert.Equal(new[] { 1.5f, -4f }, w.ToFloat32());
    }
}

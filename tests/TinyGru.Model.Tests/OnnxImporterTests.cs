using TinyGru.Model.Onnx;
using TinyGru.Model.Safetensors;
using Xunit;

namespace TinyGru.Model.Tests;

public class OnnxImporterTests
{
    [Theory]
    [InlineData("gru_tiny", 1)]
    [InlineData("gru_small", 1)]
    [InlineData("gru_stacked", 2)]
    public void TorchExportMatchesThePyTorchStateDictExactly(string name, int layers)
    {
        var model = OnnxImporter.Read(Fixtures.Path(name + ".onnx"));
        var state = SafetensorsFile.Read(Fixtures.Path(name + ".safetensors"));

        Assert.Equal(GateConvention.ResetAfter, model.Convention);
        Assert.Equal(layers, model.Layers.Count);
        for (int k = 0; k < layers; k++)
        {
            var layer = model.Layers[k];
            Assert.Equal(Tensor(state, $"gru.weight_ih_l{k}"), layer.InputWeights);
            Assert.Equal(Tensor(state, $"gru.weight_hh_l{k}"), layer.RecurrentWeights);
            Assert.Equal(Tensor(state, $"gru.bias_ih_l{k}"), layer.InputBias);
            Assert.Equal(Tensor(state, $"gru.bias_hh_l{k}"), layer.RecurrentBias);
        }
        var head = Assert.IsType<DenseHeadSpec>(model.Head);
        Assert.Equal(Tensor(state, "head.weight"), head.Weight);
        Assert.Equal(Tensor(state, "head.bias"), head.Bias);
        Assert.Equal(HeadActivation.None, head.Activation);

        Assert.Equal(name, model.Metadata.Name);
        Assert.Equal("onnx", model.Metadata.Provenance["source"]);
        Assert.Equal(name + ".onnx", model.Metadata.Provenance["file"]);
        Assert.Equal("pytorch", model.Metadata.Provenance["producer"]);
    }

    [Fact]
    public void HandBuiltResetBeforeGraph()
    {
        var model = OnnxImporter.Read(Fixtures.Path("gru_reset_before.onnx"));

        Assert.Equal(GateConvention.ResetBefore, model.Convention);
        Assert.Single(model.Layers);
        Assert.Equal(4, model.InputSize);
        Assert.Equal(16, model.Layers[0].HiddenSize);
        Assert.Equal(3, model.OutputSize);
        Assert.Equal(HeadActivation.None, model.Head!.Activation);
        Assert.Equal("gru_reset_before", model.Metadata.Name);
        Assert.False(model.Metadata.Provenance.ContainsKey("producer"));
    }

    /// <summary>The .expected files hold ONNX Runtime's outputs for a zero initial state: an end-to-end check of gate order, convention and head.</summary>
    [Fact]
    public void LoadNamesOnlyTheFileInProvenance()
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("gru_tiny.onnx"));
        var model = OnnxImporter.Load(bytes, "/some/dir/model.v2.onnx");
        Assert.Equal("model.v2", model.Metadata.Name);
        Assert.Equal("model.v2.onnx", model.Metadata.Provenance["file"]);
    }

    /// <summary>
    /// What torch.onnx.export writes without constant folding: PyTorch's r, z, n weights sliced and concatenated into
    /// ONNX's z, r, h order, a zero initial state built from the input's shape, the last step picked by Gather, and a
    /// Gemm head with transB and a Softmax. The import must give back PyTorch's tensors unchanged.
    /// </summary>
    [Fact]
    public void UnfoldedTorchGraphThroughConstantSubgraphs()
    {
        const int I = 3, H = 4, O = 2;
        float[] wih = OnnxModelBuilder.Values(3 * H * I, 11), whh = OnnxModelBuilder.Values(3 * H * H, 12);
        float[] bih = OnnxModelBuilder.Values(3 * H, 13), bhh = OnnxModelBuilder.Values(3 * H, 14);
        float[] headW = OnnxModelBuilder.Values(O * H, 15), headB = OnnxModelBuilder.Values(O, 16);

        var b = OnnxModelBuilder.UnfoldedTorchExport(I, H, O, wih, whh, bih, bhh, headW, headB);

        var model = OnnxImporter.Load(b.Build(), "unfolded.onnx");

        var layer = Assert.Single(model.Layers);
        Assert.Equal(wih, layer.InputWeights);
        Assert.Equal(whh, layer.RecurrentWeights);
        Assert.Equal(bih, layer.InputBias);
        Assert.Equal(bhh, layer.RecurrentBias);
        Assert.Equal(headW, model.Head!.Weight);
        Assert.Equal(headB, model.Head.Bias);
        Assert.Equal(HeadActivation.Softmax, model.Head.Activation);
        Assert.Equal("tests", model.Metadata.Provenance["producer"]);
    }

    [Fact]
    public void BatchFirstLayoutAndSigmoidHead()
    {
        var reference = OnnxImporter.Load(OnnxModelBuilder.Gru().Build(), "reference.onnx");

        // The same weights as OnnxModelBuilder.Gru, batch-first: Y [batch, time, 1, H] → Squeeze(2) → MatMul → Add → Sigmoid.
        var model = new OnnxModelBuilder().Input("x").Output("y");
        model.Floats("W", new long[] { 1, 15, 4 }, OnnxModelBuilder.Values(60, 1));
        model.Floats("R", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 2));
        model.Floats("kernel", new long[] { 5, 3 }, OnnxModelBuilder.Values(15, 4));
        model.Floats("bias", new long[] { 1, 1, 3 }, OnnxModelBuilder.Values(3, 5));
        model.Node("GRU", new[] { "x", "W", "R" }, new[] { "Y" }, "gru", OnnxAttribute.Int("layout", 1), OnnxAttribute.Int("linear_before_reset", 1));
        model.Node("Squeeze", new[] { "Y" }, new[] { "S" }, "squeeze", OnnxAttribute.Ints("axes", 2));
        model.Node("MatMul", new[] { "S", "kernel" }, new[] { "mm" });
        model.Node("Add", new[] { "bias", "mm" }, new[] { "logits" });
        model.Node("Sigmoid", new[] { "logits" }, new[] { "y" });
        model.Opset = 11;

        var imported = OnnxImporter.Load(model.Build(), "batch_first.onnx");

        Assert.Equal(reference.Layers[0].InputWeights, imported.Layers[0].InputWeights);
        Assert.Equal(reference.Layers[0].RecurrentWeights, imported.Layers[0].RecurrentWeights);
        Assert.Equal(new float[15], imported.Layers[0].InputBias); // B omitted: zeros
        Assert.Equal(reference.Head!.Weight, imported.Head!.Weight);
        Assert.Equal(reference.Head.Bias, imported.Head.Bias);
        Assert.Equal(HeadActivation.Sigmoid, imported.Head.Activation);
    }

    [Fact]
    public void Float16AndDoubleWeightsAreConverted()
    {
        var reference = OnnxImporter.Load(OnnxModelBuilder.Gru().Build(), "reference.onnx");
        // The builder's weights have 4 decimals; FLOAT16 keeps 11 significant bits, so compare with the half-precision values.
        float[] w = OnnxModelBuilder.Values(60, 1);
        var halves = w.Select(v => (Half)v).ToArray();
        var b = OnnxModelBuilder.Gru();
        b.RawInitializer(t => t.PackedVarints(1, new long[] { 1, 15, 4 }).Varint(2, 10).String(8, "W16")
            .Bytes(9, halves.SelectMany(h => BitConverter.GetBytes(h)).ToArray()));
        b.RawInitializer(t => t.PackedVarints(1, new long[] { 1, 15, 5 }).Varint(2, 11).String(8, "R64")
            .Bytes(10, OnnxModelBuilder.Values(75, 2).SelectMany(v => BitConverter.GetBytes((double)v)).ToArray()));
        var model = OnnxImporter.Load(b.SetInputs("gru", "x", "W16", "R64", "B").Build(), "mixed_types.onnx");

        var expectedW = halves.Select(h => (float)h).ToArray();
        Assert.Equal(expectedW.Skip(20).Take(20).Concat(expectedW.Take(20)).Concat(expectedW.Skip(40)), model.Layers[0].InputWeights);
        Assert.Equal(reference.Layers[0].RecurrentWeights, model.Layers[0].RecurrentWeights);
    }

    private static float[] Tensor(SafetensorsFile file, string name)
    {
        Assert.True(file.TryGet(name, out var t), $"{file.Source} has no tensor '{name}'");
        return t.ToFloat32();
    }

}

using TinyGru.Model.Onnx;
using Xunit;

namespace TinyGru.Model.Tests;

/// <summary>Hand-built ONNX graphs with a dense chain after the GRU: the activation between the layers decides the outcome.</summary>
public class OnnxDenseStackTests
{
    private static OnnxModelBuilder Mlp(string activation, string? final = null)
    {
        const int inputs = 4, hidden = 5, width = 6, outputs = 3;
        var b = new OnnxModelBuilder().Input("x").Output("y");
        b.Floats("W", new long[] { 1, 3 * hidden, inputs }, OnnxModelBuilder.Values(3 * hidden * inputs, 1));
        b.Floats("R", new long[] { 1, 3 * hidden, hidden }, OnnxModelBuilder.Values(3 * hidden * hidden, 2));
        b.Floats("B", new long[] { 1, 6 * hidden }, OnnxModelBuilder.Values(6 * hidden, 3));
        b.Int64s("axis1", new long[] { 1 }, new long[] { 1 });
        b.Int64s("flat", new long[] { 2 }, new long[] { -1, hidden });
        b.Floats("k0", new long[] { hidden, width }, OnnxModelBuilder.Values(hidden * width, 4));
        b.Floats("b0", new long[] { width }, OnnxModelBuilder.Values(width, 5));
        b.Floats("k1", new long[] { width, outputs }, OnnxModelBuilder.Values(width * outputs, 6));
        b.Floats("b1", new long[] { outputs }, OnnxModelBuilder.Values(outputs, 7));
        b.Node("GRU", new[] { "x", "W", "R", "B" }, new[] { "Y", "Y_h" }, "gru", OnnxAttribute.Int("hidden_size", hidden), OnnxAttribute.Int("linear_before_reset", 1));
        b.Node("Squeeze", new[] { "Y", "axis1" }, new[] { "S" }, "squeeze");
        b.Node("Reshape", new[] { "S", "flat" }, new[] { "hs" }, "reshape");
        b.Node("MatMul", new[] { "hs", "k0" }, new[] { "mm0" }, "matmul0");
        b.Node("Add", new[] { "mm0", "b0" }, new[] { "a0" }, "add0");
        b.Node(activation, new[] { "a0" }, new[] { "act0" }, "act0");
        b.Node("MatMul", new[] { "act0", "k1" }, new[] { "mm1" }, "matmul1");
        b.Node("Add", new[] { "mm1", "b1" }, new[] { final is null ? "y" : "a1" }, "add1");
        if (final is not null) b.Node(final, new[] { "a1" }, new[] { "y" }, "act1");
        return b;
    }

    [Theory]
    [InlineData("Relu", HeadActivation.Relu)]
    [InlineData("Tanh", HeadActivation.Tanh)]
    [InlineData("Sigmoid", HeadActivation.Sigmoid)]
    public void DenseChainWithAnActivationBetween(string op, HeadActivation expected)
    {
        var m = OnnxImporter.Load(Mlp(op, "Softmax").Build(), "mlp.onnx");
        var hidden = Assert.Single(m.HiddenDenseLayers);
        Assert.Equal(expected, hidden.Activation);
        Assert.Equal(6, hidden.OutputSize);
        Assert.Equal(6, m.Head!.InputSize);
        Assert.Equal(HeadActivation.Softmax, m.Head.Activation);
        // MatMul stores [in, out]; TinyGru's dense weight is [out, in].
        Assert.Equal(OnnxModelBuilder.Values(30, 4)[1 * 6 + 2], hidden.Weight[2 * 5 + 1]);
    }

    [Fact]
    public void HardSigmoidAfterADenseLayerNamesTheNode()
    {
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(Mlp("HardSigmoid").Build(), "hs.onnx"));
        Assert.Equal("hs.onnx: node 'act0' (HardSigmoid): HardSigmoid after a dense layer is not supported; dense layers take Relu, Tanh or Sigmoid, and the last also Softmax (HardSigmoid is supported as a GRU gate activation)", e.Message);
    }

    [Fact]
    public void SoftmaxBeforeAnotherDenseLayer()
    {
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(Mlp("Softmax").Build(), "sm.onnx"));
        Assert.Equal("sm.onnx: node 'matmul1' (MatMul): follows a Softmax; softmax is supported only after the last dense layer", e.Message);
    }
}

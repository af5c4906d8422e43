using Xunit;

namespace TinyGru.Model.Tests;

public class ModelValidatorTests
{
    private static GruLayerSpec Layer(int i, int h) =>
        new(i, h, new float[3 * h * i], new float[3 * h * h], new float[3 * h], new float[3 * h]);

    [Fact]
    public void LayerSizesMustChain()
    {
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(GateConvention.ResetAfter, new[] { Layer(3, 4), Layer(5, 4) }));
        Assert.Equal("layers.1.w_ih: layer 1 takes 5 inputs but layer 0 has hidden size 4", e.Message);
    }

    [Fact]
    public void HeadMustTakeLastHiddenSize()
    {
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(GateConvention.ResetAfter, new[] { Layer(3, 4) },
            new DenseHeadSpec(5, 2, new float[10], new float[2], HeadActivation.None)));
        Assert.Equal("head.weight: the head takes 5 inputs but the last GRU layer has hidden size 4", e.Message);
    }

    [Fact]
    public void HiddenSizeLimit()
    {
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(GateConvention.ResetAfter,
            new[] { new GruLayerSpec(1, 5000, new float[0], new float[0], new float[0], new float[0]) }));
        Assert.Contains("hidden size H is 5000; expected 1 to 4096", e.Message);
    }

    [Fact]
    public void ArrayLengthMustMatchShape()
    {
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(GateConvention.ResetAfter,
            new[] { new GruLayerSpec(2, 2, new float[11], new float[12], new float[6], new float[6]) }));
        Assert.Equal("layers.0.w_ih: has 11 elements; expected shape [6, 2] (12 elements)", e.Message);
    }

    [Fact]
    public void NaNInOutputScaling()
    {
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(GateConvention.ResetAfter, new[] { Layer(1, 2) },
            outputScaling: new OutputScaling(new[] { 1f, float.NaN }, new float[2])));
        Assert.Equal("output.scale: element 1 is NaN; weights must be finite", e.Message);
    }

    [Fact]
    public void DuplicateLabels()
    {
        var e = Assert.Throws<ModelFormatException>(() => new GruModel(GateConvention.ResetAfter, new[] { Layer(1, 2) },
            metadata: new ModelMetadata(null, ModelTask.Classification, new[] { "a", "a" }, null)));
        Assert.Equal("tinygru.labels: label 'a' appears twice", e.Message);
    }
}

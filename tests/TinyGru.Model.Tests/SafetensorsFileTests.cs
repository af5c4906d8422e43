using TinyGru.Model.Safetensors;
using Xunit;

namespace TinyGru.Model.Tests;

public class SafetensorsFileTests
{
    [Fact]
    public void ReadsPyTorchStateDict()
    {
        var file = SafetensorsFile.Read(Fixtures.Path("gru_tiny.safetensors"));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.True(file.TryGet("gru.weight_ih_l0", out var w));
        Assert.Equal(new long[] { 24, 3 }, w.Shape);
        Assert.Equal(TensorDType.F32, w.DType);
        Assert.Equal(72, w.ToFloat32().Length);
    }
}

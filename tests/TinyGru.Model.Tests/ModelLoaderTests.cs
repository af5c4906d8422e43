using Xunit;

namespace TinyGru.Model.Tests;

/// <summary>The loader tells the three formats apart by content and reports anything else clearly.</summary>
public class ModelLoaderTests
{
    [Theory]
    [InlineData("gru_tiny.safetensors", ModelFileKind.PyTorchStateDict)]
    [InlineData("gru_tiny.onnx", ModelFileKind.Onnx)]
    [InlineData("gru_reset_before.onnx", ModelFileKind.Onnx)]
    public void RecognisesEachFormat(string file, ModelFileKind kind)
    {
        ModelLoader.Load(File.ReadAllBytes(Fixtures.Path(file)), file, out var actual);
        Assert.Equal(kind, actual);
    }

    [Fact]
    public void TinyGruFilesAreRecognisedWhateverTheirName()
    {
        var bytes = TinyGruModelFile.Serialize(ModelLoader.Load(Fixtures.Path("gru_tiny.onnx")));
        ModelLoader.Load(bytes, "model.bin", out var kind);
        Assert.Equal(ModelFileKind.TinyGru, kind);
    }

    [Fact]
    public void OnnxWithoutTheExtensionIsStillRead()
    {
        var m = ModelLoader.Load(File.ReadAllBytes(Fixtures.Path("gru_small.onnx")), "exported-model");
        Assert.Equal(6, m.InputSize);
    }

    [Fact]
    public void TextFileIsNeitherFormat()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load("hello, world"u8.ToArray(), "notes.txt"));
        Assert.Equal("notes.txt: not a model file TinyGru reads; expected a TinyGru or PyTorch state_dict .safetensors file or an .onnx model", e.Message);
    }

    [Fact]
    public void EmptyFile()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Array.Empty<byte>(), "empty.safetensors"));
        Assert.Contains("empty.safetensors: the file is empty", e.Message);
    }

    [Fact]
    public void MissingFile()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(Path.Combine(Path.GetTempPath(), "no-such-model.onnx")));
        Assert.EndsWith("no-such-model.onnx: file not found", e.Message);
    }
}

using TinyGru.Model.Safetensors;
using Xunit;

namespace TinyGru.Model.Tests;

public class TinyGruModelFileTests
{
    private static GruModel Sample()
    {
        var baseModel = new StateDictBuilder().Gru(3, 5, 4).Linear("head", 2, 4).Load();
        var head = baseModel.Head!;
        return new GruModel(GateConvention.ResetBefore, baseModel.Layers,
            new DenseHeadSpec(head.InputSize, head.OutputSize, head.Weight, head.Bias, HeadActivation.Softmax),
            new InputNormalization(new[] { 1f, 2f, 3f }, new[] { 0.5f, 1f, 2f }),
            new OutputScaling(new[] { 2f, 3f }, new[] { -1f, 1f }),
            new ModelMetadata("gesture", ModelTask.Classification, new[] { "left", "right \"quoted\"" },
                new Dictionary<string, string> { ["trained_by"] = "tinygru train", ["epochs"] = "40" }));
    }

    [Fact]
    public void RoundTripsEveryField()
    {
        var m = Sample();
        var bytes = TinyGruModelFile.Serialize(m);
        var back = ModelLoader.Load(bytes, "m.safetensors", out var kind);
        Assert.Equal(ModelFileKind.TinyGru, kind);
        Assert.Equal(m.Convention, back.Convention);
        for (int k = 0; k < m.Layers.Count; k++)
        {
            Assert.Equal(m.Layers[k].InputWeights, back.Layers[k].InputWeights);
            Assert.Equal(m.Layers[k].RecurrentWeights, back.Layers[k].RecurrentWeights);
            Assert.Equal(m.Layers[k].InputBias, back.Layers[k].InputBias);
            Assert.Equal(m.Layers[k].RecurrentBias, back.Layers[k].RecurrentBias);
        }
        Assert.Equal(m.Head!.Weight, back.Head!.Weight);
        Assert.Equal(HeadActivation.Softmax, back.Head.Activation);
        Assert.Equal(m.InputNormalization!.Std, back.InputNormalization!.Std);
        Assert.Equal(m.OutputScaling!.Offset, back.OutputScaling!.Offset);
        Assert.Equal("gesture", back.Metadata.Name);
        Assert.Equal(ModelTask.Classification, back.Metadata.Task);
        Assert.Equal(m.Metadata.ClassLabels, back.Metadata.ClassLabels);
        Assert.Equal("40", back.Metadata.Provenance["epochs"]);
        Assert.Equal(bytes, TinyGruModelFile.Serialize(back)); // deterministic
    }

    [Fact]
    public void FileIsPlainSafetensorsWithDocumentedNames()
    {
        var file = SafetensorsFile.Parse(TinyGruModelFile.Serialize(Sample()), "m");
        Assert.Equal("tinygru", file.Metadata["format"]);
        Assert.Equal("1", file.Metadata["tinygru.version"]);
        Assert.Equal("reset-before", file.Metadata["tinygru.convention"]);
        Assert.Equal("[\"left\",\"right \\\"quoted\\\"\"]", file.Metadata["tinygru.labels"]);
        Assert.True(file.TryGet("layers.1.w_hh", out var u));
        Assert.Equal(new long[] { 12, 4 }, u.Shape);
        Assert.Equal(0, (BitConverter.ToInt64(TinyGruModelFile.Serialize(Sample()), 0)) % 8); // header padded to 8 bytes
    }

    private static ModelFormatException Mutated(Func<Dictionary<string, string>, Dictionary<string, string>> meta, Func<IEnumerable<TensorData>, IEnumerable<TensorData>>? tensors = null)
    {
        var file = SafetensorsFile.Parse(TinyGruModelFile.Serialize(Sample()), "m");
        var md = meta(file.Metadata.ToDictionary(k => k.Key, k => k.Value));
        var bytes = SafetensorsFile.Serialize((tensors ?? (t => t))(file.Tensors), md);
        var e = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(bytes, "m.safetensors"));
        Assert.StartsWith("m.safetensors: ", e.Message);
        return e;
    }

    [Fact]
    public void NewerVersionIsRefused() =>
        Assert.Contains("metadata 'tinygru.version': is 4; this TinyGru reads model files up to version 3",
            Mutated(m => { m["tinygru.version"] = "4"; return m; }).Message);

    [Fact]
    public void UnknownConvention() =>
        Assert.Contains("metadata 'tinygru.convention': is \"sideways\"; expected \"reset-after\" or \"reset-before\"",
            Mutated(m => { m["tinygru.convention"] = "sideways"; return m; }).Message);

    [Fact]
    public void MissingLayerCount() =>
        Assert.Contains("metadata 'tinygru.layers': is missing", Mutated(m => { m.Remove("tinygru.layers"); return m; }).Message);

    [Fact]
    public void LabelsNotJson() =>
        Assert.Contains("metadata 'tinygru.labels': is not valid JSON", Mutated(m => { m["tinygru.labels"] = "[left"; return m; }).Message);

    [Fact]
    public void WrongLabelCount() =>
        Assert.Contains("tinygru.labels: 1 class labels for 2 outputs", Mutated(m => { m["tinygru.labels"] = "[\"a\"]"; return m; }).Message);

    [Fact]
    public void MissingTensor() =>
        Assert.Contains("tensor 'layers.1.b_ih': is missing; expected a tensor of shape [3H]",
            Mutated(m => m, t => t.Where(x => x.Name != "layers.1.b_ih")).Message);

    [Fact]
    public void UnknownTensor() =>
        Assert.Contains("tensor 'extra': is not part of a TinyGru model file",
            Mutated(m => m, t => t.Append(TensorData.FromFloat32("extra", new long[] { 1 }, new[] { 1f }))).Message);

    [Fact]
    public void ZeroStd() =>
        Assert.Contains("input.std: element 1 is 0; a standard deviation must be greater than 0",
            Mutated(m => m, t => t.Select(x => x.Name == "input.std" ? TensorData.FromFloat32("input.std", new long[] { 3 }, new[] { 1f, 0f, 1f }) : x)).Message);
}

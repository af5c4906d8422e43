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
        Assert.Contains("metadata 'tinygru.version': is 5; this TinyGru reads model files up to version 4",
            Mutated(m => { m["tinygru.version"] = "5"; return m; }).Message);

    [Fact]
    public void SeriesTransformRoundTripsAsVersion3()
    {
        var transform = new SeriesTransform(new[] { true, false, true }, new[] { 2, -1 });
        var m = Sample().WithSeriesTransform(transform);
        var file = SafetensorsFile.Parse(TinyGruModelFile.Serialize(m), "m");
        Assert.Equal("3", file.Metadata["tinygru.version"]);
        Assert.Equal("0,2", file.Metadata["tinygru.transform.differenced_inputs"]);
        Assert.Equal("2,-1", file.Metadata["tinygru.transform.residual_inputs"]);
        var back = ModelLoader.Load(TinyGruModelFile.Serialize(m), "m.safetensors");
        Assert.Equal(transform.DifferencedInputs, back.SeriesTransform!.DifferencedInputs);
        Assert.Equal(transform.ResidualInputs, back.SeriesTransform.ResidualInputs);
        Assert.Equal(back.SeriesTransform.ResidualInputs, back.WithMetadata(ModelMetadata.Empty).SeriesTransform!.ResidualInputs); // copies keep it
        // A model without a transform is still written as version 1 (older readers load it) and has none.
        Assert.Equal("1", SafetensorsFile.Parse(TinyGruModelFile.Serialize(Sample()), "m").Metadata["tinygru.version"]);
        Assert.Null(ModelLoader.Load(TinyGruModelFile.Serialize(Sample()), "m.safetensors").SeriesTransform);
    }

    [Fact]
    public void SeasonalTransformRoundTripsAsVersion4()
    {
        var transform = new SeriesTransform(new[] { true, true, true }, new[] { 0, -1 }, season: 12, residualDelay: 11);
        var file = SafetensorsFile.Parse(TinyGruModelFile.Serialize(Sample().WithSeriesTransform(transform)), "m");
        Assert.Equal("4", file.Metadata["tinygru.version"]);
        Assert.Equal("12", file.Metadata["tinygru.transform.season"]);
        Assert.Equal("11", file.Metadata["tinygru.transform.residual_delay"]);
        var back = ModelLoader.Load(TinyGruModelFile.Serialize(Sample().WithSeriesTransform(transform)), "m.safetensors").SeriesTransform!;
        Assert.Equal((12, 11), (back.Season, back.ResidualDelay));
        Assert.Equal(13 * 3 + 1, back.StateSize);
        // A plain difference stays version 3 without the new keys, so TinyGru versions that read version 3 still load it.
        var plain = SafetensorsFile.Parse(TinyGruModelFile.Serialize(Sample().WithSeriesTransform(SeriesTransform.Difference(3, new[] { 0, -1 }))), "m");
        Assert.Equal("3", plain.Metadata["tinygru.version"]);
        Assert.False(plain.Metadata.ContainsKey("tinygru.transform.season"));
    }

    [Fact]
    public void FootprintCountsTheTransformStateInRam()
    {
        var transform = new SeriesTransform(new[] { true, true, true }, new[] { 0, -1 }, season: 12, residualDelay: 11);
        var plain = ModelFootprint.Of(Sample());
        var seasonal = ModelFootprint.Of(Sample().WithSeriesTransform(transform));
        for (int p = 0; p < 3; p++)
        {
            Assert.Equal(plain.Precisions[p].RamBytes + 4 * (13 * 3 + 1), seasonal.Precisions[p].RamBytes);   // 13 raw inputs of 3 features and a count
            Assert.Equal(plain.Precisions[p].FlashBytes, seasonal.Precisions[p].FlashBytes);
        }
    }

    [Fact]
    public void SeasonalTransformNeedsVersion4AndAValidDelay()
    {
        Assert.Contains("seasonal series transforms (tinygru.transform.season) are format version 4",
            Mutated(m => { m["tinygru.version"] = "3"; m["tinygru.transform.differenced_inputs"] = "0"; m["tinygru.transform.residual_inputs"] = "0,-1"; m["tinygru.transform.season"] = "12"; return m; }).Message);
        Assert.Contains("metadata 'tinygru.transform.residual_delay': is \"12\"; expected an integer from 0 to 11",
            Mutated(m => { m["tinygru.version"] = "4"; m["tinygru.transform.differenced_inputs"] = "0"; m["tinygru.transform.residual_inputs"] = "0,-1"; m["tinygru.transform.season"] = "12"; m["tinygru.transform.residual_delay"] = "12"; return m; }).Message);
        Assert.Contains("season 1 is not 0 (none) or from 2",
            Assert.Throws<ModelFormatException>(() => Sample().WithSeriesTransform(new SeriesTransform(new[] { true, true, true }, new[] { 0, -1 }, season: 1))).Message);
    }

    [Fact]
    public void SeriesTransformNeedsVersion3() =>
        Assert.Contains("models with a series transform (tinygru.transform.differenced_inputs) are format version 3",
            Mutated(m => { m["tinygru.transform.differenced_inputs"] = "0"; return m; }).Message);

    [Fact]
    public void SeriesTransformResidualOutOfRange() =>
        Assert.Contains("metadata 'tinygru.transform.residual_inputs': residual entry '3' is not −1 or a feature index below 3",
            Mutated(m => { m["tinygru.version"] = "3"; m["tinygru.transform.residual_inputs"] = "3,-1"; return m; }).Message);

    [Fact]
    public void SeriesTransformOfWrongSizeIsRejected() =>
        Assert.Throws<ModelFormatException>(() => Sample().WithSeriesTransform(new SeriesTransform(new[] { true }, new[] { 0, 0 })));

    [Fact]
    public void ConstructorTakesAndValidatesTheSeriesTransform()
    {
        var m = Sample();
        var transform = new SeriesTransform(new[] { true, true, true }, new[] { 0, -1 });
        var built = new GruModel(m.Convention, m.Layers, m.Head, m.InputNormalization, m.OutputScaling, m.Metadata, seriesTransform: transform);
        Assert.Same(transform, built.SeriesTransform);
        Assert.Null(new GruModel(m.Convention, m.Layers, m.Head).SeriesTransform);
        // The validator checks it like every other part: 2 flags for 3 inputs, and a residual feature beyond the inputs.
        var wrongInputs = Assert.Throws<ModelFormatException>(() => new GruModel(m.Convention, m.Layers, m.Head, seriesTransform: new SeriesTransform(new[] { true, true }, new[] { 0, -1 })));
        Assert.Contains("2 differenced-input flags for a model of 3 inputs", wrongInputs.Message);
        var wrongResidual = Assert.Throws<ModelFormatException>(() => new GruModel(m.Convention, m.Layers, m.Head, seriesTransform: new SeriesTransform(new[] { true, true, true }, new[] { 3, -1 })));
        Assert.Contains("residual input 3 is not a feature index below 3", wrongResidual.Message);
        // Every copy carries it.
        Assert.Same(transform, built.WithScaling(null, null).SeriesTransform);
        Assert.Same(transform, built.WithMetadata(ModelMetadata.Empty).SeriesTransform);
        Assert.Null(built.WithSeriesTransform(null).SeriesTransform);
    }

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

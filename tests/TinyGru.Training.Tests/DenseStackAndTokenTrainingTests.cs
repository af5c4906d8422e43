using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Model.Safetensors;
using TinyGru.Training;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.Training.Tests;

/// <summary>
/// The trainer's forward pass on dense MLP heads and token embeddings against PyTorch (the issue-13 fixtures), the
/// model round trip, fake quantization of the new weights, and small training runs that must learn.
/// </summary>
public class DenseStackAndTokenTrainingTests(ITestOutputHelper output)
{
    /// <summary>
    /// The batch pass's raw outputs on PyTorch models with an MLP head or an embedding equal PyTorch's outputs
    /// (through softmax where the model has one): the forward half of training, checked against an independent reference.
    /// </summary>
    [Theory]
    [InlineData("gru_mlp_head", "relu,none")]
    [InlineData("gru_mlp_softmax", "tanh,softmax")]
    [InlineData("gru_embedding", "softmax")]
    public void ForwardPassMatchesPyTorch(string name, string activations)
    {
        var model = ModelLoader.Load(Fixtures.Path(name + ".safetensors"), new ImportOptions(Activations.ParseList(activations, out _), null));
        var parameters = GruParameters.FromModel(model);
        var expected = SafetensorsFile.Read(Fixtures.Path(name + ".expected.safetensors"));
        Assert.True(expected.TryGet("x", out var xTensor));
        Assert.True(expected.TryGet("y", out var yTensor));
        var x = xTensor.ToFloat32();
        var y = yTensor.ToFloat32();
        int steps = (int)xTensor.Shape[0], o = model.OutputSize;
        var set = new SequenceSet(steps, model.StepInputSize, x, TargetTiming.EveryStep, o, new float[steps * o], null);

        var raw = GruTrainer.Predict(parameters, set);

        if (model.Head!.Activation == HeadActivation.Softmax)
            for (int t = 0; t < steps; t++) Softmax(raw.AsSpan(t * o, o));
        double error = Fixtures.RelativeError(raw, y);
        output.WriteLine($"{name}: max |Δy| / max |y| = {error:E2}");
        Assert.True(error <= 2e-6, $"{name}: relative error {error:E2}");
    }

    [Fact]
    public void ModelRoundTripKeepsDenseStackAndEmbedding()
    {
        var shape = new GruNetworkShape(GateConvention.ResetBefore, 5, new[] { 6, 7 }, 3, new[] { 9, 4 }, new[] { HeadActivation.Tanh, HeadActivation.Sigmoid }, 11);
        var parameters = Fixtures.RandomNetwork(new Random(5), shape);

        var model = parameters.ToModel(HeadActivation.Softmax);
        var back = GruParameters.FromModel(model);

        Assert.Equal(new[] { HeadActivation.Tanh, HeadActivation.Sigmoid, HeadActivation.Softmax }, model.DenseLayers.Select(d => d.Activation));
        Assert.Equal(new[] { 9, 4, 3 }, model.DenseLayers.Select(d => d.OutputSize));
        Assert.Equal(11, model.Embedding!.VocabularySize);
        Assert.Equal(5, model.Embedding.EmbeddingSize);
        Assert.Equal(model.ParameterCount, shape.ParameterCount);
        Assert.True(back.Shape.SameAs(shape));
        Assert.Equal(parameters.Values, back.Values);
        Assert.Equal(shape.DenseWeight(1).Of(parameters.Values).ToArray(), model.HiddenDenseLayers[1].Weight);
        Assert.Equal(shape.Embedding.Of(parameters.Values).ToArray(), model.Embedding.Table);
    }

    /// <summary>QAT's fake-quantized weights are the int8-weights model's weights, dense stack and embedding included.</summary>
    [Fact]
    public void FakeQuantizationCoversDenseLayersAndEmbeddingAsModelQuantizer()
    {
        var shape = new GruNetworkShape(GateConvention.ResetAfter, 6, new[] { 10 }, 3, new[] { 12 }, new[] { HeadActivation.Relu }, 9);
        var parameters = Fixtures.RandomNetwork(new Random(8), shape);

        var fake = FakeQuantization.Apply(parameters);
        var quantized = ModelQuantizer.Quantize(parameters.ToModel(HeadActivation.None), ModelPrecision.Int8Weights);

        Assert.Equal(quantized.HiddenDenseLayers[0].Weight, shape.DenseWeight(0).Of(fake.Values).ToArray());
        Assert.Equal(quantized.Head!.Weight, shape.HeadWeight.Of(fake.Values).ToArray());
        Assert.Equal(quantized.Embedding!.Table, shape.Embedding.Of(fake.Values).ToArray());
        Assert.Equal(quantized.Layers[0].InputWeights, shape.InputWeights(0).Of(fake.Values).ToArray());
        Assert.NotEqual(parameters.Values, fake.Values);
        Assert.Equal(shape.DenseBias(0).Of(parameters.Values).ToArray(), shape.DenseBias(0).Of(fake.Values).ToArray()); // biases stay float
    }

    /// <summary>A token task no single step answers: is token 1 anywhere in the sequence? Learned to ≥ 95 %.</summary>
    [Fact]
    public void LearnsATokenTaskThroughTheEmbedding()
    {
        var (train, test) = (TokenSet(new Random(1), 300), TokenSet(new Random(2), 100));
        var options = new TrainingOptions
        {
            HiddenSizes = new[] { 16 }, VocabularySize = 6, EmbeddingSize = 4, DenseSizes = new[] { 8 },
            Loss = LossKind.SoftmaxCrossEntropy, Epochs = 30, BatchSize = 16, LearningRate = 0.02, Seed = 3,
        };

        var result = GruTrainer.Train(train, null, options);

        var score = GruTrainer.Score(result.Parameters, test, LossKind.SoftmaxCrossEntropy);
        output.WriteLine($"token task: test accuracy {score.Metric:P1}");
        Assert.True(score.Metric >= 0.95, $"test accuracy {score.Metric:P1}");
        Assert.Equal(6, result.Parameters.Shape.VocabularySize);
    }

    [Fact]
    public void TokenNetworkRefusesFeatureVectorsAndIdsOutsideTheVocabulary()
    {
        var options = new TrainingOptions { VocabularySize = 4, Epochs = 1 };
        var features = new SequenceSet(3, 2, new float[12], TargetTiming.LastStep, 2, null, new[] { 0, 1 });
        Assert.Contains("one token id per step", Assert.Throws<TrainingException>(() => GruTrainer.Train(features, null, options)).Message);
        var outside = new SequenceSet(3, 1, new float[] { 0, 1, 2, 3, 4, 0 }, TargetTiming.LastStep, 2, null, new[] { 0, 1 });
        Assert.Contains("token id 4", Assert.Throws<ArgumentOutOfRangeException>(() => GruTrainer.Train(outside, null, options)).Message);
    }

    [Fact]
    public void OptionsRefuseBadDenseSettings()
    {
        Assert.Contains("--dense", Assert.Throws<TrainingException>(() => new TrainingOptions { DenseSizes = new[] { 0 } }.Validate()).Message);
        Assert.Contains("--dense-activation", Assert.Throws<TrainingException>(() => new TrainingOptions { DenseSizes = new[] { 4, 4, 4 }, DenseActivations = new[] { HeadActivation.Relu, HeadActivation.Tanh } }.Validate()).Message);
        Assert.Contains("--dense-activation", Assert.Throws<TrainingException>(() => new TrainingOptions { DenseSizes = new[] { 4 }, DenseActivations = new[] { HeadActivation.Softmax } }.Validate()).Message);
        Assert.Contains("--dense", Assert.Throws<TrainingException>(() => new TrainingOptions { DenseSizes = Enumerable.Repeat(4, ModelLimits.MaxDenseLayers).ToArray() }.Validate()).Message);
    }

    /// <summary>Load, forward, loss and backward of a token network with a dense stack allocate nothing, as for the plain head.</summary>
    [Fact]
    public void BatchPassWithDenseStackAndEmbeddingAllocatesNothing()
    {
        var random = new Random(6);
        var shape = new GruNetworkShape(GateConvention.ResetBefore, 5, new[] { 16, 9 }, 4, new[] { 12, 7 }, new[] { HeadActivation.Tanh, HeadActivation.Relu }, 10);
        var parameters = Fixtures.RandomNetwork(random, shape);
        var set = new SequenceSet(6, 1, Enumerable.Range(0, 20 * 6).Select(i => (float)(i % 10)).ToArray(), TargetTiming.EveryStep, 4,
            Fixtures.RandomValues(random, 20 * 6 * 4), null);
        var pass = new GruBatchPass(shape, 6, TargetTiming.EveryStep, LossKind.MeanSquaredError, 16);
        var transposed = TransposedWeights.Create(shape);
        var indices = Enumerable.Range(2, 16).ToArray();
        void Batch()
        {
            TransposedWeights.Refresh(shape, parameters.Values, transposed);
            pass.Load(set, indices);
            pass.Forward(parameters.Values, transposed);
            pass.Loss(1f / 16);
            pass.Backward(parameters.Values);
        }
        Batch();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) Batch();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Contains(pass.Gradient, g => g != 0);
    }

    private static SequenceSet TokenSet(Random random, int count)
    {
        const int steps = 8;
        var x = new float[count * steps];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            for (int t = 0; t < steps; t++) x[n * steps + t] = random.Next(2, 6);
            if (random.Next(2) == 1) { x[n * steps + random.Next(steps)] = 1; labels[n] = 1; }
        }
        return new SequenceSet(steps, 1, x, TargetTiming.LastStep, 2, null, labels);
    }

    private static void Softmax(Span<float> v)
    {
        float max = float.NegativeInfinity;
        foreach (float a in v) max = Math.Max(max, a);
        double sum = 0;
        foreach (float a in v) sum += Math.Exp(a - max);
        for (int i = 0; i < v.Length; i++) v[i] = (float)(Math.Exp(v[i] - max) / sum);
    }
}

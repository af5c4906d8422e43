using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Tests;
using TinyGru.Training;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// What the trainer makes of the issue-13 architectures — hidden dense layers, token embeddings — compiles as generated
/// .NET code that computes what the trainer's own forward pass computed, on every SIMD path, in float32 and as int8-weights.
/// </summary>
public class TrainedModelGeneratedTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TrainedDenseStackModelRunsInGeneratedCode(bool tokens, bool int8Weights)
    {
        var random = new Random(13);
        const int steps = 7, vocabulary = 9, features = 3, outputs = 2, count = 40;
        int perStep = tokens ? 1 : features;
        var x = Enumerable.Range(0, count * steps * perStep).Select(_ => tokens ? random.Next(vocabulary) : (float)(random.NextDouble() * 2 - 1)).ToArray();
        var y = Enumerable.Range(0, count * steps * outputs).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var set = new SequenceSet(steps, perStep, x, TargetTiming.EveryStep, outputs, y, null);
        var options = new TrainingOptions
        {
            HiddenSizes = new[] { 12 }, DenseSizes = new[] { 10, 5 }, DenseActivations = new[] { HeadActivation.Tanh, HeadActivation.Relu },
            VocabularySize = tokens ? vocabulary : null, EmbeddingSize = 6, Epochs = 3, BatchSize = 8, Seed = 1, QuantizationAware = int8Weights,
        };
        var trained = GruTrainer.Train(set, null, options).Parameters;
        var model = trained.ToModel(HeadActivation.None);
        if (int8Weights) model = ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights);

        // The trainer's forward pass on the first sequence: with QAT, on its fake-quantized weights (= the int8-weights model's).
        var first = new SequenceSet(steps, perStep, x[..(steps * perStep)], TargetTiming.EveryStep, outputs, y[..(steps * outputs)], null);
        var trainer = GruTrainer.Predict(trained, first, quantizationAware: int8Weights);
        Assert.True(trainer.Max() - trainer.Min() > 1e-2, "the trained model's outputs should vary");
        var compiled = CompiledModel.Compile(model);
        foreach (var path in compiled.Paths)
        {
            var actual = compiled.Run(path, first.Inputs, outputs, perStep);
            double error = ReferenceFixture.MaxScaledError(trainer, actual);
            output.WriteLine($"tokens={tokens} int8w={int8Weights} path '{path}': vs the trainer {error:G3}");
            Assert.True(error <= 1e-5, $"path '{path}': max scaled |Δy| vs the trainer's forward pass = {error:G3}");
        }
        var reference = new float[steps * outputs];
        new GruReferenceEngine(model).Run(first.Inputs, reference);
        Assert.True(ReferenceFixture.MaxScaledError(trainer, reference) <= 1e-5);
    }
}

using TinyGru.Model;
using TinyGru.Model.Safetensors;
using TinyGru.Runtime;
using TinyGru.Training;
using Xunit;

namespace TinyGru.Training.Tests;

public class TrainerTests
{
    [Theory]
    [InlineData("gru_tiny")]
    [InlineData("gru_small")]
    [InlineData("gru_stacked")]
    public void ForwardPassMatchesPyTorchOutputs(string fixture)
    {
        var parameters = GruParameters.FromModel(ModelLoader.Load(Fixtures.Path(fixture + ".safetensors")));
        var expected = SafetensorsFile.Read(Fixtures.Path(fixture + ".expected.safetensors"));
        expected.TryGet("x", out var x);
        expected.TryGet("y", out var y);
        int steps = (int)x.Shape[0], inputs = (int)x.Shape[1], outputs = (int)y.Shape[1];
        var set = new SequenceSet(steps, inputs, x.ToFloat32(), TargetTiming.EveryStep, outputs, new float[steps * outputs], null);

        var predicted = GruTrainer.Predict(parameters, set);

        Assert.True(Fixtures.RelativeError(predicted, y.ToFloat32()) <= 1e-5, $"relative error {Fixtures.RelativeError(predicted, y.ToFloat32()):E2}");
    }

    [Theory]
    [InlineData(GateConvention.ResetBefore)]
    [InlineData(GateConvention.ResetAfter)]
    public void ForwardPassMatchesReferenceEngineInBothConventions(GateConvention convention)
    {
        var random = new Random(5);
        var parameters = Fixtures.RandomNetwork(random, convention, 4, new[] { 13, 8 }, 3);
        const int steps = 7, count = 5;
        var x = Fixtures.RandomValues(random, count * steps * 4, 2f);
        var set = new SequenceSet(steps, 4, x, TargetTiming.LastStep, 3, new float[count * 3], null);

        var predicted = GruTrainer.Predict(parameters, set);

        var engine = new GruReferenceEngine(parameters.ToModel(HeadActivation.None));
        var y = new float[3];
        var expected = new float[count * 3];
        for (int n = 0; n < count; n++)
        {
            engine.Reset();
            for (int t = 0; t < steps; t++) engine.Step(x.AsSpan((n * steps + t) * 4, 4), y);
            y.CopyTo(expected, n * 3);
        }
        Assert.True(Fixtures.RelativeError(predicted, expected) <= 1e-5, $"relative error {Fixtures.RelativeError(predicted, expected):E2}");
    }

    [Fact]
    public void SameSeedGivesIdenticalWeightsAndOtherSeedsDiffer()
    {
        var set = SineSet(new Random(3), 70);
        var options = new TrainingOptions { HiddenSizes = new[] { 12 }, Epochs = 3, BatchSize = 16, Seed = 7 };
        var first = GruTrainer.Train(set, null, options).Parameters.Values;
        var second = GruTrainer.Train(set, null, options).Parameters.Values;
        var other = GruTrainer.Train(set, null, options with { Seed = 8 }).Parameters.Values;
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void InitializationIsPyTorchsUniformBound()
    {
        var shape = new GruNetworkShape(GateConvention.ResetAfter, 3, new[] { 16, 4 }, 2);
        var p = GruParameters.Initialize(shape, new Random(1));
        Assert.All(shape.InputWeights(0).Of(p.Values).ToArray(), v => Assert.InRange(Math.Abs(v), 0, 0.25f));
        Assert.All(shape.RecurrentBias(1).Of(p.Values).ToArray(), v => Assert.InRange(Math.Abs(v), 0, 0.5f));
        Assert.All(shape.HeadWeight.Of(p.Values).ToArray(), v => Assert.InRange(Math.Abs(v), 0, 0.5f));
        Assert.True(shape.InputWeights(0).Of(p.Values).ToArray().Max(Math.Abs) > 0.2f, "weights should fill the range U(−1/√16, 1/√16)");
    }

    [Fact]
    public void LearnsASineForecastAndKeepsTheBestValidationEpoch()
    {
        var random = new Random(11);
        var train = SineSet(random, 120);
        var validation = SineSet(random, 40);
        var options = new TrainingOptions { HiddenSizes = new[] { 8 }, Epochs = 30, BatchSize = 16, LearningRate = 0.02, Seed = 2 };

        var result = GruTrainer.Train(train, validation, options);

        var best = result.History.MinBy(r => r.ValidationLoss!.Value)!;
        Assert.Equal(best.Epoch, result.BestEpoch);
        Assert.Equal(best.ValidationLoss!.Value, GruTrainer.Score(result.Parameters, validation, LossKind.MeanSquaredError).Loss, 6);
        Assert.True(best.ValidationLoss < 0.1 * result.History[0].ValidationLoss, $"validation loss {result.History[0].ValidationLoss} → {best.ValidationLoss}");
    }

    [Fact]
    public void PatienceStopsEarly()
    {
        var random = new Random(12);
        var train = SineSet(random, 60);
        var validation = SineSet(random, 20);
        var options = new TrainingOptions { HiddenSizes = new[] { 4 }, Epochs = 200, BatchSize = 8, LearningRate = 0.05, Seed = 1, Patience = 3 };

        var result = GruTrainer.Train(train, validation, options);

        Assert.True(result.StoppedEarly);
        Assert.Equal(result.BestEpoch + 3, result.History.Count);
    }

    [Fact]
    public void NonFiniteLossStopsWithTheEpochAndAdvice()
    {
        var set = SineSet(new Random(4), 40);
        var e = Assert.Throws<TrainingException>(() => GruTrainer.Train(set, null, new TrainingOptions { HiddenSizes = new[] { 4 }, Epochs = 50, BatchSize = 8, LearningRate = 1e38 }));
        Assert.Matches(@"diverged in epoch \d+", e.Message);
        Assert.Contains("lower learning rate", e.Message);
    }

    [Fact]
    public void AdamFirstStepMovesEachWeightByTheLearningRate()
    {
        // PyTorch Adam, step 1: m̂ = g, v̂ = g², so p ← p − lr · g / (|g| + ε). 11 weights: 8 take the vector path, 3 the scalar one.
        var p = Enumerable.Range(0, 11).Select(i => 0.25f * i - 1).ToArray();
        var g = Enumerable.Range(0, 11).Select(i => i % 3 == 0 ? 0f : i % 3 == 1 ? 0.3f : -4f).ToArray();
        var expected = p.Zip(g, (w, d) => d == 0 ? w : w - 0.1f * MathF.Sign(d)).ToArray();
        new AdamOptimizer(OptimizerKind.Adam, 0, 11).Step(p, g, 0.1);
        Assert.Equal(expected, p.Select(v => MathF.Round(v, 5)));

        // AdamW decays the weight first: p ← p·(1 − lr·λ) − lr · g / (|g| + ε).
        var q = Enumerable.Repeat(1f, 9).ToArray();
        new AdamOptimizer(OptimizerKind.AdamW, 0.5f, 9).Step(q, Enumerable.Repeat(2f, 9).ToArray(), 0.1);
        Assert.All(q, v => Assert.Equal(1f * (1 - 0.05f) - 0.1f, v, 5));

        // Adam's weight decay is L2: it enters the gradient (here it flips the sign of the step).
        var l2 = Enumerable.Repeat(1f, 9).ToArray();
        new AdamOptimizer(OptimizerKind.Adam, 10f, 9).Step(l2, Enumerable.Repeat(-1f, 9).ToArray(), 0.1);
        Assert.All(l2, v => Assert.Equal(0.9f, v, 5));
    }

    [Fact]
    public void SchedulesFollowPyTorchFormulas()
    {
        Assert.Equal(0.01, LearningRateSchedule.At(ScheduleKind.Cosine, 0.01, 0, 10, 1, 1), 12);
        Assert.Equal(0.005, LearningRateSchedule.At(ScheduleKind.Cosine, 0.01, 5, 10, 1, 1), 12);
        Assert.Equal(0.01 * 0.5 * (1 + Math.Cos(Math.PI * 9 / 10)), LearningRateSchedule.At(ScheduleKind.Cosine, 0.01, 9, 10, 1, 1), 12);
        Assert.Equal(0.01, LearningRateSchedule.At(ScheduleKind.Step, 0.01, 9, 40, 10, 0.5), 12);
        Assert.Equal(0.0025, LearningRateSchedule.At(ScheduleKind.Step, 0.01, 25, 40, 10, 0.5), 12);
    }

    [Fact]
    public void BatchPassAllocatesNothingAfterWarmUp()
    {
        foreach (var convention in new[] { GateConvention.ResetAfter, GateConvention.ResetBefore })
        {
            var random = new Random(6);
            var parameters = Fixtures.RandomNetwork(random, convention, 3, new[] { 16, 9 }, 4);
            var set = new SequenceSet(6, 3, Fixtures.RandomValues(random, 20 * 6 * 3), TargetTiming.LastStep, 4, null, Enumerable.Range(0, 20).Select(i => i % 4).ToArray());
            var pass = new GruBatchPass(parameters.Shape, 6, TargetTiming.LastStep, LossKind.SoftmaxCrossEntropy, 16);
            var transposed = TransposedWeights.Create(parameters.Shape);
            var indices = Enumerable.Range(2, 16).ToArray();
            void Batch()
            {
                TransposedWeights.Refresh(parameters.Shape, parameters.Values, transposed);
                pass.Load(set, indices);
                pass.Forward(parameters.Values, transposed);
                pass.Loss(1f / 16);
                pass.Backward(parameters.Values);
            }
            Batch();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) Batch();
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void TrainingLoopAllocatesPerEpochNotPerBatch()
    {
        var set = SineSet(new Random(8), 256);                  // 32 batches of 8 per epoch
        long Allocated(int epochs)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            GruTrainer.Train(set, null, new TrainingOptions { HiddenSizes = new[] { 8 }, Epochs = epochs, BatchSize = 8, Seed = 1 });
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Allocated(2);                                            // warm-up: JIT, statics
        long perEpoch = (Allocated(12) - Allocated(2)) / 10;
        Assert.True(perEpoch < 1024, $"{perEpoch} bytes per epoch of 32 batches");
    }

    [Fact]
    public void ShardWorkersRunEveryShardAndPassErrorsOn()
    {
        using var workers = new ShardWorkers(2);
        var seen = new int[2];
        workers.Run(s => seen[s]++);
        workers.Run(s => seen[s]++);
        Assert.Equal(new[] { 2, 2 }, seen);
        var e = Assert.Throws<InvalidOperationException>(() => workers.Run(s => { if (s == 1) throw new InvalidOperationException("shard 1"); }));
        Assert.Equal("shard 1", e.Message);
        workers.Run(s => seen[s]++);
        Assert.Equal(new[] { 3, 3 }, seen);
    }

    /// <summary>Windows of 10 steps of a noisy sine with random phase and frequency → the next value.</summary>
    private static SequenceSet SineSet(Random random, int count)
    {
        const int steps = 10;
        var x = new float[count * steps];
        var y = new float[count];
        for (int n = 0; n < count; n++)
        {
            double phase = random.NextDouble() * 6.28, frequency = 0.3 + 0.4 * random.NextDouble();
            for (int t = 0; t < steps; t++) x[n * steps + t] = (float)Math.Sin(phase + frequency * t);
            y[n] = (float)Math.Sin(phase + frequency * steps);
        }
        return new SequenceSet(steps, 1, x, TargetTiming.LastStep, 1, y, null);
    }
}

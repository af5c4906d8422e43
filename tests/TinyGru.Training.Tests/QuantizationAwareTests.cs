using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Training;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.Training.Tests;

/// <summary>Quantization-aware training: fake quantization is the int8 model's arithmetic, the gradient is the straight-through estimate.</summary>
public class QuantizationAwareTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(GateConvention.ResetAfter)]
    [InlineData(GateConvention.ResetBefore)]
    public void FakeQuantizedForwardIsTheInt8WeightsModelInTheReferenceEngine(GateConvention convention)
    {
        var random = new Random(21);
        var parameters = Fixtures.RandomNetwork(random, convention, 4, new[] { 13, 8 }, 3);
        const int steps = 7, count = 6;
        var x = Fixtures.RandomValues(random, count * steps * 4, 2f);
        var set = new SequenceSet(steps, 4, x, TargetTiming.LastStep, 3, new float[count * 3], null);
        var quantized = ModelQuantizer.Quantize(parameters.ToModel(HeadActivation.None), ModelPrecision.Int8Weights);

        // The weights the forward pass runs are the int8 model's, bit for bit (biases untouched).
        var fake = FakeQuantization.Apply(parameters);
        Assert.Equal(GruParameters.FromModel(quantized).Values, fake.Values);
        Assert.NotEqual(parameters.Values, fake.Values);

        var predicted = GruTrainer.Predict(parameters, set, quantizationAware: true);
        var plain = GruTrainer.Predict(parameters, set);

        var expected = Run(new GruReferenceEngine(quantized), x, steps, count);
        double error = Fixtures.RelativeError(predicted, expected), floatError = Fixtures.RelativeError(plain, expected);
        output.WriteLine($"{convention}: fake-quantized forward vs int8-weights engine {error:E2}; float forward vs it {floatError:E2}");
        Assert.True(error <= 1e-5, $"relative error {error:E2}");
        Assert.True(floatError > 100 * 1e-5, $"the float forward should differ measurably from the int8 model ({floatError:E2})");
    }

    [Theory]
    [InlineData(GateConvention.ResetAfter, LossKind.MeanSquaredError, TargetTiming.EveryStep)]
    [InlineData(GateConvention.ResetBefore, LossKind.SoftmaxCrossEntropy, TargetTiming.LastStep)]
    [InlineData(GateConvention.ResetAfter, LossKind.SoftmaxCrossEntropy, TargetTiming.LastStep)]
    [InlineData(GateConvention.ResetBefore, LossKind.MeanSquaredError, TargetTiming.EveryStep)]
    public void StraightThroughGradientIsTheGradientAtTheInt8Weights(GateConvention convention, LossKind loss, TargetTiming timing)
    {
        var random = new Random(8);
        const int inputs = 3, outputs = 3, steps = 5, batch = 4;
        var parameters = Fixtures.RandomNetwork(random, convention, inputs, new[] { 10, 9 }, outputs);
        int targets = batch * (timing == TargetTiming.LastStep ? 1 : steps);
        var x = Fixtures.RandomValues(random, batch * steps * inputs, 2f);
        var set = loss == LossKind.SoftmaxCrossEntropy
            ? new SequenceSet(steps, inputs, x, timing, outputs, null, Enumerable.Range(0, targets).Select(_ => random.Next(outputs)).ToArray())
            : new SequenceSet(steps, inputs, x, timing, outputs, Fixtures.RandomValues(random, targets * outputs), null);

        var (qatLoss, qatGradient) = GruTrainer.LossGradient(parameters, set, loss, quantizationAware: true);

        // The existing backward pass, run on the dequantized weights of ModelQuantizer's int8-weights model.
        var dequantized = GruParameters.FromModel(ModelQuantizer.Quantize(parameters.ToModel(LossFunction.ActivationFor(loss)), ModelPrecision.Int8Weights));
        var (atInt8Loss, atInt8Gradient) = GruTrainer.LossGradient(dequantized, set, loss);
        var (floatLoss, floatGradient) = GruTrainer.LossGradient(parameters, set, loss);

        Assert.Equal(atInt8Loss, qatLoss);
        Assert.Equal(atInt8Gradient, qatGradient);
        double difference = Fixtures.RelativeError(floatGradient, qatGradient);
        output.WriteLine($"{convention} {loss}: loss {qatLoss:G6} (float {floatLoss:G6}); float gradient differs by {difference:E2}");
        Assert.True(difference > 1e-4, $"the float gradient should differ from the one at the int8 weights ({difference:E2})");
    }

    [Fact]
    public void TrainerRunsTheFakeQuantizedForwardAndStepsAlongTheStraightThroughGradient()
    {
        var random = new Random(30);
        var parameters = Fixtures.RandomNetwork(random, GateConvention.ResetAfter, 2, new[] { 6 }, 1);
        const int steps = 6, count = 8;
        var set = new SequenceSet(steps, 2, Fixtures.RandomValues(random, count * steps * 2), TargetTiming.LastStep, 1, Fixtures.RandomValues(random, count), null);
        var options = new TrainingOptions { HiddenSizes = new[] { 6 }, Epochs = 1, BatchSize = count, LearningRate = 1e-3, QuantizationAware = true };

        var result = GruTrainer.Train(set, null, options, initial: parameters);

        var (qatLoss, qatGradient) = GruTrainer.LossGradient(parameters, set, LossKind.MeanSquaredError, quantizationAware: true);
        double floatLoss = GruTrainer.LossGradient(parameters, set, LossKind.MeanSquaredError).Loss;
        Assert.Equal(qatLoss, result.History[0].TrainLoss, 6);
        Assert.NotEqual(floatLoss, result.History[0].TrainLoss, 6);
        // Adam's first step moves each weight by lr against the sign of its gradient: here the gradient at the int8 weights.
        int checkedCount = 0;
        for (int i = 0; i < qatGradient.Length; i++)
        {
            if (Math.Abs(qatGradient[i]) < 1e-4) continue;
            Assert.Equal(-Math.Sign(qatGradient[i]), Math.Sign(result.Parameters.Values[i] - parameters.Values[i]));
            checkedCount++;
        }
        Assert.True(checkedCount > qatGradient.Length / 2);
        Assert.NotSame(parameters.Values, result.Parameters.Values);
    }

    [Fact]
    public void InputFakeQuantizationGivesTheValuesOfTheInt8EnginesInputCodes()
    {
        var normalization = new InputNormalization(new[] { 3f, -1f }, new[] { 2f, 0.5f });
        var random = new Random(4);
        var rows = Enumerable.Range(0, 50).Select(_ => new[] { (float)(random.NextDouble() * 10 - 2), (float)(random.NextDouble() * 2 - 2) }).ToArray();
        var quantizer = InputFakeQuantizer.Calibrate(normalization, 2, rows);

        // The int8 engine's input codes: FixedPointGruModel's mean, multiplier and zero point of a model calibrated on the same rows.
        var probe = new GruModel(GateConvention.ResetAfter, new[] { new GruLayerSpec(2, 1, new float[6], new float[3], new float[3], new float[3]) }, inputNormalization: normalization);
        var int8 = ModelQuantizer.Quantize(probe, ModelPrecision.Int8, CalibrationRange.Observe(probe, rows));
        var fp = FixedPointGruModel.Create(int8);
        var q = int8.Quantization!.Input!;
        Assert.Equal(q.Scale, quantizer.Quantization.Scale);
        Assert.Equal(q.ZeroPoint, quantizer.Quantization.ZeroPoint);
        foreach (var row in rows.Append(new[] { 1000f, -1000f }))
            for (int f = 0; f < 2; f++)
            {
                int code = FixedPoint.QuantizeInput((row[f] - fp.InputMean[f]) * fp.InputMultiplier[f], fp.InputZeroPoint);
                Assert.Equal((code - q.ZeroPoint) * q.Scale, quantizer.Apply(row[f], f));
                double normalized = (row[f] - normalization.Mean[f]) / normalization.Std[f];
                if (normalized >= quantizer.Range.Min && normalized <= quantizer.Range.Max)
                    Assert.True(Math.Abs(quantizer.Apply(row[f], f) - normalized) <= 0.5 * q.Scale + 1e-6, $"{normalized} → {quantizer.Apply(row[f], f)}");
            }
    }

    /// <summary>
    /// Digits, seed 3: post-training int8 quantization loses accuracy; quantization-aware fine-tuning (the CLI's defaults)
    /// wins it back, measured on the integer-only model in <see cref="Int8ReferenceEngine"/>.
    /// </summary>
    [Fact]
    public void FineTuningWinsBackTheInt8AccuracyThatPostTrainingQuantizationLost()
    {
        var table = CsvTable.Read(ReferenceTaskTests.DataPath("digits.csv"));
        // Per-feature z-scoring: its edge-pixel outliers (up to 73 std) widen the int8 input range, so PTQ loses accuracy
        // on this seed; with digits' default one-scale scaling it does not (98.33 % float and int8), and there is nothing to win back.
        var digits = ReferenceTasks.DigitsData with { Scale = InputScaling.Feature };
        var job = TrainingJob.Prepare(table, digits);
        var options = ReferenceTasks.DigitsTraining with { Seed = 3 };
        var model = job.BuildModel(job.Run(options), options, "digits");
        double floatAccuracy = ModelEvaluation.Of(model, job.Examples, job.Split.Test).Accuracy!.Value;
        var ptq = job.Quantize(model);
        Assert.Equal(ModelPrecision.Int8, ptq.Precision);
        double ptqAccuracy = ModelEvaluation.Of(ptq, job.Examples, job.Split.Test).Accuracy!.Value;

        var fineTune = TrainingJob.PrepareFineTune(table, digits, model, quantizationAware: true);
        var fineTuneOptions = QuantizationAwareTraining.FineTuneOptions(options);
        var result = fineTune.Run(fineTuneOptions);
        var tuned = fineTune.BuildModel(result, fineTuneOptions, "digits");
        var int8 = fineTune.Quantize(tuned);
        double qatAccuracy = ModelEvaluation.Of(int8, fineTune.Examples, fineTune.Split.Test).Accuracy!.Value;
        output.WriteLine($"digits seed 3: float {floatAccuracy:P2}, int8 after PTQ {ptqAccuracy:P2}, int8 after QAT fine-tuning {qatAccuracy:P2} ({result.Elapsed.TotalSeconds:F2} s)");

        // The fine-tuned model keeps the base model's units and classes, and quantizing it gives the model that was trained.
        Assert.Equal(model.InputNormalization!.Mean, tuned.InputNormalization!.Mean);
        Assert.Equal(model.Metadata.ClassLabels, tuned.Metadata.ClassLabels);
        Assert.Equal(FakeQuantization.Apply(result.Parameters).Values, GruParameters.FromModel(int8).Values);
        Assert.Equal(fineTune.InputQuantizer!.Quantization.Scale, int8.Quantization!.Input!.Scale);
        Assert.Equal(fineTune.InputQuantizer.Quantization.ZeroPoint, int8.Quantization.Input.ZeroPoint);

        Assert.True(ptqAccuracy < floatAccuracy, "this seed is chosen because post-training quantization loses accuracy");
        Assert.True(qatAccuracy > ptqAccuracy, $"QAT {qatAccuracy:P2} vs PTQ {ptqAccuracy:P2}");
        Assert.True(qatAccuracy >= floatAccuracy, $"QAT {qatAccuracy:P2} vs float {floatAccuracy:P2}");
    }

    [Fact]
    public void FineTuningRejectsAModelThatDoesNotFitTheData()
    {
        var table = CsvTable.Read(ReferenceTaskTests.DataPath("sunspots.csv"));
        var random = new Random(1);
        var other = Fixtures.RandomNetwork(random, GateConvention.ResetAfter, 2, new[] { 4 }, 1).ToModel(HeadActivation.None);
        var e = Assert.Throws<TrainingException>(() => TrainingJob.PrepareFineTune(table, ReferenceTasks.SunspotsData, other, quantizationAware: true));
        Assert.Contains("takes 2 features", e.Message);
        var int8 = ModelQuantizer.Quantize(Fixtures.RandomNetwork(random, GateConvention.ResetAfter, 1, new[] { 4 }, 1).ToModel(HeadActivation.None), ModelPrecision.Int8Weights);
        e = Assert.Throws<TrainingException>(() => TrainingJob.PrepareFineTune(table, ReferenceTasks.SunspotsData, int8, quantizationAware: true));
        Assert.Contains("float32 model", e.Message);
    }

    private static float[] Run(IGruModel engine, float[] x, int steps, int count)
    {
        int inputs = x.Length / (steps * count);
        var y = new float[3];
        var result = new float[count * 3];
        for (int n = 0; n < count; n++)
        {
            engine.Reset();
            for (int t = 0; t < steps; t++) engine.Step(x.AsSpan((n * steps + t) * inputs, inputs), y);
            y.CopyTo(result, n * 3);
        }
        return result;
    }
}

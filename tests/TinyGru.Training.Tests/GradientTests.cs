using TinyGru.Model;
using TinyGru.Model.Safetensors;
using TinyGru.Training;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.Training.Tests;

/// <summary>The backward pass against PyTorch 1.13 autograd and against finite differences of the forward pass.</summary>
public class GradientTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("grad_mse_stacked", LossKind.MeanSquaredError)]
    [InlineData("grad_ce_last", LossKind.SoftmaxCrossEntropy)]
    public void EveryParameterGradientMatchesPyTorchAutograd(string name, LossKind loss)
    {
        var parameters = GruParameters.FromModel(ModelLoader.Load(Fixtures.Path(name + ".safetensors")));
        var expected = SafetensorsFile.Read(Fixtures.Path(name + ".expected.safetensors"));
        var x = Tensor(expected, "x");
        int batch = (int)x.Shape[0], steps = (int)x.Shape[1], inputs = (int)x.Shape[2], outputs = parameters.Shape.OutputSize;
        var set = loss == LossKind.MeanSquaredError
            ? new SequenceSet(steps, inputs, x.ToFloat32(), TargetTiming.EveryStep, outputs, Tensor(expected, "target").ToFloat32(), null)
            : new SequenceSet(steps, inputs, x.ToFloat32(), TargetTiming.LastStep, outputs, null, Tensor(expected, "labels").ToInt32());
        Assert.Equal(batch, set.Count);

        var (lossValue, gradient) = GruTrainer.LossGradient(parameters, set, loss);

        double expectedLoss = Tensor(expected, "loss").ToFloat32()[0];
        Assert.True(Math.Abs(lossValue - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss), $"loss {lossValue} vs PyTorch {expectedLoss}");
        var shape = parameters.Shape;
        var tensors = new List<(string, TensorSlice)>();
        for (int k = 0; k < shape.LayerCount; k++)
        {
            tensors.Add(($"gru.weight_ih_l{k}", shape.InputWeights(k)));
            tensors.Add(($"gru.weight_hh_l{k}", shape.RecurrentWeights(k)));
            tensors.Add(($"gru.bias_ih_l{k}", shape.InputBias(k)));
            tensors.Add(($"gru.bias_hh_l{k}", shape.RecurrentBias(k)));
        }
        tensors.Add(("head.weight", shape.HeadWeight));
        tensors.Add(("head.bias", shape.HeadBias));
        Assert.Equal(expected.Tensors.Count(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)), tensors.Count);
        foreach (var (tensorName, slice) in tensors)
        {
            var reference = Tensor(expected, "grad." + tensorName).ToFloat32();
            double error = Fixtures.RelativeError(slice.Of(gradient), reference);
            output.WriteLine($"{name} {tensorName}: relative error {error:E2}");
            Assert.True(error <= 1e-4, $"{name} {tensorName}: max |Δgrad| / max |grad| = {error:E2}");
        }
    }

    public static TheoryData<GateConvention, LossKind, TargetTiming> FiniteDifferenceCases => new()
    {
        { GateConvention.ResetAfter, LossKind.MeanSquaredError, TargetTiming.EveryStep },
        { GateConvention.ResetBefore, LossKind.MeanSquaredError, TargetTiming.EveryStep },
        { GateConvention.ResetAfter, LossKind.SoftmaxCrossEntropy, TargetTiming.LastStep },
        { GateConvention.ResetBefore, LossKind.SoftmaxCrossEntropy, TargetTiming.LastStep },
        { GateConvention.ResetBefore, LossKind.SigmoidBinaryCrossEntropy, TargetTiming.EveryStep },
        { GateConvention.ResetAfter, LossKind.SigmoidBinaryCrossEntropy, TargetTiming.LastStep },
    };

    /// <summary>
    /// Central differences of the loss for every parameter of a two-layer network whose hidden sizes (10, 9) use both
    /// the 8-lane and the scalar paths of the kernels.
    /// </summary>
    [Theory]
    [MemberData(nameof(FiniteDifferenceCases))]
    public void GradientMatchesFiniteDifferences(GateConvention convention, LossKind loss, TargetTiming timing)
    {
        var random = new Random(17);
        const int inputs = 3, outputs = 3, steps = 5, batch = 4;
        var parameters = Fixtures.RandomNetwork(random, convention, inputs, new[] { 10, 9 }, outputs);
        int targets = batch * (timing == TargetTiming.LastStep ? 1 : steps);
        var x = Fixtures.RandomValues(random, batch * steps * inputs, 2f);
        var set = loss switch
        {
            LossKind.SoftmaxCrossEntropy => new SequenceSet(steps, inputs, x, timing, outputs, null, Enumerable.Range(0, targets).Select(_ => random.Next(outputs)).ToArray()),
            LossKind.SigmoidBinaryCrossEntropy => new SequenceSet(steps, inputs, x, timing, outputs, Enumerable.Range(0, targets * outputs).Select(_ => (float)random.Next(2)).ToArray(), null),
            _ => new SequenceSet(steps, inputs, x, timing, outputs, Fixtures.RandomValues(random, targets * outputs), null),
        };

        var (_, gradient) = GruTrainer.LossGradient(parameters, set, loss);
        var analytic = (float[])gradient.Clone();
        var numeric = new float[analytic.Length];
        const float eps = 1e-2f;
        var values = parameters.Values;
        for (int i = 0; i < values.Length; i++)
        {
            float saved = values[i];
            values[i] = saved + eps;
            double plus = GruTrainer.LossGradient(parameters, set, loss).Loss;
            values[i] = saved - eps;
            double minus = GruTrainer.LossGradient(parameters, set, loss).Loss;
            values[i] = saved;
            numeric[i] = (float)((plus - minus) / (2 * eps));
        }
        double error = Fixtures.RelativeError(analytic, numeric);
        output.WriteLine($"{convention} {loss} {timing}: max |analytic − numeric| / max |numeric| = {error:E2}");
        Assert.True(error <= 5e-4, $"relative error {error:E2}");
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3);
    }

    private static TensorData Tensor(SafetensorsFile file, string name) =>
        file.TryGet(name, out var t) ? t : throw new Xunit.Sdk.XunitException($"{file.Source} has no tensor {name}");
}

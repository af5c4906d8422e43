using TinyGru.Model;
using TinyGru.Model.Safetensors;
using TinyGru.Training;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.Training.Tests;

/// <summary>The backward pass against PyTorch 1.13 autograd and against finite differences of the forward pass.</summary>
public class GradientTests(ITestOutputHelper output)
{
    /// <summary>
    /// Every parameter's gradient against PyTorch autograd. The issue-13 cases (tests/reference/make_grad_fixtures_issue13.py)
    /// add hidden dense layers (relu, tanh, sigmoid; the state_dict's nn.Sequential names head.0, head.2, …) and a token
    /// embedding (emb.weight, whose rows the backward pass scatter-adds into).
    /// </summary>
    [Theory]
    [InlineData("grad_mse_stacked", LossKind.MeanSquaredError, null)]
    [InlineData("grad_ce_last", LossKind.SoftmaxCrossEntropy, null)]
    [InlineData("grad_mlp_relu", LossKind.MeanSquaredError, "relu,tanh,none")]
    [InlineData("grad_embedding_ce", LossKind.SoftmaxCrossEntropy, "sigmoid,none")]
    public void EveryParameterGradientMatchesPyTorchAutograd(string name, LossKind loss, string? activations)
    {
        var import = activations is null ? ImportOptions.None : new ImportOptions(Activations.ParseList(activations, out _), null);
        var parameters = GruParameters.FromModel(ModelLoader.Load(Fixtures.Path(name + ".safetensors"), import));
        var expected = SafetensorsFile.Read(Fixtures.Path(name + ".expected.safetensors"));
        var x = Tensor(expected, "x");
        int batch = (int)x.Shape[0], steps = (int)x.Shape[1], inputs = (int)x.Shape[2], outputs = parameters.Shape.OutputSize;
        Assert.Equal(parameters.Shape.StepInputSize, inputs);
        var set = loss == LossKind.MeanSquaredError
            ? new SequenceSet(steps, inputs, x.ToFloat32(), TargetTiming.EveryStep, outputs, Tensor(expected, "target").ToFloat32(), null)
            : new SequenceSet(steps, inputs, x.ToFloat32(), TargetTiming.LastStep, outputs, null, Tensor(expected, "labels").ToInt32());
        Assert.Equal(batch, set.Count);

        var (lossValue, gradient) = GruTrainer.LossGradient(parameters, set, loss);

        double expectedLoss = Tensor(expected, "loss").ToFloat32()[0];
        output.WriteLine($"{name} loss: {lossValue:R} vs PyTorch {expectedLoss:R}");
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
        for (int d = 0; d < shape.DenseCount; d++)
        {
            // A single Linear is "head"; an nn.Sequential numbers its modules, activations included: head.0, head.2, …
            string prefix = shape.DenseCount == 1 ? "head" : $"head.{2 * d}";
            tensors.Add(($"{prefix}.weight", shape.DenseWeight(d)));
            tensors.Add(($"{prefix}.bias", shape.DenseBias(d)));
        }
        if (shape.IsTokenInput) tensors.Add(("emb.weight", shape.Embedding));
        Assert.Equal(expected.Tensors.Count(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)), tensors.Count);
        foreach (var (tensorName, slice) in tensors)
        {
            var reference = Tensor(expected, "grad." + tensorName).ToFloat32();
            Assert.Equal(reference.Length, slice.Length);
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

    public static TheoryData<HeadActivation, LossKind, TargetTiming> DenseFiniteDifferenceCases => new()
    {
        { HeadActivation.None, LossKind.MeanSquaredError, TargetTiming.EveryStep },
        { HeadActivation.Relu, LossKind.MeanSquaredError, TargetTiming.LastStep },   // few ReLU inputs: few kinks within ±ε
        { HeadActivation.Tanh, LossKind.SoftmaxCrossEntropy, TargetTiming.LastStep },
        { HeadActivation.Sigmoid, LossKind.SigmoidBinaryCrossEntropy, TargetTiming.EveryStep },
        { HeadActivation.Relu, LossKind.SoftmaxCrossEntropy, TargetTiming.LastStep },
    };

    /// <summary>
    /// Central differences for every parameter of GRU → dense 12 → dense 5 → head, both hidden dense layers with
    /// <paramref name="activation"/> (12 uses the 8-lane and the scalar path of the dense kernels, 5 only the scalar one).
    /// </summary>
    [Theory]
    [MemberData(nameof(DenseFiniteDifferenceCases))]
    public void DenseStackGradientMatchesFiniteDifferences(HeadActivation activation, LossKind loss, TargetTiming timing)
    {
        var random = new Random(23);
        const int inputs = 3, outputs = 3, steps = 5, batch = 4;
        var shape = new GruNetworkShape(GateConvention.ResetAfter, inputs, new[] { 10 }, outputs, new[] { 12, 5 }, new[] { activation, activation });
        var parameters = Fixtures.RandomNetwork(random, shape);
        var set = RandomSet(random, loss, timing, steps, inputs, outputs, batch, Fixtures.RandomValues(random, batch * steps * inputs, 2f));
        CheckAgainstFiniteDifferences(parameters, set, loss, $"dense {activation} {loss} {timing}", kinks: activation == HeadActivation.Relu);
    }

    /// <summary>
    /// Central differences for a token network (embedding → GRU → …): ids repeat within and across sequences, so the
    /// embedding gradient is a scatter-add; an id that never occurs must get a zero gradient row.
    /// </summary>
    [Theory]
    [InlineData(GateConvention.ResetAfter, LossKind.SoftmaxCrossEntropy, TargetTiming.LastStep, false)]
    [InlineData(GateConvention.ResetBefore, LossKind.MeanSquaredError, TargetTiming.EveryStep, true)]
    public void EmbeddingGradientMatchesFiniteDifferences(GateConvention convention, LossKind loss, TargetTiming timing, bool denseStack)
    {
        var random = new Random(29);
        const int vocabulary = 7, embedding = 9, outputs = 3, steps = 6, batch = 4, unused = 6;
        var shape = new GruNetworkShape(convention, embedding, new[] { 10, 8 }, outputs,
            denseStack ? new[] { 6 } : null, denseStack ? new[] { HeadActivation.Tanh } : null, vocabulary);
        var parameters = Fixtures.RandomNetwork(random, shape);
        var tokens = Enumerable.Range(0, batch * steps).Select(_ => (float)random.Next(unused)).ToArray();   // ids 0 … 5, with repeats
        var set = RandomSet(random, loss, timing, steps, 1, outputs, batch, tokens);
        var analytic = CheckAgainstFiniteDifferences(parameters, set, loss, $"embedding {convention} {loss} {timing} dense={denseStack}");
        Assert.All(shape.Embedding.Of(analytic).Slice(unused * embedding, embedding).ToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(shape.Embedding.Of(analytic).ToArray(), g => Math.Abs(g) > 1e-3);
    }

    private static SequenceSet RandomSet(Random random, LossKind loss, TargetTiming timing, int steps, int inputs, int outputs, int batch, float[] x)
    {
        int targets = batch * (timing == TargetTiming.LastStep ? 1 : steps);
        return loss switch
        {
            LossKind.SoftmaxCrossEntropy => new SequenceSet(steps, inputs, x, timing, outputs, null, Enumerable.Range(0, targets).Select(_ => random.Next(outputs)).ToArray()),
            LossKind.SigmoidBinaryCrossEntropy => new SequenceSet(steps, inputs, x, timing, outputs, Enumerable.Range(0, targets * outputs).Select(_ => (float)random.Next(2)).ToArray(), null),
            _ => new SequenceSet(steps, inputs, x, timing, outputs, Fixtures.RandomValues(random, targets * outputs), null),
        };
    }

    /// <summary>
    /// Asserts the analytic gradient matches central differences of the loss (relative 5e-4) and returns it. With
    /// <paramref name="kinks"/> (ReLU), a parameter whose ±ε step moves a ReLU input across 0 has no central difference
    /// to compare with: it shows as one-sided slopes that disagree, and there the analytic derivative must lie between
    /// them (it is the slope on its own side of the kink; strongly curved smooth spots pass this too). At most 5 % may be such.
    /// </summary>
    private float[] CheckAgainstFiniteDifferences(GruParameters parameters, SequenceSet set, LossKind loss, string label, bool kinks = false)
    {
        var (baseLoss, gradient) = GruTrainer.LossGradient(parameters, set, loss);
        var analytic = (float[])gradient.Clone();
        var numeric = new float[analytic.Length];
        const float eps = 1e-2f;
        var values = parameters.Values;
        int kinked = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float saved = values[i];
            values[i] = saved + eps;
            double plus = GruTrainer.LossGradient(parameters, set, loss).Loss;
            values[i] = saved - eps;
            double minus = GruTrainer.LossGradient(parameters, set, loss).Loss;
            values[i] = saved;
            numeric[i] = (float)((plus - minus) / (2 * eps));
            double right = (plus - baseLoss) / eps, left = (baseLoss - minus) / eps;
            if (kinks && Math.Abs(right - left) > 0.05 * Math.Max(Math.Abs(right), Math.Abs(left)) + 1e-4)
            {
                kinked++;
                Assert.InRange(analytic[i], Math.Min(left, right) - 1e-4, Math.Max(left, right) + 1e-4);
                numeric[i] = analytic[i];
            }
        }
        var shape = parameters.Shape;
        for (int d = 0; d < shape.DenseCount; d++)
            output.WriteLine($"{label} dense {d} W: {Fixtures.RelativeError(shape.DenseWeight(d).Of(analytic), shape.DenseWeight(d).Of(numeric)):E2}");
        double error = Fixtures.RelativeError(analytic, numeric);
        output.WriteLine($"{label}: max |analytic − numeric| / max |numeric| = {error:E2}; {kinked} of {values.Length} parameters step across a ReLU kink");
        Assert.True(error <= 5e-4, $"{label}: relative error {error:E2}");
        Assert.True(kinked <= values.Length / 20, $"{label}: {kinked} parameters step across a ReLU kink");
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3);
        return analytic;
    }

    private static TensorData Tensor(SafetensorsFile file, string name) =>
        file.TryGet(name, out var t) ? t : throw new Xunit.Sdk.XunitException($"{file.Source} has no tensor {name}");
}

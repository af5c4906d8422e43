using System.Runtime.CompilerServices;
using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>The training objective, applied to the head's raw outputs (logits for the two cross-entropies).</summary>
public enum LossKind
{
    /// <summary>Mean of (y − target)² over every output: regression and forecasting (PyTorch <c>MSELoss</c>).</summary>
    MeanSquaredError,
    /// <summary>Softmax cross-entropy against one class index per target (PyTorch <c>CrossEntropyLoss</c>).</summary>
    SoftmaxCrossEntropy,
    /// <summary>Sigmoid binary cross-entropy per output against 0/1 targets (PyTorch <c>BCEWithLogitsLoss</c>): binary and multi-label.</summary>
    SigmoidBinaryCrossEntropy,
}

/// <summary>Loss values and their gradients with respect to the head's raw outputs.</summary>
public static class LossFunction
{
    /// <summary>The head activation that turns raw outputs into what the loss models (stored in the model file).</summary>
    public static HeadActivation ActivationFor(LossKind loss) => loss switch
    {
        LossKind.SoftmaxCrossEntropy => HeadActivation.Softmax,
        LossKind.SigmoidBinaryCrossEntropy => HeadActivation.Sigmoid,
        _ => HeadActivation.None,
    };

    /// <summary>How many terms the mean divides by for <paramref name="targets"/> targets of <paramref name="outputs"/> values each.</summary>
    public static int TermCount(LossKind loss, int targets, int outputs) =>
        loss == LossKind.SoftmaxCrossEntropy ? targets : targets * outputs;

    /// <summary>
    /// Sum of the loss over <paramref name="rows"/> rows of raw outputs y [rows, O]; writes
    /// dy = <paramref name="scale"/> · ∂loss/∂y. <paramref name="targets"/> is [rows, O] for MSE and BCE,
    /// <paramref name="labels"/> [rows] class indices for cross-entropy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Evaluate(LossKind loss, ReadOnlySpan<float> y, int rows, int outputs,
        ReadOnlySpan<float> targets, ReadOnlySpan<int> labels, float scale, Span<float> dy)
    {
        double sum = 0;
        switch (loss)
        {
            case LossKind.MeanSquaredError:
                for (int i = 0; i < rows * outputs; i++)
                {
                    float e = y[i] - targets[i];
                    sum += (double)e * e;
                    dy[i] = 2 * e * scale;
                }
                break;
            case LossKind.SoftmaxCrossEntropy:
                for (int m = 0; m < rows; m++)
                {
                    var row = y.Slice(m * outputs, outputs);
                    var d = dy.Slice(m * outputs, outputs);
                    float max = float.NegativeInfinity;
                    foreach (float v in row) max = MathF.Max(max, v);
                    double total = 0;
                    for (int o = 0; o < outputs; o++) total += Math.Exp(row[o] - max);
                    int label = labels[m];
                    sum += Math.Log(total) - (row[label] - max);              // −log softmax[label]
                    for (int o = 0; o < outputs; o++)
                        d[o] = (float)(Math.Exp(row[o] - max) / total - (o == label ? 1 : 0)) * scale;
                }
                break;
            case LossKind.SigmoidBinaryCrossEntropy:
                for (int i = 0; i < rows * outputs; i++)
                {
                    double v = y[i], t = targets[i];
                    sum += Math.Max(v, 0) - v * t + Math.Log(1 + Math.Exp(-Math.Abs(v))); // stable log(1 + e^−|v|) form
                    dy[i] = (float)(1 / (1 + Math.Exp(-v)) - t) * scale;
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(loss));
        }
        return sum;
    }
}

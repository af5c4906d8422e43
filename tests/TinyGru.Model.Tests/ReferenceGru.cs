namespace TinyGru.Model.Tests;

/// <summary>A plain double-precision GRU forward pass over a <see cref="GruModel"/>, written from the equations, for checking imports against reference outputs.</summary>
internal static class ReferenceGru
{
    /// <summary>Runs the sequence <paramref name="x"/> ([T][I]) from a zero state; returns the output of every step and the final hidden states.</summary>
    public static (double[][] Outputs, double[][] FinalStates) Run(GruModel model, float[][] x)
    {
        var states = model.Layers.Select(l => new double[l.HiddenSize]).ToArray();
        var outputs = new double[x.Length][];
        for (int t = 0; t < x.Length; t++)
        {
            double[] input = x[t].Select(v => (double)v).ToArray();
            for (int k = 0; k < model.Layers.Count; k++)
            {
                states[k] = Step(model.Layers[k], model.Convention, input, states[k]);
                input = states[k];
            }
            outputs[t] = model.Head is { } head ? Head(head, input) : input;
        }
        return (outputs, states);
    }

    private static double[] Step(GruLayerSpec layer, GateConvention convention, double[] x, double[] h)
    {
        int hidden = layer.HiddenSize;
        double[] gi = Affine(layer.InputWeights, layer.InputBias, x, 3 * hidden);
        double[] gh = Affine(layer.RecurrentWeights, layer.RecurrentBias, h, 3 * hidden);
        var r = new double[hidden];
        var result = new double[hidden];
        for (int j = 0; j < hidden; j++) r[j] = Sigmoid(gi[j] + gh[j]);
        for (int j = 0; j < hidden; j++)
        {
            double z = Sigmoid(gi[hidden + j] + gh[hidden + j]);
            double n;
            if (convention == GateConvention.ResetAfter)
            {
                n = Math.Tanh(gi[2 * hidden + j] + r[j] * gh[2 * hidden + j]);
            }
            else
            {
                double sum = layer.RecurrentBias[2 * hidden + j];
                for (int i = 0; i < hidden; i++) sum += layer.RecurrentWeights[(2 * hidden + j) * hidden + i] * r[i] * h[i];
                n = Math.Tanh(gi[2 * hidden + j] + sum);
            }
            result[j] = (1 - z) * n + z * h[j];
        }
        return result;
    }

    private static double[] Head(DenseHeadSpec head, double[] h)
    {
        var y = Affine(head.Weight, head.Bias, h, head.OutputSize);
        switch (head.Activation)
        {
            case HeadActivation.Sigmoid: return y.Select(Sigmoid).ToArray();
            case HeadActivation.Tanh: return y.Select(Math.Tanh).ToArray();
            case HeadActivation.Softmax:
                double max = y.Max();
                var e = y.Select(v => Math.Exp(v - max)).ToArray();
                return e.Select(v => v / e.Sum()).ToArray();
            default: return y;
        }
    }

    private static double[] Affine(float[] w, float[] b, double[] x, int rows)
    {
        var y = new double[rows];
        for (int o = 0; o < rows; o++)
        {
            double sum = b[o];
            for (int i = 0; i < x.Length; i++) sum += w[o * x.Length + i] * x[i];
            y[o] = sum;
        }
        return y;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}

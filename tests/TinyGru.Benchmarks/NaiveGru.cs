using TinyGru.Model;

namespace TinyGru.Benchmarks;

/// <summary>
/// The yardstick of docs/benchmarks.md: a straightforward float GRU over float[] with single-accumulator loops and
/// MathF.Exp / MathF.Tanh, as a C# developer would first write it.
/// </summary>
public sealed class NaiveGru
{
    private readonly GruModel _m;
    private readonly float[][] _h;
    private readonly float[] _gx, _gh, _y;

    public NaiveGru(GruModel model)
    {
        _m = model;
        _h = model.Layers.Select(l => new float[l.HiddenSize]).ToArray();
        int max = model.Layers.Max(l => l.HiddenSize);
        _gx = new float[3 * max];
        _gh = new float[3 * max];
        _y = new float[model.OutputSize];
    }

    public void Step(float[] input, float[] output)
    {
        float[] x = input;
        for (int k = 0; k < _h.Length; k++)
        {
            var l = _m.Layers[k];
            int hs = l.HiddenSize, ins = l.InputSize;
            var h = _h[k];
            for (int i = 0; i < 3 * hs; i++)
            {
                float a = l.InputBias[i];
                for (int j = 0; j < ins; j++) a += l.InputWeights[i * ins + j] * x[j];
                _gx[i] = a;
                float b = l.RecurrentBias[i];
                for (int j = 0; j < hs; j++) b += l.RecurrentWeights[i * hs + j] * h[j];
                _gh[i] = b;
            }
            for (int j = 0; j < hs; j++)
            {
                float r = 1f / (1f + MathF.Exp(-(_gx[j] + _gh[j])));
                float z = 1f / (1f + MathF.Exp(-(_gx[hs + j] + _gh[hs + j])));
                float n = MathF.Tanh(_gx[2 * hs + j] + r * _gh[2 * hs + j]);
                h[j] = (1 - z) * n + z * h[j];
            }
            x = h;
        }
        var head = _m.Head!;
        for (int o = 0; o < head.OutputSize; o++)
        {
            float a = head.Bias[o];
            for (int j = 0; j < head.InputSize; j++) a += head.Weight[o * head.InputSize + j] * x[j];
            output[o] = a;
        }
    }
}

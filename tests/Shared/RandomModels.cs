using TinyGru.Model;

namespace TinyGru.Tests;

/// <summary>Random models for property tests (uniform weights in ±scale); shared by the test projects as a linked file.</summary>
internal static class RandomModels
{
    public static GruModel Create(Random rng, GateConvention convention, int inputs, int[] hidden, int outputs, HeadActivation activation, float scale = 0.5f)
    {
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
        var layers = new List<GruLayerSpec>();
        int input = inputs;
        foreach (int h in hidden)
        {
            layers.Add(new GruLayerSpec(input, h, R(3 * h * input), R(3 * h * h), R(3 * h), R(3 * h)));
            input = h;
        }
        var head = new DenseHeadSpec(input, outputs, R(outputs * input), R(outputs), activation);
        return new GruModel(convention, layers, head);
    }
}

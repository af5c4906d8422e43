using TinyGru.Model.Safetensors;

namespace TinyGru.Model.Tests;

/// <summary>Writes PyTorch-style state_dict safetensors files (nn.GRU as 'gru', nn.Linear as 'head') for tests.</summary>
internal sealed class StateDictBuilder
{
    private readonly List<TensorData> _tensors = new();
    private readonly Random _rng = new(7);

    public StateDictBuilder Gru(int inputs, params int[] hidden)
    {
        int input = inputs;
        for (int k = 0; k < hidden.Length; k++)
        {
            int h = hidden[k];
            Add($"gru.weight_ih_l{k}", 3 * h, input);
            Add($"gru.weight_hh_l{k}", 3 * h, h);
            Add($"gru.bias_ih_l{k}", 3 * h);
            Add($"gru.bias_hh_l{k}", 3 * h);
            input = h;
        }
        return this;
    }

    public StateDictBuilder Linear(string module, int outputs, int inputs)
    {
        Add(module + ".weight", outputs, inputs);
        Add(module + ".bias", outputs);
        return this;
    }

    public StateDictBuilder Add(string name, params long[] shape) =>
        Set(name, shape, Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)_rng.NextDouble() - 0.5f).ToArray());

    public StateDictBuilder Set(string name, long[] shape, float[] values)
    {
        _tensors.RemoveAll(t => t.Name == name);
        _tensors.Add(TensorData.FromFloat32(name, shape, values));
        return this;
    }

    public StateDictBuilder Remove(string name)
    {
        _tensors.RemoveAll(t => t.Name == name);
        return this;
    }

    public byte[] Build() => SafetensorsFile.Serialize(_tensors, new Dictionary<string, string> { ["format"] = "pt" });

    public GruModel Load(ImportOptions? options = null) => ModelLoader.Load(Build(), "model.safetensors", options ?? ImportOptions.None, out _);

    public ModelFormatException Fails(ImportOptions? options = null)
    {
        var e = Xunit.Assert.Throws<ModelFormatException>(() => Load(options));
        Xunit.Assert.StartsWith("model.safetensors: ", e.Message);
        return e;
    }
}

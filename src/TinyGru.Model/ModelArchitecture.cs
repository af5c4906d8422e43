using System.Globalization;
using TinyGru.Model.Quantization;

namespace TinyGru.Model;

/// <summary>
/// The function the GRU applies to its reset and update gates. Recorded explicitly in the model file
/// (<c>tinygru.gate_activation</c>, format version 3) because the two hard-sigmoid definitions differ and
/// nothing at run time could tell which one a model was trained with.
/// </summary>
public enum GateActivation
{
    /// <summary>The logistic sigmoid 1 / (1 + e^−x): PyTorch, ONNX's default, Keras' <c>sigmoid</c>.</summary>
    Sigmoid,

    /// <summary>clip(0.2·x + 0.5, 0, 1): Keras 2 and TensorFlow.js <c>hard_sigmoid</c>, ONNX <c>HardSigmoid</c> with its default alpha 0.2, beta 0.5.</summary>
    HardSigmoidKeras2,

    /// <summary>clip(x/6 + 0.5, 0, 1), computed as relu6(x + 3) / 6: Keras 3 <c>hard_sigmoid</c>, ONNX <c>HardSigmoid</c> with alpha 1/6, beta 0.5.</summary>
    HardSigmoidKeras3,
}

/// <summary>Names, parsing and the arithmetic of <see cref="GateActivation"/> and the dense activations.</summary>
public static class Activations
{
    /// <summary>The file-format name: "sigmoid", "hard-sigmoid-keras2" or "hard-sigmoid-keras3".</summary>
    public static string Name(GateActivation a) => a switch
    {
        GateActivation.HardSigmoidKeras2 => "hard-sigmoid-keras2",
        GateActivation.HardSigmoidKeras3 => "hard-sigmoid-keras3",
        _ => "sigmoid",
    };

    /// <summary>Parses a file-format gate activation name.</summary>
    public static bool TryParseGate(string text, out GateActivation activation)
    {
        foreach (GateActivation a in Enum.GetValues(typeof(GateActivation)))
        {
            if (Name(a) == text) { activation = a; return true; }
        }
        activation = GateActivation.Sigmoid;
        return false;
    }

    /// <summary>The gate function in double precision (the reference engines' arithmetic).</summary>
    public static double Gate(GateActivation a, double x) => a switch
    {
        GateActivation.HardSigmoidKeras2 => Math.Min(Math.Max(0.2 * x + 0.5, 0.0), 1.0),
        GateActivation.HardSigmoidKeras3 => Math.Min(Math.Max(x + 3.0, 0.0), 6.0) / 6.0,
        _ => 1.0 / (1.0 + Math.Exp(-x)),
    };

    /// <summary>Applies an element-wise activation (every kind but softmax) to one value in double precision.</summary>
    public static double Elementwise(HeadActivation a, double x) => a switch
    {
        HeadActivation.Relu => x > 0 ? x : 0.0,
        HeadActivation.Sigmoid => 1.0 / (1.0 + Math.Exp(-x)),
        HeadActivation.Tanh => Math.Tanh(x),
        _ => x,
    };

    /// <summary>
    /// Parses a comma-separated list of dense activations ("relu,softmax"), one per dense layer, first to last.
    /// Returns null and sets <paramref name="error"/> when an entry is not an activation name.
    /// </summary>
    public static HeadActivation[]? ParseList(string text, out string? error)
    {
        error = null;
        var parts = (text ?? "").Split(',');
        var result = new HeadActivation[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string p = parts[i].Trim().ToLowerInvariant();
            if (p is "linear" or "identity") p = "none";
            result[i] = TinyGruModelFile.ParseActivation(p, out bool ok);
            if (!ok)
            {
                error = $"entry {i + 1} is '{parts[i].Trim()}'; expected none, relu, tanh, sigmoid or (last only) softmax";
                return null;
            }
        }
        return result;
    }

    /// <summary>"relu,softmax" for a list of activations.</summary>
    public static string FormatList(IEnumerable<HeadActivation> activations) =>
        string.Join(",", activations.Select(TinyGruModelFile.ActivationName));

    internal static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// A token embedding before the first GRU layer: the model's input is one integer token id per step, and the first
/// layer sees row <c>id</c> of the table. Ids outside 0 … V−1 are an <see cref="ArgumentOutOfRangeException"/>.
/// </summary>
public sealed class TokenEmbedding
{
    /// <summary>Creates an embedding. The table is owned by the embedding afterwards and must not be changed.</summary>
    public TokenEmbedding(int vocabularySize, int embeddingSize, float[] table)
    {
        VocabularySize = vocabularySize;
        EmbeddingSize = embeddingSize;
        Table = table ?? throw new ArgumentNullException(nameof(table));
    }

    /// <summary>Number of token ids V (valid ids are 0 … V−1).</summary>
    public int VocabularySize { get; }

    /// <summary>Size of one embedding vector E (the first GRU layer's input size).</summary>
    public int EmbeddingSize { get; }

    /// <summary>E: [V, E] row-major, one row per token id.</summary>
    public float[] Table { get; }

    /// <summary>Number of parameters: V·E.</summary>
    public long ParameterCount => (long)VocabularySize * EmbeddingSize;

    /// <summary>Index in <see cref="Table"/> of row <paramref name="token"/>; throws <see cref="ArgumentOutOfRangeException"/> naming the id and V.</summary>
    public int RowOffset(int token)
    {
        CheckToken(token, VocabularySize);
        return token * EmbeddingSize;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 0 ≤ <paramref name="token"/> &lt; <paramref name="vocabularySize"/>.</summary>
    public static void CheckToken(int token, int vocabularySize)
    {
        if ((uint)token >= (uint)vocabularySize)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id {token} is outside the vocabulary of {vocabularySize} ids (expected 0 to {vocabularySize - 1})");
    }

    /// <summary>
    /// Converts one step's input as a float (how CSV files and <c>float[]</c> sequences carry token ids) to a token id:
    /// it must be a whole number in 0 … V−1.
    /// </summary>
    public int TokenOf(float value)
    {
        if (!(value >= 0f) || value >= VocabularySize || value != (float)Math.Floor(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, $"token id {Activations.Format(value)} is not a whole number from 0 to {VocabularySize - 1} (vocabulary of {VocabularySize} ids)");
        return (int)value;
    }
}

/// <summary>
/// What parts of a model go beyond the original TinyGru model (a GRU stack, one dense head with none/softmax/sigmoid/
/// tanh, sigmoid gates): used at the boundaries of tools that do not support them yet.
/// </summary>
public static class ModelFeatures
{
    /// <summary>
    /// A one-line list of the version-3 architecture features of <paramref name="model"/> (a dense stack, a ReLU head,
    /// a token embedding, hard-sigmoid gates), or null when it has none.
    /// </summary>
    public static string? Extended(GruModel model)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        var parts = new List<string>();
        if (model.HiddenDenseLayers.Count > 0)
            parts.Add($"a head of {model.HiddenDenseLayers.Count + 1} dense layers");
        else if (model.Head?.Activation == HeadActivation.Relu)
            parts.Add("a ReLU head activation");
        if (model.Embedding is { } e) parts.Add($"a token embedding [{e.VocabularySize}, {e.EmbeddingSize}]");
        if (model.GateActivation != GateActivation.Sigmoid) parts.Add($"{Activations.Name(model.GateActivation)} gates");
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }
}

using System.Globalization;

namespace TinyGru.Model.Onnx;

/// <summary>
/// A decoded ONNX graph indexed for lookups: which node produces each value, the initializers, the run-time
/// inputs, the default-domain opset, and typed attribute access whose errors name the file, node and attribute.
/// </summary>
internal sealed class OnnxGraphIndex
{
    private readonly Dictionary<string, OnnxNodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxTensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _runtimeInputs = new(StringComparer.Ordinal);

    public OnnxGraphIndex(string source, OnnxGraphProto graph, long opset)
    {
        Source = source;
        Graph = graph;
        Opset = opset;
        if (graph.SparseInitializerCount > 0)
            throw Fail("graph.sparse_initializer", "sparse initializers are not supported; store weights as dense initializers");
        foreach (var init in graph.Initializers)
        {
            if (init.Name.Length == 0) throw Fail(init.Location, "an initializer has no name");
            if (_initializers.ContainsKey(init.Name)) throw Fail(init.Location, $"two initializers are named '{init.Name}'");
            _initializers.Add(init.Name, init);
        }
        foreach (var node in graph.Nodes)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var a in node.Attributes)
                if (!seen.Add(a.Name)) throw Fail(AttributeLocation(node, a.Name), "the attribute appears twice");
            foreach (var output in node.Outputs)
            {
                if (output.Length == 0) continue;
                if (_initializers.ContainsKey(output))
                    throw Fail(node.Label, $"output '{output}' has the same name as an initializer; ONNX values must have one producer");
                if (_producers.TryGetValue(output, out var other))
                    throw Fail(node.Label, $"output '{output}' is also produced by {other.Label}; ONNX values must have one producer");
                _producers.Add(output, node);
            }
        }
        // Before IR version 4 initializers are listed as graph inputs too; those are constants, not run-time inputs.
        foreach (var input in graph.Inputs)
            if (!_initializers.ContainsKey(input)) _runtimeInputs.Add(input);
    }

    /// <summary>The file name used in messages.</summary>
    public string Source { get; }

    public OnnxGraphProto Graph { get; }

    /// <summary>Version of the default ONNX domain ("" / "ai.onnx") the model imports.</summary>
    public long Opset { get; }

    public bool TryGetProducer(string value, out OnnxNodeProto node) => _producers.TryGetValue(value, out node!);

    public bool TryGetInitializer(string value, out OnnxTensorProto tensor) => _initializers.TryGetValue(value, out tensor!);

    /// <summary>True for a graph input that is not an initializer, i.e. one fed at run time.</summary>
    public bool IsRuntimeInput(string value) => _runtimeInputs.Contains(value);

    /// <summary>True when a node produces <paramref name="value"/> or it is an initializer or graph input.</summary>
    public bool IsDefined(string value) => _producers.ContainsKey(value) || _initializers.ContainsKey(value) || _runtimeInputs.Contains(value);

    /// <summary>The problem text for a value that <see cref="IsDefined"/> rejects.</summary>
    public static string Undefined(string value) => $"'{value}' is not defined: no node produces it and it is neither an initializer nor a graph input";

    /// <summary>True for the default ONNX operator domain.</summary>
    public static bool IsDefaultDomain(string domain) => domain.Length == 0 || domain == "ai.onnx";

    public ModelFormatException Fail(string? location, string problem) => new(Source, location, problem);

    public static string AttributeLocation(OnnxNodeProto node, string attribute) => $"{node.Label}, attribute '{attribute}'";

    public static string InputLocation(OnnxNodeProto node, int index, string role) =>
        $"{node.Label}, input {index.ToString(CultureInfo.InvariantCulture)} ({role} '{node.Inputs[index]}')";

    /// <summary>An INT attribute, or null when absent.</summary>
    public long? Int(OnnxNodeProto node, string name) => Typed(node, name, OnnxAttributeType.Int)?.I;

    /// <summary>A FLOAT attribute, or null when absent.</summary>
    public float? Float(OnnxNodeProto node, string name) => Typed(node, name, OnnxAttributeType.Float)?.F;

    /// <summary>A STRING attribute, or null when absent.</summary>
    public string? String(OnnxNodeProto node, string name) => Typed(node, name, OnnxAttributeType.String)?.S;

    /// <summary>An INTS attribute, or null when absent.</summary>
    public long[]? Ints(OnnxNodeProto node, string name) => Typed(node, name, OnnxAttributeType.Ints)?.Ints.ToArray();

    /// <summary>A STRINGS attribute, or null when absent.</summary>
    public IReadOnlyList<string>? Strings(OnnxNodeProto node, string name) => Typed(node, name, OnnxAttributeType.Strings)?.Strings;

    /// <summary>Throws unless the node has <paramref name="min"/> to <paramref name="max"/> inputs; trailing "" (omitted optional inputs) are not counted.</summary>
    public void ExpectInputs(OnnxNodeProto node, int min, int max)
    {
        int n = node.Inputs.Count;
        while (n > 0 && node.Inputs[n - 1].Length == 0) n--;
        if (n < min || n > max)
            throw Fail(node.Label, min == max ? $"has {n} inputs; expected {min}" : $"has {n} inputs; expected {min} to {max}");
    }

    /// <summary>Throws when the node has an attribute not in <paramref name="known"/>.</summary>
    public void RejectUnknownAttributes(OnnxNodeProto node, params string[] known)
    {
        foreach (var a in node.Attributes)
            if (Array.IndexOf(known, a.Name) < 0)
                throw Fail(AttributeLocation(node, a.Name),
                    known.Length == 0
                        ? $"{node.OpType} takes no attributes"
                        : $"is not an attribute TinyGru understands for {node.OpType}; expected only {string.Join(", ", known)}");
    }

    private OnnxAttributeProto? Typed(OnnxNodeProto node, string name, OnnxAttributeType type)
    {
        var a = node.Attribute(name);
        if (a is null) return null;
        if (a.Type != type)
            throw Fail(AttributeLocation(node, name), $"has type {a.TypeName}; expected {OnnxAttributeProto.NameOf(type)}");
        return a;
    }
}

namespace TinyGru.Model.Tests;

/// <summary>An ONNX AttributeProto for <see cref="OnnxModelBuilder.Node"/>.</summary>
internal sealed record OnnxAttribute(string Name, Action<ProtobufWriter> Write)
{
    public static OnnxAttribute Int(string name, long value) => new(name, w => w.String(1, name).Varint(3, value).Varint(20, 2));

    public static OnnxAttribute Float(string name, float value) => new(name, w => w.String(1, name).Fixed32(2, value).Varint(20, 1));

    public static OnnxAttribute String(string name, string value) => new(name, w => w.String(1, name).String(4, value).Varint(20, 3));

    public static OnnxAttribute Ints(string name, params long[] values) => new(name, w => w.String(1, name).PackedVarints(8, values).Varint(20, 7));

    public static OnnxAttribute Floats(string name, params float[] values) => new(name, w => w.String(1, name).PackedFloats(7, values).Varint(20, 6));

    public static OnnxAttribute Strings(string name, params string[] values) => new(name, w =>
    {
        w.String(1, name);
        foreach (var v in values) w.String(9, v);
        w.Varint(20, 8);
    });

    public static OnnxAttribute Tensor(string name, Action<ProtobufWriter> tensor) => new(name, w => w.String(1, name).Message(5, tensor).Varint(20, 4));
}

/// <summary>Builds small ONNX models (ModelProto bytes) for tests.</summary>
internal sealed class OnnxModelBuilder
{
    private readonly List<Action<ProtobufWriter>> _nodes = new();
    private readonly List<Action<ProtobufWriter>> _initializers = new();
    private readonly List<string> _inputs = new();
    private readonly List<string> _outputs = new();

    public long Opset { get; set; } = 14;

    public string? Producer { get; set; } = "tests";

    public OnnxModelBuilder Input(string name)
    {
        _inputs.Add(name);
        return this;
    }

    public OnnxModelBuilder Output(string name)
    {
        _outputs.Add(name);
        return this;
    }

    public OnnxModelBuilder Node(string opType, string[] inputs, string[] outputs, string? name = null, params OnnxAttribute[] attributes)
    {
        _nodes.Add(w =>
        {
            foreach (var i in inputs) w.String(1, i);
            foreach (var o in outputs) w.String(2, o);
            if (name is not null) w.String(3, name);
            w.String(4, opType);
            foreach (var a in attributes) w.Message(5, a.Write);
        });
        return this;
    }

    public OnnxModelBuilder Floats(string name, long[] dims, float[] values) => RawInitializer(FloatTensor(name, dims, values));

    public OnnxModelBuilder Int64s(string name, long[] dims, long[] values) => RawInitializer(Int64Tensor(name, dims, values));

    public OnnxModelBuilder RawInitializer(Action<ProtobufWriter> tensor)
    {
        _initializers.Add(tensor);
        return this;
    }

    /// <summary>A FLOAT TensorProto with raw_data.</summary>
    public static Action<ProtobufWriter> FloatTensor(string name, long[] dims, float[] values) => w =>
    {
        w.PackedVarints(1, dims).Varint(2, 1).String(8, name);
        w.Bytes(9, values.SelectMany(BitConverter.GetBytes).ToArray());
    };

    /// <summary>An INT64 TensorProto with int64_data.</summary>
    public static Action<ProtobufWriter> Int64Tensor(string name, long[] dims, long[] values) => w =>
        w.PackedVarints(1, dims).Varint(2, 7).PackedVarints(7, values).String(8, name);

    public byte[] Build()
    {
        var model = new ProtobufWriter().Varint(1, 8);
        if (Producer is not null) model.String(2, Producer);
        model.Message(7, g =>
        {
            foreach (var n in _nodes) g.Message(1, n);
            g.String(2, "test");
            foreach (var t in _initializers) g.Message(5, t);
            foreach (var i in _inputs) g.Message(11, v => v.String(1, i));
            foreach (var o in _outputs) g.Message(12, v => v.String(1, o));
        });
        model.Message(8, o => o.String(1, "").Varint(2, Opset));
        return model.ToArray();
    }

    /// <summary>Deterministic small weights.</summary>
    public static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)Math.Round(random.NextDouble() - 0.5, 4)).ToArray();
    }

    /// <summary>
    /// A tf2onnx-style model: x → GRU → Squeeze → Reshape → MatMul → Add → y with 4 inputs, 5 hidden units and
    /// 3 outputs. <paramref name="gruAttributes"/> are added to (or replace) hidden_size = 5 and linear_before_reset = 1.
    /// </summary>
    public static OnnxModelBuilder Gru(params OnnxAttribute[] gruAttributes)
    {
        const int inputs = 4, hidden = 5, outputs = 3;
        var b = new OnnxModelBuilder().Input("x").Output("y");
        b.Floats("W", new long[] { 1, 3 * hidden, inputs }, Values(3 * hidden * inputs, 1));
        b.Floats("R", new long[] { 1, 3 * hidden, hidden }, Values(3 * hidden * hidden, 2));
        b.Floats("B", new long[] { 1, 6 * hidden }, Values(6 * hidden, 3));
        b.Int64s("axis1", new long[] { 1 }, new long[] { 1 });
        b.Int64s("flat", new long[] { 2 }, new long[] { -1, hidden });
        b.Floats("kernel", new long[] { hidden, outputs }, Values(hidden * outputs, 4));
        b.Floats("bias", new long[] { outputs }, Values(outputs, 5));
        var attributes = new List<OnnxAttribute> { OnnxAttribute.Int("hidden_size", hidden), OnnxAttribute.Int("linear_before_reset", 1) };
        attributes.RemoveAll(a => gruAttributes.Any(g => g.Name == a.Name));
        attributes.AddRange(gruAttributes);
        b.Node("GRU", new[] { "x", "W", "R", "B" }, new[] { "Y", "Y_h" }, "gru", attributes.ToArray());
        b.Node("Squeeze", new[] { "Y", "axis1" }, new[] { "S" }, "squeeze");
        b.Node("Reshape", new[] { "S", "flat" }, new[] { "hs" }, "reshape");
        b.Node("MatMul", new[] { "hs", "kernel" }, new[] { "mm" }, "matmul");
        b.Node("Add", new[] { "mm", "bias" }, new[] { "y" }, "add");
        return b;
    }
}

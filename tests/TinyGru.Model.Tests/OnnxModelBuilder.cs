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
    private sealed class NodeSpec
    {
        public string OpType = "";
        public string[] Inputs = Array.Empty<string>();
        public string[] Outputs = Array.Empty<string>();
        public string? Name;
        public string? Domain;
        public OnnxAttribute[] Attributes = Array.Empty<OnnxAttribute>();
    }

    private readonly List<NodeSpec> _nodes = new();
    private readonly List<Action<ProtobufWriter>> _initializers = new();
    private readonly List<string> _inputs = new();
    private readonly List<string> _outputs = new();

    public long Opset { get; set; } = 14;

    public string OpsetDomain { get; set; } = "";

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
        _nodes.Add(new NodeSpec { OpType = opType, Inputs = inputs, Outputs = outputs, Name = name, Attributes = attributes });
        return this;
    }

    /// <summary>Replaces the inputs of the node named <paramref name="name"/>.</summary>
    public OnnxModelBuilder SetInputs(string name, params string[] inputs)
    {
        _nodes.Single(n => n.Name == name).Inputs = inputs;
        return this;
    }

    /// <summary>Changes the op type (and optionally the domain) of the node named <paramref name="name"/>.</summary>
    public OnnxModelBuilder SetOp(string name, string opType, string? domain = null)
    {
        var node = _nodes.Single(n => n.Name == name);
        node.OpType = opType;
        node.Domain = domain;
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
            foreach (var n in _nodes)
            {
                g.Message(1, w =>
                {
                    foreach (var i in n.Inputs) w.String(1, i);
                    foreach (var o in n.Outputs) w.String(2, o);
                    if (n.Name is not null) w.String(3, n.Name);
                    w.String(4, n.OpType);
                    foreach (var a in n.Attributes) w.Message(5, a.Write);
                    if (n.Domain is not null) w.String(7, n.Domain);
                });
            }
            g.String(2, "test");
            foreach (var t in _initializers) g.Message(5, t);
            foreach (var i in _inputs) g.Message(11, v => v.String(1, i));
            foreach (var o in _outputs) g.Message(12, v => v.String(1, o));
        });
        model.Message(8, o => o.String(1, OpsetDomain).Varint(2, Opset));
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

    /// <summary>
    /// What torch.onnx.export writes without constant folding for a 1-layer GRU classifier: PyTorch's r, z, n weights
    /// (<paramref name="wih"/> [3H, I], <paramref name="whh"/> [3H, H], biases [3H]) sliced and concatenated into
    /// ONNX's z, r, h order, a zero initial state shaped from the input at run time, the last step picked by Gather,
    /// and a Gemm head (transB = 1, weight [O, H]) followed by Softmax.
    /// </summary>
    public static OnnxModelBuilder UnfoldedTorchExport(int I, int H, int O, float[] wih, float[] whh, float[] bih, float[] bhh, float[] headW, float[] headB)
    {
        var b = new OnnxModelBuilder().Input("x").Output("y");
        b.Floats("w_ih", new long[] { 3 * H, I }, wih).Floats("w_hh", new long[] { 3 * H, H }, whh);
        b.Floats("b_ih", new long[] { 3 * H }, bih).Floats("b_hh", new long[] { 3 * H }, bhh);
        b.Floats("head_w", new long[] { O, H }, headW).Floats("head_b", new long[] { O }, headB);
        foreach (var (name, value) in new[] { ("c0", 0L), ("cH", H), ("c2H", 2 * H), ("c3H", 3 * H) })
            b.Node("Constant", Array.Empty<string>(), new[] { name }, name, OnnxAttribute.Tensor("value", OnnxModelBuilder.Int64Tensor("", new long[] { 1 }, new[] { value })));
        b.Node("Constant", Array.Empty<string>(), new[] { "axis0" }, "axis0", OnnxAttribute.Ints("value_ints", 0));
        foreach (var source in new[] { "w_ih", "w_hh", "b_ih", "b_hh" })
        {
            b.Node("Slice", new[] { source, "c0", "cH", "axis0" }, new[] { source + "_r" });
            b.Node("Slice", new[] { source, "cH", "c2H", "axis0" }, new[] { source + "_z" });
            b.Node("Slice", new[] { source, "c2H", "c3H", "axis0" }, new[] { source + "_n" });
        }
        b.Node("Concat", new[] { "w_ih_z", "w_ih_r", "w_ih_n" }, new[] { "W2" }, null, OnnxAttribute.Int("axis", 0));
        b.Node("Concat", new[] { "w_hh_z", "w_hh_r", "w_hh_n" }, new[] { "R2" }, null, OnnxAttribute.Int("axis", 0));
        b.Node("Concat", new[] { "b_ih_z", "b_ih_r", "b_ih_n", "b_hh_z", "b_hh_r", "b_hh_n" }, new[] { "B1" }, null, OnnxAttribute.Int("axis", -1));
        b.Node("Unsqueeze", new[] { "W2", "axis0" }, new[] { "W" });
        b.Node("Unsqueeze", new[] { "R2", "axis0" }, new[] { "R" });
        b.Node("Unsqueeze", new[] { "B1", "axis0" }, new[] { "B" });
        // h0 = zeros(1, batch, H) with batch read from the input at run time.
        b.Node("Shape", new[] { "x" }, new[] { "x_shape" });
        b.Node("Constant", Array.Empty<string>(), new[] { "i0" }, null, OnnxAttribute.Int("value_int", 0));
        b.Node("Gather", new[] { "x_shape", "i0" }, new[] { "batch" }, null, OnnxAttribute.Int("axis", 0));
        b.Node("Unsqueeze", new[] { "batch", "axis0" }, new[] { "batch1" });
        b.Node("Constant", Array.Empty<string>(), new[] { "one" }, null, OnnxAttribute.Ints("value_ints", 1));
        b.Node("Constant", Array.Empty<string>(), new[] { "hidden" }, null, OnnxAttribute.Ints("value_ints", H));
        b.Node("Concat", new[] { "one", "batch1", "hidden" }, new[] { "h0_shape" }, null, OnnxAttribute.Int("axis", 0));
        b.Node("ConstantOfShape", new[] { "h0_shape" }, new[] { "h0" }, null,
            OnnxAttribute.Tensor("value", OnnxModelBuilder.FloatTensor("", new long[] { 1 }, new[] { 0f })));

        b.Node("Transpose", new[] { "x" }, new[] { "xt" }, "to_time_major", OnnxAttribute.Ints("perm", 1, 0, 2));
        b.Node("GRU", new[] { "xt", "W", "R", "B", "", "h0" }, new[] { "Y" }, "gru",
            OnnxAttribute.Int("hidden_size", H), OnnxAttribute.Int("linear_before_reset", 1),
            OnnxAttribute.Strings("activations", "Sigmoid", "Tanh"), OnnxAttribute.String("direction", "forward"));
        b.Node("Squeeze", new[] { "Y", "one" }, new[] { "Ys" });
        b.Node("Transpose", new[] { "Ys" }, new[] { "Yb" }, null, OnnxAttribute.Ints("perm", 1, 0, 2));
        b.Node("Constant", Array.Empty<string>(), new[] { "last" }, null, OnnxAttribute.Int("value_int", -1));
        b.Node("Gather", new[] { "Yb", "last" }, new[] { "h_last" }, "last_step", OnnxAttribute.Int("axis", 1));
        b.Node("Gemm", new[] { "h_last", "head_w", "head_b" }, new[] { "logits" }, "head", OnnxAttribute.Int("transB", 1));
        b.Node("Softmax", new[] { "logits" }, new[] { "y" }, "softmax", OnnxAttribute.Int("axis", -1));

        return b;
    }
}

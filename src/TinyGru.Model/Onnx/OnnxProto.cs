using System.Globalization;

namespace TinyGru.Model.Onnx;

// The few ONNX messages (onnx.proto) and fields the importer needs. Decoding is structural only and
// throws ProtobufException; what the values mean is checked by OnnxImporter, which knows the file name.

/// <summary>ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8.</summary>
internal sealed class OnnxModelProto
{
    public long IrVersion { get; private set; }

    public string ProducerName { get; private set; } = "";

    /// <summary>opset_import entries: OperatorSetIdProto domain = 1, version = 2.</summary>
    public List<KeyValuePair<string, long>> Opsets { get; } = new();

    public OnnxGraphProto? Graph { get; private set; }

    public static OnnxModelProto Decode(byte[] bytes)
    {
        var model = new OnnxModelProto();
        var r = new ProtobufReader(bytes, "model");
        while (r.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.ExpectWireType(wire, ProtobufWireType.Varint, "ir_version");
                    model.IrVersion = r.ReadInt64();
                    break;
                case 2:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "producer_name");
                    model.ProducerName = r.ReadString("producer_name");
                    break;
                case 7:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "graph");
                    if (model.Graph is not null) throw r.Invalid(r.Position, "the model has a second 'graph' field");
                    model.Graph = OnnxGraphProto.Decode(r.ReadMessage("graph"));
                    break;
                case 8:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "opset_import");
                    model.Opsets.Add(DecodeOpset(r.ReadMessage(Indexed("opset_import", model.Opsets.Count))));
                    break;
                default:
                    r.SkipField(wire);
                    break;
            }
        }
        return model;
    }

    private static KeyValuePair<string, long> DecodeOpset(ProtobufReader r)
    {
        string domain = "";
        long version = 0;
        while (r.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "domain");
                    domain = r.ReadString("domain");
                    break;
                case 2:
                    r.ExpectWireType(wire, ProtobufWireType.Varint, "version");
                    version = r.ReadInt64();
                    break;
                default:
                    r.SkipField(wire);
                    break;
            }
        }
        return new KeyValuePair<string, long>(domain, version);
    }

    internal static string Indexed(string name, int index) => name + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
}

/// <summary>GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12, sparse_initializer = 15.</summary>
internal sealed class OnnxGraphProto
{
    public string Name { get; private set; } = "";

    public List<OnnxNodeProto> Nodes { get; } = new();

    public List<OnnxTensorProto> Initializers { get; } = new();

    /// <summary>Names of the graph inputs (ValueInfoProto name = 1); before IR version 4 these include initializers.</summary>
    public List<string> Inputs { get; } = new();

    /// <summary>Names of the graph outputs.</summary>
    public List<string> Outputs { get; } = new();

    public int SparseInitializerCount { get; private set; }

    public static OnnxGraphProto Decode(ProtobufReader r)
    {
        var graph = new OnnxGraphProto();
        while (r.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "node");
                    int index = graph.Nodes.Count;
                    graph.Nodes.Add(OnnxNodeProto.Decode(r.ReadMessage(OnnxModelProto.Indexed("graph.node", index)), index));
                    break;
                case 2:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "name");
                    graph.Name = r.ReadString("the graph name");
                    break;
                case 5:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "initializer");
                    string location = OnnxModelProto.Indexed("graph.initializer", graph.Initializers.Count);
                    graph.Initializers.Add(OnnxTensorProto.Decode(r.ReadMessage(location)));
                    break;
                case 11:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "input");
                    graph.Inputs.Add(DecodeValueInfoName(r.ReadMessage(OnnxModelProto.Indexed("graph.input", graph.Inputs.Count))));
                    break;
                case 12:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "output");
                    graph.Outputs.Add(DecodeValueInfoName(r.ReadMessage(OnnxModelProto.Indexed("graph.output", graph.Outputs.Count))));
                    break;
                case 15:
                    graph.SparseInitializerCount++;
                    r.SkipField(wire);
                    break;
                default:
                    r.SkipField(wire);
                    break;
            }
        }
        return graph;
    }

    private static string DecodeValueInfoName(ProtobufReader r)
    {
        string name = "";
        while (r.TryReadTag(out int field, out var wire))
        {
            if (field == 1)
            {
                r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "name");
                name = r.ReadString("the value name");
            }
            else
            {
                r.SkipField(wire); // the type is not needed: shapes are checked along the path instead
            }
        }
        return name;
    }
}

/// <summary>NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.</summary>
internal sealed class OnnxNodeProto
{
    private OnnxNodeProto(int index) => Index = index;

    /// <summary>Position in graph.node.</summary>
    public int Index { get; }

    public string Name { get; private set; } = "";

    public string OpType { get; private set; } = "";

    public string Domain { get; private set; } = "";

    /// <summary>Input value names; "" marks an omitted optional input.</summary>
    public List<string> Inputs { get; } = new();

    public List<string> Outputs { get; } = new();

    public List<OnnxAttributeProto> Attributes { get; } = new();

    /// <summary>How messages name the node: "node 'name' (OpType)", or by index when unnamed.</summary>
    public string Label => Name.Length > 0
        ? $"node '{Name}' ({OpType})"
        : $"node #{Index.ToString(CultureInfo.InvariantCulture)} ({OpType})";

    /// <summary>The non-empty input at <paramref name="index"/>, or null when absent or omitted.</summary>
    public string? InputOrNull(int index) => index < Inputs.Count && Inputs[index].Length > 0 ? Inputs[index] : null;

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public OnnxAttributeProto? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    public static OnnxNodeProto Decode(ProtobufReader r, int index)
    {
        var node = new OnnxNodeProto(index);
        while (r.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "input");
                    node.Inputs.Add(r.ReadString("an input name"));
                    break;
                case 2:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "output");
                    node.Outputs.Add(r.ReadString("an output name"));
                    break;
                case 3:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "name");
                    node.Name = r.ReadString("the node name");
                    break;
                case 4:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "op_type");
                    node.OpType = r.ReadString("op_type");
                    break;
                case 5:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "attribute");
                    string location = OnnxModelProto.Indexed(r.Location + ".attribute", node.Attributes.Count);
                    node.Attributes.Add(OnnxAttributeProto.Decode(r.ReadMessage(location)));
                    break;
                case 7:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "domain");
                    node.Domain = r.ReadString("domain");
                    break;
                default:
                    r.SkipField(wire);
                    break;
            }
        }
        return node;
    }
}

/// <summary>AttributeProto.AttributeType values.</summary>
internal enum OnnxAttributeType
{
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensor = 11,
    SparseTensors = 12,
    TypeProto = 13,
    TypeProtos = 14,
}

/// <summary>AttributeProto: name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8, strings = 9, type = 20.</summary>
internal sealed class OnnxAttributeProto
{
    public string Name { get; private set; } = "";

    public OnnxAttributeType Type { get; private set; }

    public float F { get; private set; }

    public long I { get; private set; }

    public string S { get; private set; } = "";

    public OnnxTensorProto? T { get; private set; }

    public List<float> Floats { get; } = new();

    public List<long> Ints { get; } = new();

    public List<string> Strings { get; } = new();

    /// <summary>The type's name as onnx.proto spells it (FLOAT, INTS, ...).</summary>
    public string TypeName => NameOf(Type);

    public static string NameOf(OnnxAttributeType type) => type switch
    {
        OnnxAttributeType.SparseTensor => "SPARSE_TENSOR",
        OnnxAttributeType.SparseTensors => "SPARSE_TENSORS",
        OnnxAttributeType.TypeProto => "TYPE_PROTO",
        OnnxAttributeType.TypeProtos => "TYPE_PROTOS",
        _ when Enum.IsDefined(typeof(OnnxAttributeType), type) => type.ToString().ToUpperInvariant(),
        _ => "type " + ((int)type).ToString(CultureInfo.InvariantCulture),
    };

    public static OnnxAttributeProto Decode(ProtobufReader r)
    {
        var a = new OnnxAttributeProto();
        while (r.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "name");
                    a.Name = r.ReadString("the attribute name");
                    break;
                case 2:
                    r.ExpectWireType(wire, ProtobufWireType.Fixed32, "f");
                    a.F = r.ReadFloat();
                    break;
                case 3:
                    r.ExpectWireType(wire, ProtobufWireType.Varint, "i");
                    a.I = r.ReadInt64();
                    break;
                case 4:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "s");
                    a.S = r.ReadString("attribute string 's'");
                    break;
                case 5:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "t");
                    if (a.T is not null) throw r.Invalid(r.Position, "the attribute has a second 't' field");
                    a.T = OnnxTensorProto.Decode(r.ReadMessage(r.Location + ".t"));
                    break;
                case 7:
                    r.ReadRepeatedFloat(wire, "floats", a.Floats);
                    break;
                case 8:
                    r.ReadRepeatedVarint(wire, "ints", a.Ints);
                    break;
                case 9:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "strings");
                    a.Strings.Add(r.ReadString("an attribute string"));
                    break;
                case 20:
                    r.ExpectWireType(wire, ProtobufWireType.Varint, "type");
                    a.Type = (OnnxAttributeType)r.ReadInt32();
                    break;
                default:
                    r.SkipField(wire);
                    break;
            }
        }
        return a;
    }
}

/// <summary>
/// TensorProto: dims = 1, data_type = 2, segment = 3, float_data = 4, int32_data = 5, string_data = 6,
/// int64_data = 7, name = 8, raw_data = 9, double_data = 10, uint64_data = 11, external_data = 13, data_location = 14.
/// </summary>
internal sealed class OnnxTensorProto
{
    private OnnxTensorProto(string location) => Location = location;

    /// <summary>Where the tensor is in the file, e.g. "graph.initializer[2]".</summary>
    public string Location { get; }

    public string Name { get; private set; } = "";

    public List<long> Dims { get; } = new();

    public int DataType { get; private set; }

    public ArraySegment<byte>? RawData { get; private set; }

    public List<float> FloatData { get; } = new();

    /// <summary>int32_data, kept as read (int32 and smaller types, and float16 bit patterns).</summary>
    public List<long> Int32Data { get; } = new();

    public List<long> Int64Data { get; } = new();

    public List<double> DoubleData { get; } = new();

    /// <summary>True when string_data, uint64_data or segment is present; the importer supports none of them.</summary>
    public bool HasUnsupportedField { get; private set; }

    /// <summary>True when the data lives in another file (data_location = EXTERNAL or external_data entries).</summary>
    public bool IsExternal { get; private set; }

    public static OnnxTensorProto Decode(ProtobufReader r)
    {
        var t = new OnnxTensorProto(r.Location);
        while (r.TryReadTag(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.ReadRepeatedVarint(wire, "dims", t.Dims);
                    break;
                case 2:
                    r.ExpectWireType(wire, ProtobufWireType.Varint, "data_type");
                    t.DataType = r.ReadInt32();
                    break;
                case 4:
                    r.ReadRepeatedFloat(wire, "float_data", t.FloatData);
                    break;
                case 5:
                    r.ReadRepeatedVarint(wire, "int32_data", t.Int32Data);
                    break;
                case 7:
                    r.ReadRepeatedVarint(wire, "int64_data", t.Int64Data);
                    break;
                case 8:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "name");
                    t.Name = r.ReadString("the tensor name");
                    break;
                case 9:
                    r.ExpectWireType(wire, ProtobufWireType.LengthDelimited, "raw_data");
                    if (t.RawData is not null) throw r.Invalid(r.Position, "the tensor has a second 'raw_data' field");
                    t.RawData = r.ReadBytes();
                    break;
                case 10:
                    r.ReadRepeatedDouble(wire, "double_data", t.DoubleData);
                    break;
                case 3:
                case 6:
                case 11:
                    t.HasUnsupportedField = true;
                    r.SkipField(wire);
                    break;
                case 13:
                    t.IsExternal = true;
                    r.SkipField(wire);
                    break;
                case 14:
                    r.ExpectWireType(wire, ProtobufWireType.Varint, "data_location");
                    if (r.ReadInt64() != 0) t.IsExternal = true;
                    break;
                default:
                    r.SkipField(wire);
                    break;
            }
        }
        return t;
    }
}

using System.Globalization;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.Onnx;

/// <summary>
/// Imports a GRU model from an ONNX file (torch.onnx.export, tf2onnx or hand-built graphs). The importer follows
/// the path from the graph input to the first graph output; every node on it must be a forward GRU layer, a layout
/// op, the dense head (MatMul + Add, or Gemm) or the head's activation, and anything else is rejected with a
/// <see cref="ModelFormatException"/> naming the file, the node and what was expected. See docs/onnx-import.md.
/// </summary>
public static class OnnxImporter
{
    /// <summary>True when <paramref name="bytes"/> begin like an ONNX ModelProto (field 1, ir_version, as a varint).</summary>
    public static bool LooksLikeOnnx(byte[] bytes) => bytes.Length > 2 && bytes[0] == 0x08;

    /// <summary>Reads and imports the ONNX file at <paramref name="path"/>; messages name the path.</summary>
    public static GruModel Read(string path) => Load(ModelFileBytes.Read(path), path);

    /// <summary>Imports ONNX model bytes; <paramref name="source"/> (a file name or path) names them in messages and metadata.</summary>
    public static GruModel Load(byte[] bytes, string source)
    {
        if (bytes is null) throw new ArgumentNullException(nameof(bytes));
        if (source is null) throw new ArgumentNullException(nameof(source));
        if (bytes.Length == 0)
            throw new ModelFormatException(source, null, "the file is empty; expected an ONNX model (a protobuf ModelProto)");
        if (SafetensorsFile.LooksLikeSafetensors(bytes))
            throw new ModelFormatException(source, null, "this is a safetensors file, not an ONNX model");

        OnnxModelProto model;
        try
        {
            model = OnnxModelProto.Decode(bytes);
        }
        catch (ProtobufException e)
        {
            throw new ModelFormatException(source, e.Location, e.Problem);
        }

        try
        {
            return new GraphImport(model, source, bytes.Length).Run();
        }
        catch (ModelFormatException e) when (e.FileName is null)
        {
            throw e.WithSource(source); // from ModelValidator, which does not know the file
        }
    }

    /// <summary>The file name without directories, for provenance.</summary>
    internal static string FileNameOf(string source)
    {
        int slash = Math.Max(source.LastIndexOf('/'), source.LastIndexOf('\\'));
        return source.Substring(slash + 1);
    }

    private readonly struct PathStep
    {
        public PathStep(OnnxNodeProto node, int outputIndex)
        {
            Node = node;
            OutputIndex = outputIndex;
        }

        public OnnxNodeProto Node { get; }

        /// <summary>Which of the node's outputs continues the path (for GRU: 0 = Y, 1 = Y_h).</summary>
        public int OutputIndex { get; }
    }

    /// <summary>Where a layer's initial_h comes from when it is a graph input: the input, and the layer slice taken from it.</summary>
    private readonly struct StateSource
    {
        public StateSource(int layer, string input, long? layerSlice, string location)
        {
            Layer = layer;
            Input = input;
            LayerSlice = layerSlice;
            Location = location;
        }

        public int Layer { get; }

        public string Input { get; }

        public long? LayerSlice { get; }

        public string Location { get; }
    }

    private sealed class GraphImport
    {
        private static readonly HashSet<string> LayoutOps = new(StringComparer.Ordinal)
        {
            "Identity", "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Flatten", "Gather", "Slice",
        };

        // Ops that may arrange the graph input for the first GRU; roles of the input's axes are not known yet.
        private static readonly HashSet<string> InputLayoutOps = new(StringComparer.Ordinal)
        {
            "Identity", "Transpose", "Squeeze", "Unsqueeze", "Reshape",
        };

        private static readonly string[] GruAttributes =
        {
            "activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout", "linear_before_reset",
        };

        private const string Supported =
            "supported are a Gather on an embedding table, GRU layers, layout ops (Identity, Transpose, Squeeze, Unsqueeze, Reshape, Flatten, Gather or Slice of the last " +
            "time step, and Concat of the layers' states followed by the last layer's row), dense layers (MatMul and Add, or Gemm) each followed by at most one " +
            "Relu, Tanh or Sigmoid, and a final Softmax, Sigmoid or Tanh";

        private readonly OnnxModelProto _model;
        private readonly string _source;
        private readonly OnnxGraphIndex _graph;
        private readonly OnnxConstantFolder _folder;

        private readonly List<GruLayerSpec> _layers = new();
        private readonly List<OnnxNodeProto> _gruNodes = new();
        private readonly List<StateSource> _stateSources = new();
        private readonly Dictionary<string, bool> _stateOutputs = new(StringComparer.Ordinal);
        private GateConvention? _convention;
        private float[]? _headWeight;
        private float[]? _headBias;
        private int _headInputs;
        private int _headOutputs;
        private HeadActivation? _activation;
        private readonly List<DenseHeadSpec> _finishedDense = new(); // dense layers before the one being imported
        private TokenEmbedding? _embedding;
        private GateActivation? _gateActivation;
        private int _stackedStates;  // > 0 right after a Concat of the layers' Y_h: the next op must pick the last layer's row

        public GraphImport(OnnxModelProto model, string source, int fileBytes)
        {
            _model = model;
            _source = source;
            var graph = model.Graph ?? throw Fail("model", "there is no graph (ModelProto field 7); this is not an ONNX model");
            _graph = new OnnxGraphIndex(source, graph, DefaultOpset());
            // Folding may produce about as many elements as the file has bytes (4× its float count) plus slack for small constants.
            _folder = new OnnxConstantFolder(_graph, fileBytes + (1L << 20));
        }

        private ModelFormatException Fail(string? location, string problem) => new(_source, location, problem);

        public GruModel Run()
        {
            var graph = _graph.Graph;
            if (graph.Outputs.Count == 0) throw Fail("graph", "the graph has no outputs");
            string output = graph.Outputs[0];
            if (_folder.IsConstant(output))
                throw Fail($"graph output '{output}'", "is a constant; it does not depend on any graph input");
            var path = TracePath(output, out string input);
            if (!path.Any(s => s.Node.OpType == "GRU"))
            {
                var other = graph.Nodes.FirstOrDefault(n => n.OpType == "GRU");
                throw Fail("graph", $"no GRU node lies on the path from graph input '{input}' to graph output '{output}'; TinyGru imports GRU models"
                    + (other is null ? "" : $" ({other.Label} does not feed that output)"));
            }

            DataAxis[]? layout = null;
            foreach (var step in path) layout = Apply(step, layout);
            CheckStateInputs(input);
            for (int i = 1; i < graph.Outputs.Count; i++)
            {
                string extra = graph.Outputs[i];
                if (extra != output && !IsStateOutput(extra, 0))
                    throw Fail($"graph output '{extra}'",
                        "is neither the model output (the first graph output) nor a recurrent state output of the GRU layers; TinyGru models have one output");
            }

            if (_stackedStates > 0)
                throw Fail($"graph output '{output}'", "is the Concat of every layer's state; TinyGru's output is one layer's state or the dense head's output (select h_n[-1])");
            DenseHeadSpec? head = null;
            if (_headWeight is not null)
                head = new DenseHeadSpec(_headInputs, _headOutputs, _headWeight, _headBias ?? new float[_headOutputs], _activation ?? HeadActivation.None);
            string file = FileNameOf(_source);
            var provenance = new Dictionary<string, string>(StringComparer.Ordinal) { ["source"] = "onnx", ["file"] = file };
            if (_model.ProducerName.Length > 0) provenance["producer"] = _model.ProducerName;
            int dot = file.LastIndexOf('.');
            var metadata = new ModelMetadata(dot > 0 ? file.Substring(0, dot) : file, ModelTask.Unspecified, null, provenance);
            return new GruModel(_convention!.Value, _layers, head, metadata: metadata,
                hiddenDenseLayers: _finishedDense, embedding: _embedding, gateActivation: _gateActivation ?? GateActivation.Sigmoid);
        }

        private long DefaultOpset()
        {
            var versions = _model.Opsets.Where(o => OnnxGraphIndex.IsDefaultDomain(o.Key)).Select(o => o.Value).ToArray();
            if (versions.Length == 0)
                throw Fail("opset_import", "the model imports no version of the default ONNX operator set (domain '')");
            if (versions.Length > 1) throw Fail("opset_import", "the default ONNX operator set is imported more than once");
            if (versions[0] < 7)
                throw Fail("opset_import", $"opset {versions[0]} is older than 7, the first with today's GRU definition; re-export with a newer opset");
            return versions[0];
        }

        // ---- Finding the path ----

        /// <summary>Walks back from the output along each node's data input to a graph input; returns the nodes input-first.</summary>
        private List<PathStep> TracePath(string output, out string input)
        {
            var steps = new List<PathStep>();
            var visited = new HashSet<string>(StringComparer.Ordinal);
            string value = output;
            while (!_graph.IsRuntimeInput(value))
            {
                if (!visited.Add(value)) throw Fail($"value '{value}'", "the graph has a cycle through this value");
                // Inputs of path nodes are checked to be defined, so only the graph output itself can lack a producer.
                if (!_graph.TryGetProducer(value, out var node))
                    throw Fail($"graph output '{value}'", "is not produced by any node and is not a graph input");
                int data = DataInputOf(node);
                string next = node.Inputs[data];
                if (next.Length == 0) throw Fail(node.Label, "its data input is omitted (an empty name)");
                if (_folder.IsConstant(next))
                    throw Fail(node.Label, $"its data input '{next}' is a constant, so the graph output does not depend on any graph input");
                steps.Add(new PathStep(node, node.Outputs.IndexOf(value)));
                value = next;
            }
            input = value;
            steps.Reverse();
            return steps;
        }

        /// <summary>Index of the input that carries the data along the path; checks that the other inputs are constants.</summary>
        private int DataInputOf(OnnxNodeProto node)
        {
            if (!OnnxGraphIndex.IsDefaultDomain(node.Domain))
                throw Fail(node.Label, $"is in operator domain '{node.Domain}'; TinyGru imports only ops of the default ONNX domain");
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                if (node.Inputs[i].Length > 0 && !_graph.IsDefined(node.Inputs[i]))
                    throw Fail($"{node.Label}, input {i}", OnnxGraphIndex.Undefined(node.Inputs[i]));
            }
            switch (node.OpType)
            {
                case "GRU":
                    _graph.ExpectInputs(node, 3, 6);
                    if (node.InputOrNull(0) is null) throw Fail(node.Label, "has no input X");
                    if (node.Outputs.Count > 2) throw Fail(node.Label, $"has {node.Outputs.Count} outputs; a GRU has Y and Y_h");
                    return 0; // W, R, B, sequence_lens and initial_h are checked when the layer is imported
                case "Identity":
                case "Transpose":
                case "Flatten":
                case "Softmax":
                case "Sigmoid":
                case "Tanh":
                case "Relu":
                case "HardSigmoid":
                    _graph.ExpectInputs(node, 1, 1);
                    return DataFirst(node);
                case "Squeeze":
                case "Unsqueeze":
                    _graph.ExpectInputs(node, 1, 2);
                    return DataFirst(node, "axes");
                case "Reshape":
                    _graph.ExpectInputs(node, 2, 2);
                    return DataFirst(node, "shape");
                case "Gather":
                    _graph.ExpectInputs(node, 2, 2);
                    // Gather(table, ids) with a constant table and run-time ids is an embedding lookup (nn.Embedding).
                    if (_folder.IsConstant(node.Inputs[0]) && !_folder.IsConstant(node.Inputs[1])) return 1;
                    return DataFirst(node, "indices");
                case "Concat":
                    // h_n of a stacked export: Concat of every layer's Y_h, of which the head reads the last row (h_n[-1]).
                    for (int i = 0; i < node.Inputs.Count; i++)
                    {
                        if (!_graph.TryGetProducer(node.Inputs[i], out var p) || p.OpType != "GRU" || p.Outputs.IndexOf(node.Inputs[i]) != 1)
                            throw Fail(OnnxGraphIndex.InputLocation(node, i, "input"),
                                "is not a GRU layer's state output Y_h; TinyGru supports Concat only of the stacked layers' states (h_n), followed by the last layer's row");
                    }
                    return node.Inputs.Count - 1;
                case "Slice":
                    _graph.ExpectInputs(node, 1, 5);
                    return DataFirst(node, "starts", "ends", "axes", "steps");
                case "Gemm":
                    _graph.ExpectInputs(node, 2, 3);
                    return DataFirst(node, "B", "C");
                case "MatMul":
                case "Add":
                {
                    _graph.ExpectInputs(node, 2, 2);
                    bool c0 = _folder.IsConstant(node.Inputs[0]), c1 = _folder.IsConstant(node.Inputs[1]);
                    if (!c0 && !c1)
                    {
                        throw Fail(node.Label, node.OpType == "MatMul"
                            ? "multiplies two values computed from the input; a dense head needs a constant weight matrix"
                            : "adds two values computed from the input (a residual or skip connection), which TinyGru does not support");
                    }
                    if (node.OpType == "MatMul" && c0 && !c1)
                        throw Fail(node.Label, "multiplies a constant by the data from the left; the dense head must be data × weight, with the weight as the second input");
                    return c0 ? 1 : 0;
                }
                default:
                    throw Fail(node.Label, $"{node.OpType} lies on the path from the graph input to the output, but TinyGru cannot import it; {Supported}");
            }
        }

        private int DataFirst(OnnxNodeProto node, params string[] constantRoles)
        {
            for (int i = 1; i < node.Inputs.Count; i++)
            {
                string role = i - 1 < constantRoles.Length ? constantRoles[i - 1] : "input";
                if (node.Inputs[i].Length > 0 && !_folder.IsConstant(node.Inputs[i]))
                    throw Fail(OnnxGraphIndex.InputLocation(node, i, role), "is computed from a graph input at run time; TinyGru needs it to be a constant");
            }
            return 0;
        }

        // ---- Following the path ----

        private DataAxis[]? Apply(PathStep step, DataAxis[]? layout)
        {
            var node = step.Node;
            string op = node.OpType;
            if (op == "GRU")
            {
                if (_headWeight is not null) throw Fail(node.Label, "a GRU layer after the dense head is not supported");
                return ImportLayer(node, step.OutputIndex, layout);
            }
            if (layout is null && op == "Gather" && !_folder.IsConstant(node.Inputs[1]))
            {
                ImportEmbedding(node);
                return null;
            }
            if (layout is not null && op == "Concat") return ImportStackedStates(node, layout);
            if (_stackedStates > 0) return SelectLastLayerState(node, layout!);
            if (layout is null)
            {
                // Before the first GRU the graph input is only arranged into [time, batch, features]; check the op is well formed.
                if (!InputLayoutOps.Contains(op))
                    throw Fail(node.Label, "comes before the first GRU layer, where only Identity, Transpose, Squeeze, Unsqueeze and Reshape may arrange the graph input");
                CheckInputLayoutOp(node);
                return null;
            }
            if (LayoutOps.Contains(op))
            {
                CheckLayoutAttributes(node);
                return OnnxDataLayout.Apply(_graph, _folder, node, layout);
            }
            return op switch
            {
                "MatMul" => ImportMatMulHead(node, layout),
                "Gemm" => ImportGemmHead(node, layout),
                "Add" => ImportBias(node, layout),
                _ => ImportActivation(node, layout),
            };
        }

        private void CheckLayoutAttributes(OnnxNodeProto node)
        {
            switch (node.OpType)
            {
                case "Transpose": _graph.RejectUnknownAttributes(node, "perm"); break;
                case "Squeeze":
                case "Unsqueeze": break; // SqueezeAxesOf checks them
                case "Reshape": _graph.RejectUnknownAttributes(node, "allowzero"); break;
                case "Flatten":
                case "Gather": _graph.RejectUnknownAttributes(node, "axis"); break;
                case "Slice": break; // SliceParametersOf checks them
                default: _graph.RejectUnknownAttributes(node); break;
            }
        }

        private void CheckInputLayoutOp(OnnxNodeProto node)
        {
            CheckLayoutAttributes(node);
            switch (node.OpType)
            {
                case "Transpose":
                    var perm = _graph.Ints(node, "perm");
                    if (perm is not null) OnnxConstantFolder.TransposePermutation(_graph, node, perm.Length);
                    break;
                case "Squeeze":
                case "Unsqueeze":
                    _folder.SqueezeAxesOf(node);
                    break;
                case "Reshape":
                    _folder.FoldIntegers(node.Inputs[1], OnnxGraphIndex.InputLocation(node, 1, "shape"));
                    break;
            }
        }

        // ---- GRU layers ----

        private DataAxis[] ImportLayer(OnnxNodeProto node, int outputIndex, DataAxis[]? layout)
        {
            int k = _layers.Count;
            _graph.RejectUnknownAttributes(node, GruAttributes);
            var gate = GateActivationOf(node);
            if (_gateActivation is { } earlierGate && earlierGate != gate)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "activations"), "differs from the previous GRU layer's; all layers of a TinyGru model share one gate activation");
            _gateActivation = gate;
            if (node.Attribute("clip") is not null)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "clip"), "is not supported; TinyGru's GRU does not clip gate inputs (export without clip)");
            string direction = _graph.String(node, "direction") ?? "forward";
            if (direction != "forward")
            {
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "direction"), direction is "reverse" or "bidirectional"
                    ? $"is '{direction}'; TinyGru runs GRU layers forward in time only (num_directions must be 1)"
                    : $"is '{direction}'; expected 'forward'");
            }
            long gruLayout = _graph.Int(node, "layout") ?? 0;
            if (gruLayout is not (0 or 1)) throw Fail(OnnxGraphIndex.AttributeLocation(node, "layout"), $"is {gruLayout}; expected 0 or 1");
            long linearBeforeReset = _graph.Int(node, "linear_before_reset") ?? 0;
            if (linearBeforeReset is not (0 or 1))
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "linear_before_reset"), $"is {linearBeforeReset}; expected 0 or 1");
            var convention = linearBeforeReset == 1 ? GateConvention.ResetAfter : GateConvention.ResetBefore;
            if (_convention is { } earlier && earlier != convention)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "linear_before_reset"),
                    $"is {linearBeforeReset} but the previous layer's is {(earlier == GateConvention.ResetAfter ? 1 : 0)}; all layers of a TinyGru model use one gate convention");
            _convention = convention;

            var w = Weight(node, 1, "W");
            var r = Weight(node, 2, "R");
            if (r.Rank != 3 || r.Dims[0] != 1 || r.Dims[2] < 1 || r.Dims[1] != 3 * r.Dims[2])
                throw Fail(OnnxGraphIndex.InputLocation(node, 2, "R"), $"has shape {r.ShapeText}; expected [1, 3·hidden_size, hidden_size] (num_directions 1)");
            long h = r.Dims[2];
            if (w.Rank != 3 || w.Dims[0] != 1 || w.Dims[1] != 3 * h || w.Dims[2] < 1)
                throw Fail(OnnxGraphIndex.InputLocation(node, 1, "W"), $"has shape {w.ShapeText}; expected [1, {3 * h}, input_size] for hidden size {h} (from R)");
            long inputs = w.Dims[2];
            long? hiddenSize = _graph.Int(node, "hidden_size");
            if (hiddenSize is not null && hiddenSize != h)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "hidden_size"), $"is {hiddenSize} but W and R have shapes {w.ShapeText} and {r.ShapeText}, i.e. hidden size {h}");
            float[] bias;
            if (node.InputOrNull(3) is null)
            {
                bias = new float[6 * h]; // B is optional and defaults to zeros
            }
            else
            {
                var b = Weight(node, 3, "B");
                if (b.Rank != 2 || b.Dims[0] != 1 || b.Dims[1] != 6 * h)
                    throw Fail(OnnxGraphIndex.InputLocation(node, 3, "B"), $"has shape {b.ShapeText}; expected [1, {6 * h}] (Wb and Rb for hidden size {h})");
                bias = b.Floats!;
            }
            if (node.InputOrNull(4) is not null)
                throw Fail(OnnxGraphIndex.InputLocation(node, 4, "sequence_lens"), "is not supported; TinyGru runs every sequence to its end (export without sequence_lens)");
            var state = InitialState(node, k, gruLayout);
            if (state is { } s) _stateSources.Add(s);

            if (layout is not null) CheckLayerInput(node, layout, gruLayout, inputs);

            int hidden = (int)h, inputSize = (int)inputs;
            _layers.Add(new GruLayerSpec(
                inputSize,
                hidden,
                ToCanonicalGateOrder(w.Floats!, hidden, inputSize, 0),
                ToCanonicalGateOrder(r.Floats!, hidden, hidden, 0),
                ToCanonicalGateOrder(bias, hidden, 1, 0),
                ToCanonicalGateOrder(bias, hidden, 1, 3 * hidden)));
            _gruNodes.Add(node);

            var hiddenAxis = DataAxis.Feature(h);
            var dir = new DataAxis(AxisRole.Direction, 1);
            var batch = new DataAxis(AxisRole.Batch, 1);
            return (outputIndex, gruLayout) switch
            {
                (0, 0) => new[] { DataAxis.Time, dir, batch, hiddenAxis },  // Y
                (0, _) => new[] { batch, DataAxis.Time, dir, hiddenAxis },
                (_, 0) => new[] { dir, batch, hiddenAxis },                  // Y_h
                _ => new[] { batch, dir, hiddenAxis },
            };
        }

        private OnnxTensor Weight(OnnxNodeProto node, int index, string role)
        {
            string location = OnnxGraphIndex.InputLocation(node, index, role);
            var t = _folder.Fold(node.Inputs[index], location);
            if (t.Floats is null)
                throw Fail(location, $"is {t.Describe()}; expected floating-point weights (quantized GRUs are not supported)");
            return t;
        }

        private void CheckLayerInput(OnnxNodeProto node, DataAxis[] layout, long gruLayout, long inputs)
        {
            int timeAxis = gruLayout == 0 ? 0 : 1;
            string expected = gruLayout == 0 ? $"[time, batch, features({inputs})]" : $"[batch, time, features({inputs})]";
            bool ok = layout.Length == 3 && layout[timeAxis].Role == AxisRole.Time && layout[1 - timeAxis].IsUnit
                && layout[2].Size == inputs && (layout[2].Role == AxisRole.Feature || inputs == 1);
            if (!ok)
                throw Fail(OnnxGraphIndex.InputLocation(node, 0, "X"), $"has layout {OnnxDataLayout.Format(layout)}; expected {expected}, the previous layer's full output sequence");
        }

        /// <summary>
        /// ONNX stores gate blocks as z, r, h; TinyGru (like PyTorch) as r, z, n. Copies the 3·H rows of
        /// <paramref name="rowLength"/> values starting at <paramref name="offset"/> with the first two blocks swapped.
        /// </summary>
        private static float[] ToCanonicalGateOrder(float[] onnx, int hidden, int rowLength, int offset)
        {
            int block = hidden * rowLength;
            var canonical = new float[3 * block];
            Array.Copy(onnx, offset + block, canonical, 0, block);     // r
            Array.Copy(onnx, offset, canonical, block, block);         // z
            Array.Copy(onnx, offset + 2 * block, canonical, 2 * block, block); // n (ONNX "h")
            return canonical;
        }

        /// <summary>
        /// Classifies a layer's initial_h: omitted or all zeros (null), or a graph input that carries the recurrent state
        /// between calls, as torch.onnx.export writes it (h0, or a per-layer Slice of it). TinyGru keeps that state itself.
        /// </summary>
        private StateSource? InitialState(OnnxNodeProto node, int layer, long gruLayout)
        {
            string? name = node.InputOrNull(5);
            if (name is null) return null;
            string location = OnnxGraphIndex.InputLocation(node, 5, "initial_h");
            if (_folder.IsConstant(name))
            {
                var t = _folder.Fold(name, location);
                if (t.Floats is null || t.Floats.Any(v => v != 0f))
                    throw Fail(location, "is a constant that is not all zeros; TinyGru starts from a zero state (or the state it carries between calls)");
                return null;
            }
            string value = name;
            for (int hops = 0; hops < 8; hops++)
            {
                if (_graph.IsRuntimeInput(value)) return new StateSource(layer, value, null, location);
                if (!_graph.TryGetProducer(value, out var p)) break;
                switch (p.OpType)
                {
                    case "Identity" when p.InputOrNull(0) is not null:
                        value = p.Inputs[0];
                        continue;
                    case "ConstantOfShape":
                        var fill = p.Attribute("value")?.T;
                        var fillValue = fill is null ? null : OnnxTensor.FromProto(fill, _source, OnnxGraphIndex.AttributeLocation(p, "value"));
                        if (fillValue is not null && (fillValue.Integers is not null ? fillValue.Integers.Any(v => v != 0) : fillValue.Floats!.Any(v => v != 0f)))
                            throw Fail(location, $"is filled with non-zero values by {p.Label}; TinyGru starts from a zero state");
                        return null;
                    case "Expand" when p.InputOrNull(0) is { } expanded && _folder.IsConstant(expanded):
                        var t = _folder.Fold(expanded, OnnxGraphIndex.InputLocation(p, 0, "input"));
                        if (t.Floats is null || t.Floats.Any(v => v != 0f))
                            throw Fail(location, $"is expanded from a constant that is not all zeros by {p.Label}; TinyGru starts from a zero state");
                        return null;
                    case "Slice" when p.InputOrNull(0) is { } zeros && !_graph.IsRuntimeInput(zeros)
                                      && _graph.TryGetProducer(zeros, out var zeroFill) && zeroFill.OpType == "ConstantOfShape":
                        // torch.onnx.export without h0: one ConstantOfShape of zeros sized from x, sliced per layer.
                        value = zeros;
                        continue;
                    case "Slice" when gruLayout == 0 && p.InputOrNull(0) is { } sliced && _graph.IsRuntimeInput(sliced):
                        // torch.onnx.export gives stacked layers h0[k:k+1] of a [num_layers, batch, hidden] state input.
                        var (starts, ends, axes, steps) = _folder.SliceParametersOf(p);
                        if (starts.Length != 1 || axes[0] != 0 || steps[0] != 1 || ends[0] != starts[0] + 1 || starts[0] < 0)
                            throw Fail(location, $"is sliced from state input '{sliced}' by {p.Label} in a way other than one layer's rows [k:k+1] on axis 0");
                        return new StateSource(layer, sliced, starts[0], location);
                }
                throw Fail(location, $"comes from {p.Label}; initial_h must be omitted, all zeros, or a graph input carrying the recurrent state");
            }
            throw Fail(location, "must be omitted, all zeros, or a graph input carrying the recurrent state");
        }

        private void CheckStateInputs(string dataInput)
        {
            foreach (var s in _stateSources)
            {
                if (s.Input == dataInput)
                    throw Fail(s.Location, $"is the data input '{dataInput}'; the recurrent state must be a separate graph input");
                // TinyGru's state is the layers' states in order, like torch's h0 [num_layers, batch, hidden].
                if (s.LayerSlice is { } slice && slice != s.Layer)
                    throw Fail(s.Location, $"reads rows [{slice}:{slice + 1}] of state input '{s.Input}' but belongs to layer {s.Layer}; expected rows [{s.Layer}:{s.Layer + 1}]");
            }
            foreach (var group in _stateSources.GroupBy(s => s.Input))
            {
                var sources = group.ToList();
                if (sources.Count > 1 && sources.Any(s => s.LayerSlice is null))
                    throw Fail(sources[1].Location, $"state input '{group.Key}' is used whole by one layer and also by another; each layer needs its own state");
            }
        }

        /// <summary>True when <paramref name="value"/> is computed only from imported GRU outputs (and constants), like torch's h output.</summary>
        private bool IsStateOutput(string value, int depth)
        {
            // Memoized: without it, a chain of Concats that each use the previous one twice would take exponential time.
            if (_stateOutputs.TryGetValue(value, out bool known)) return known;
            _stateOutputs[value] = false; // a cycle back to this value is not a state output
            bool result = false;
            if (depth <= 64 && _graph.TryGetProducer(value, out var node))
            {
                if (node.OpType == "GRU") result = _gruNodes.Contains(node);
                else if (node.OpType is "Identity" or "Concat" or "Squeeze" or "Unsqueeze" or "Transpose" or "Reshape")
                    result = node.Inputs.All(i => i.Length == 0 || _folder.IsConstant(i) || IsStateOutput(i, depth + 1));
            }
            _stateOutputs[value] = result;
            return result;
        }

        // ---- Dense head ----

        private DataAxis[] ImportMatMulHead(OnnxNodeProto node, DataAxis[] layout)
        {
            CheckHeadPosition(node);
            _graph.RejectUnknownAttributes(node);
            int hidden = DenseInputWidth;
            CheckHeadInput(node, layout, hidden);
            string location = OnnxGraphIndex.InputLocation(node, 1, "weight");
            var w = _folder.Fold(node.Inputs[1], location);
            if (w.Floats is null || w.Rank != 2 || w.Dims[0] != hidden)
                throw Fail(location, $"is {w.Describe()}; expected a floating-point [{hidden}, outputs] matrix");
            int outputs = (int)w.Dims[1];
            SetHead(w.Floats, hidden, outputs, transposed: true);
            return layout.Take(layout.Length - 1).Append(DataAxis.Feature(outputs)).ToArray();
        }

        private DataAxis[] ImportGemmHead(OnnxNodeProto node, DataAxis[] layout)
        {
            CheckHeadPosition(node);
            _graph.RejectUnknownAttributes(node, "alpha", "beta", "transA", "transB");
            if ((_graph.Int(node, "transA") ?? 0) != 0)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "transA"), "is set; the dense head must multiply the data as given (transA = 0)");
            foreach (string name in new[] { "alpha", "beta" })
            {
                float? v = _graph.Float(node, name);
                if (v is not null && v != 1f)
                    throw Fail(OnnxGraphIndex.AttributeLocation(node, name), $"is {v.Value.ToString("R", CultureInfo.InvariantCulture)}; TinyGru's dense head has no scale factor (expected 1)");
            }
            int hidden = DenseInputWidth;
            if (layout.Length != 2)
                throw Fail(OnnxGraphIndex.InputLocation(node, 0, "A"), $"has layout {OnnxDataLayout.Format(layout)}; Gemm needs a matrix [steps, features({hidden})]");
            CheckHeadInput(node, layout, hidden);
            bool transB = (_graph.Int(node, "transB") ?? 0) != 0;
            string location = OnnxGraphIndex.InputLocation(node, 1, "B");
            var b = _folder.Fold(node.Inputs[1], location);
            if (b.Floats is null || b.Rank != 2 || b.Dims[transB ? 1 : 0] != hidden)
                throw Fail(location, $"is {b.Describe()}; expected a floating-point {(transB ? $"[outputs, {hidden}]" : $"[{hidden}, outputs]")} matrix (transB = {(transB ? 1 : 0)})");
            int outputs = (int)b.Dims[transB ? 0 : 1];
            SetHead(b.Floats, hidden, outputs, transposed: !transB);
            if (node.InputOrNull(2) is { } c) _headBias = Bias(node, 2, "C", c, 2);
            return new[] { layout[0], DataAxis.Feature(outputs) };
        }

        private DataAxis[] ImportBias(OnnxNodeProto node, DataAxis[] layout)
        {
            if (_headWeight is null)
                throw Fail(node.Label, "adds a constant before the dense head; TinyGru supports only the head's bias (Add after MatMul)");
            if (_activation is not null) throw Fail(node.Label, "adds a constant after the head's activation, which TinyGru does not support");
            if (_headBias is not null) throw Fail(node.Label, "adds a second bias to the dense head, which TinyGru does not support");
            _graph.RejectUnknownAttributes(node);
            var last = layout.Length == 0 ? default : layout[layout.Length - 1];
            if (layout.Length == 0 || last.Size != _headOutputs || !(last.Role == AxisRole.Feature || _headOutputs == 1))
                throw Fail(node.Label, $"adds a bias to layout {OnnxDataLayout.Format(layout)}; expected the head outputs (size {_headOutputs}) as the last axis");
            int index = _folder.IsConstant(node.Inputs[0]) ? 0 : 1;
            _headBias = Bias(node, index, "bias", node.Inputs[index], layout.Length);
            return layout;
        }

        /// <summary>A bias that broadcasts along the outputs only: shape [O], [1, …, 1, O], or a single value.</summary>
        private float[] Bias(OnnxNodeProto node, int index, string role, string name, int maxRank)
        {
            string location = OnnxGraphIndex.InputLocation(node, index, role);
            var t = _folder.Fold(name, location);
            bool ok = t.Floats is not null && t.Rank <= maxRank
                && t.Dims.Take(Math.Max(t.Rank - 1, 0)).All(d => d == 1)
                && (t.Rank == 0 || t.Dims[t.Rank - 1] == _headOutputs || t.Dims[t.Rank - 1] == 1);
            if (!ok)
                throw Fail(location, $"is {t.Describe()}; expected a floating-point bias of shape [{_headOutputs}] (or one that broadcasts only along the {_headOutputs} outputs)");
            return t.Floats!.Length == _headOutputs ? t.Floats : Enumerable.Repeat(t.Floats[0], _headOutputs).ToArray();
        }

        /// <summary>A new dense layer: the one imported so far becomes a hidden dense layer.</summary>
        private void CheckHeadPosition(OnnxNodeProto node)
        {
            if (_headWeight is null) return;
            if (_finishedDense.Count + 2 > ModelLimits.MaxDenseLayers)
                throw Fail(node.Label, $"is dense layer {_finishedDense.Count + 2}; TinyGru supports at most {ModelLimits.MaxDenseLayers} dense layers after the GRU layers");
            if (_activation == HeadActivation.Softmax)
                throw Fail(node.Label, "follows a Softmax; softmax is supported only after the last dense layer");
            _finishedDense.Add(new DenseHeadSpec(_headInputs, _headOutputs, _headWeight, _headBias ?? new float[_headOutputs], _activation ?? HeadActivation.None));
            _headWeight = null;
            _headBias = null;
            _activation = null;
        }

        /// <summary>Width of the next dense layer's input: the last GRU layer's H, or the previous dense layer's outputs.</summary>
        private int DenseInputWidth => _finishedDense.Count > 0 ? _finishedDense[_finishedDense.Count - 1].OutputSize : _layers[_layers.Count - 1].HiddenSize;

        private void CheckHeadInput(OnnxNodeProto node, DataAxis[] layout, int hidden)
        {
            var last = layout.Length == 0 ? default : layout[layout.Length - 1];
            if (layout.Length == 0 || last.Size != hidden || !(last.Role == AxisRole.Feature || hidden == 1))
                throw Fail(node.Label, $"multiplies layout {OnnxDataLayout.Format(layout)}; expected the {hidden} {(_finishedDense.Count > 0 ? "outputs of the previous dense layer" : "hidden units of the last GRU layer")} as the last axis");
        }

        private void SetHead(float[] weight, int hidden, int outputs, bool transposed)
        {
            _headInputs = hidden;
            _headOutputs = outputs;
            if (!transposed)
            {
                _headWeight = weight;
                return;
            }
            // MatMul (and Gemm without transB) store [H, O]; TinyGru's head weight is [O, H].
            var w = new float[weight.Length];
            for (int i = 0; i < hidden; i++)
                for (int o = 0; o < outputs; o++)
                    w[o * hidden + i] = weight[i * outputs + o];
            _headWeight = w;
        }

        private DataAxis[] ImportActivation(OnnxNodeProto node, DataAxis[] layout)
        {
            if (_headWeight is null)
                throw Fail(node.Label, $"applies {node.OpType} before any dense layer; TinyGru supports activations only after a dense layer (MatMul and Add, or Gemm)");
            if (_activation is not null)
                throw Fail(node.Label, $"applies {node.OpType} after the dense layer's {_activation}; TinyGru supports one activation per dense layer");
            switch (node.OpType)
            {
                case "Sigmoid":
                    _graph.RejectUnknownAttributes(node);
                    _activation = HeadActivation.Sigmoid;
                    break;
                case "Tanh":
                    _graph.RejectUnknownAttributes(node);
                    _activation = HeadActivation.Tanh;
                    break;
                case "Relu":
                    _graph.RejectUnknownAttributes(node);
                    _activation = HeadActivation.Relu;
                    break;
                case "HardSigmoid":
                    throw Fail(node.Label, "HardSigmoid after a dense layer is not supported; dense layers take Relu, Tanh or Sigmoid, and the last also Softmax (HardSigmoid is supported as a GRU gate activation)");
                default:
                    _graph.RejectUnknownAttributes(node, "axis");
                    CheckSoftmaxAxis(node, layout);
                    _activation = HeadActivation.Softmax;
                    break;
            }
            return layout;
        }

        private void CheckSoftmaxAxis(OnnxNodeProto node, DataAxis[] layout)
        {
            // Softmax-13 normalizes along one axis (default −1); earlier versions over all axes from 'axis' (default 1) on.
            bool perAxis = _graph.Opset >= 13;
            long axisValue = _graph.Int(node, "axis") ?? (perAxis ? -1 : 1);
            int axis = OnnxConstantFolder.NormalizeAxis(_graph, node, axisValue, layout.Length, "axis");
            var covered = perAxis ? new[] { layout[axis] } : layout.Skip(axis).ToArray();
            bool ok = covered.Any(a => a.Role == AxisRole.Feature && a.Size == _headOutputs) || (_headOutputs == 1 && covered.All(a => a.IsUnit));
            if (!ok || covered.Any(a => a.Role == AxisRole.Time) || covered.Count(a => !a.IsUnit) > 1)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "axis"),
                    $"is {axisValue} for layout {OnnxDataLayout.Format(layout)} (opset {_graph.Opset}); TinyGru's softmax runs over the {_headOutputs} head outputs only");
        }

        // ---- Embedding, stacked states, gate activations ----

        /// <summary>Gather(table [V, E], ids) before the first GRU: nn.Embedding as torch.onnx.export writes it.</summary>
        private void ImportEmbedding(OnnxNodeProto node)
        {
            if (_embedding is not null || _layers.Count > 0)
                throw Fail(node.Label, "is a second embedding lookup; TinyGru supports one embedding table before the first GRU layer");
            _graph.RejectUnknownAttributes(node, "axis");
            if ((_graph.Int(node, "axis") ?? 0) != 0)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "axis"), "is not 0; an embedding lookup gathers rows of the table");
            string location = OnnxGraphIndex.InputLocation(node, 0, "data");
            var table = _folder.Fold(node.Inputs[0], location);
            if (table.Floats is null || table.Rank != 2 || table.Dims[0] < 1 || table.Dims[1] < 1)
                throw Fail(location, $"is {table.Describe()}; expected a floating-point embedding table [V, E]");
            _embedding = new TokenEmbedding((int)table.Dims[0], (int)table.Dims[1], table.Floats);
        }

        /// <summary>Concat of every layer's Y_h (torch's h_n): only its last layer's row may be read, by the next op.</summary>
        private DataAxis[] ImportStackedStates(OnnxNodeProto node, DataAxis[] layout)
        {
            _graph.RejectUnknownAttributes(node, "axis");
            if ((_graph.Int(node, "axis") ?? 0) != 0)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "axis"), "is not 0; the stacked states h_n are concatenated along the layer axis");
            if (node.Inputs.Count != _gruNodes.Count)
                throw Fail(node.Label, $"concatenates {node.Inputs.Count} states but the model has {_gruNodes.Count} GRU layers");
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                if (node.Inputs[i] != _gruNodes[i].Outputs[1])
                    throw Fail(OnnxGraphIndex.InputLocation(node, i, "input"), $"is not the state of GRU layer {i}; expected the layers' states in order");
            }
            _stackedStates = node.Inputs.Count;
            return layout; // the last layer's Y_h: [num_directions(1), batch, H]
        }

        /// <summary>The op after a Concat of the states must select the last layer's row: Gather −1 / n−1, or Slice [−1:] / [n−1:] on axis 0.</summary>
        private DataAxis[] SelectLastLayerState(OnnxNodeProto node, DataAxis[] layout)
        {
            int n = _stackedStates;
            _stackedStates = 0;
            string problem = $"reads the stacked states of {n} layers; TinyGru's head reads the last layer's state only (h_n[-1])";
            switch (node.OpType)
            {
                case "Gather":
                {
                    _graph.RejectUnknownAttributes(node, "axis");
                    var index = _folder.Fold(node.Inputs[1], OnnxGraphIndex.InputLocation(node, 1, "indices"));
                    if ((_graph.Int(node, "axis") ?? 0) != 0 || index.Integers is not { Length: 1 } || index.Rank > 1
                        || !(index.Integers[0] == -1 || index.Integers[0] == n - 1))
                        throw Fail(node.Label, problem);
                    return index.Rank == 0 ? layout.Skip(1).ToArray() : layout;
                }
                case "Slice":
                {
                    var (starts, ends, axes, steps) = _folder.SliceParametersOf(node);
                    if (starts.Length != 1 || axes[0] != 0 || steps[0] != 1 || !(starts[0] == -1 || starts[0] == n - 1) || ends[0] < n)
                        throw Fail(node.Label, problem);
                    return layout;
                }
                default:
                    throw Fail(node.Label, problem);
            }
        }

        /// <summary>The GRU's f activation (the gates): Sigmoid, or HardSigmoid with Keras 2's (0.2, 0.5) or Keras 3's (1/6, 0.5); g must be Tanh.</summary>
        private GateActivation GateActivationOf(OnnxNodeProto node)
        {
            var activations = _graph.Strings(node, "activations");
            var alphas = node.Attribute("activation_alpha")?.Floats;
            var betas = node.Attribute("activation_beta")?.Floats;
            string location = OnnxGraphIndex.AttributeLocation(node, "activations");
            if (activations is null)
            {
                if (alphas is { Count: > 0 } || betas is { Count: > 0 })
                    throw Fail(OnnxGraphIndex.AttributeLocation(node, "activation_alpha"), "is set but activations are the defaults [Sigmoid, Tanh], which take no parameters");
                return GateActivation.Sigmoid;
            }
            if (activations.Count != 2 || !string.Equals(activations[1], "Tanh", StringComparison.OrdinalIgnoreCase))
                throw Fail(location, $"is [{string.Join(", ", activations)}]; TinyGru supports [Sigmoid, Tanh] and [HardSigmoid, Tanh] (one direction)");
            if (string.Equals(activations[0], "Sigmoid", StringComparison.OrdinalIgnoreCase))
            {
                if (alphas is { Count: > 0 } || betas is { Count: > 0 })
                    throw Fail(OnnxGraphIndex.AttributeLocation(node, "activation_alpha"), "is set but Sigmoid and Tanh take no parameters");
                return GateActivation.Sigmoid;
            }
            if (!string.Equals(activations[0], "HardSigmoid", StringComparison.OrdinalIgnoreCase))
                throw Fail(location, $"is [{string.Join(", ", activations)}]; the gate activation must be Sigmoid or HardSigmoid");
            float alpha = alphas is { Count: > 0 } ? alphas[0] : 0.2f, beta = betas is { Count: > 0 } ? betas[0] : 0.5f;
            if ((alphas?.Count ?? 0) > 1 || (betas?.Count ?? 0) > 1)
                throw Fail(OnnxGraphIndex.AttributeLocation(node, "activation_alpha"), "has more than one value; only HardSigmoid takes parameters here");
            if (beta == 0.5f && alpha == 0.2f) return GateActivation.HardSigmoidKeras2;
            if (beta == 0.5f && Math.Abs(alpha - 1.0 / 6) < 1e-7) return GateActivation.HardSigmoidKeras3;
            throw Fail(OnnxGraphIndex.AttributeLocation(node, "activation_alpha"),
                $"HardSigmoid(alpha {alpha.ToString("R", CultureInfo.InvariantCulture)}, beta {beta.ToString("R", CultureInfo.InvariantCulture)}) is not supported; expected alpha 0.2 (Keras 2) or 1/6 (Keras 3) with beta 0.5");
        }
    }
}

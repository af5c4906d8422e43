using System.Globalization;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.Onnx;

/// <summary>
/// Evaluates the constant subgraphs exporters put between initializers and the operators that use them
/// (torch.onnx.export without constant folding slices and concatenates PyTorch's weights into ONNX's gate order).
/// Only the data-movement ops found in such subgraphs are evaluated, strictly per the ONNX spec; anything else is
/// "not a constant". Work is bounded: results are memoized, nesting is limited and the total number of elements
/// produced is limited in proportion to the file size, so a small file cannot make the folder allocate a lot.
/// </summary>
internal sealed class OnnxConstantFolder
{
    /// <summary>Deepest chain of constant ops followed.</summary>
    public const int MaxDepth = 256;

    private static readonly HashSet<string> FoldableOps = new(StringComparer.Ordinal)
    {
        "Constant", "Identity", "Transpose", "Slice", "Concat", "Unsqueeze", "Squeeze", "Reshape", "Gather",
    };

    private readonly OnnxGraphIndex _graph;
    private readonly Dictionary<string, int> _heights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxTensor> _folded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private long _elementBudget;

    /// <param name="graph">The graph.</param>
    /// <param name="elementBudget">Most tensor elements folding may produce in total.</param>
    public OnnxConstantFolder(OnnxGraphIndex graph, long elementBudget)
    {
        _graph = graph;
        _elementBudget = elementBudget;
    }

    /// <summary>True when <paramref name="value"/> is an initializer or computed from constants by foldable ops only.</summary>
    public bool IsConstant(string value) => IsConstant(value, 0);

    /// <summary>
    /// The value of a constant; <paramref name="location"/> names the use in the error when it is not one.
    /// </summary>
    public OnnxTensor Fold(string value, string location)
    {
        if (!IsConstant(value))
        {
            throw _graph.Fail(location, _graph.IsDefined(value)
                ? $"'{value}' must be a constant (an initializer or computed from initializers), but it depends on a graph input"
                : OnnxGraphIndex.Undefined(value));
        }
        return FoldChecked(value);
    }

    /// <summary>A constant integer tensor of rank 0 or 1 as a list; <paramref name="location"/> names the use.</summary>
    public long[] FoldIntegers(string value, string location)
    {
        var t = Fold(value, location);
        if (t.Integers is null || t.Rank > 1)
            throw _graph.Fail(location, $"is {t.Describe()}; expected a 1-D INT32 or INT64 tensor");
        return t.Integers;
    }

    private bool IsConstant(string value, int depth) => Height(value, depth) >= 0;

    /// <summary>
    /// Length of the longest chain of ops from <paramref name="value"/> back to initializers (0 for an initializer),
    /// or −1 when it is not a constant. Limiting it to <see cref="MaxDepth"/> also bounds the recursion of folding.
    /// </summary>
    private int Height(string value, int depth)
    {
        if (_heights.TryGetValue(value, out int known)) return known;
        if (_graph.TryGetInitializer(value, out _)) return 0;
        if (!_graph.TryGetProducer(value, out var node)) return -1;
        if (!FoldableOps.Contains(node.OpType) || !OnnxGraphIndex.IsDefaultDomain(node.Domain)) return Remember(value, -1);
        if (depth >= MaxDepth) throw _graph.Fail(node.Label, $"ends a chain of more than {MaxDepth} ops without other inputs, longer than TinyGru follows");
        if (!_inProgress.Add(value)) throw _graph.Fail(node.Label, $"value '{value}' depends on itself (the graph has a cycle)");
        int height = 0;
        foreach (var input in node.Inputs)
        {
            if (input.Length == 0) continue;
            int h = Height(input, depth + 1);
            if (h < 0)
            {
                height = -1;
                break;
            }
            height = Math.Max(height, h);
        }
        _inProgress.Remove(value);
        if (height >= 0) height++;
        if (height > MaxDepth) throw _graph.Fail(node.Label, $"ends a chain of more than {MaxDepth} ops without other inputs, longer than TinyGru follows");
        return Remember(value, height);
    }

    private int Remember(string value, int height)
    {
        _heights[value] = height;
        return height;
    }

    /// <summary>Folds a value known to be constant; recursion is bounded because its height is at most <see cref="MaxDepth"/>.</summary>
    private OnnxTensor FoldChecked(string value)
    {
        if (_folded.TryGetValue(value, out var done)) return done;
        OnnxTensor result;
        if (_graph.TryGetInitializer(value, out var init))
        {
            result = OnnxTensor.FromProto(init, _graph.Source, $"initializer '{value}'");
        }
        else
        {
            if (!_graph.TryGetProducer(value, out var node))
                throw _graph.Fail(null, $"'{value}' is not a constant"); // unreachable: IsConstant is checked first
            if (node.Outputs.Count != 1) throw _graph.Fail(node.Label, $"has {node.Outputs.Count} outputs; {node.OpType} has exactly one");
            result = FoldNode(node);
        }
        _folded[value] = result;
        return result;
    }

    private OnnxTensor Input(OnnxNodeProto node, int index, string role)
    {
        string? name = node.InputOrNull(index);
        if (name is null) throw _graph.Fail(node.Label, $"input {index} ({role}) is missing");
        return Fold(name, OnnxGraphIndex.InputLocation(node, index, role));
    }

    private long[]? OptionalInts(OnnxNodeProto node, int index, string role)
    {
        string? name = node.InputOrNull(index);
        if (name is null) return null;
        var t = Fold(name, OnnxGraphIndex.InputLocation(node, index, role));
        if (t.Integers is null || t.Rank != 1)
            throw _graph.Fail(OnnxGraphIndex.InputLocation(node, index, role), $"is {t.Describe()}; expected a 1-D INT32 or INT64 tensor");
        return t.Integers;
    }

    private OnnxTensor FoldNode(OnnxNodeProto node)
    {
        switch (node.OpType)
        {
            case "Constant": return FoldConstant(node);
            case "Identity":
                _graph.ExpectInputs(node, 1, 1);
                _graph.RejectUnknownAttributes(node);
                return Input(node, 0, "input");
            case "Transpose": return FoldTranspose(node);
            case "Slice": return FoldSlice(node);
            case "Concat": return FoldConcat(node);
            case "Unsqueeze": return FoldUnsqueeze(node);
            case "Squeeze": return FoldSqueeze(node);
            case "Reshape": return FoldReshape(node);
            default: return FoldGather(node);
        }
    }

    private OnnxTensor FoldConstant(OnnxNodeProto node)
    {
        _graph.ExpectInputs(node, 0, 0);
        if (node.Attributes.Count != 1)
            throw _graph.Fail(node.Label, $"has {node.Attributes.Count} attributes; a Constant has exactly one value attribute");
        var a = node.Attributes[0];
        string location = OnnxGraphIndex.AttributeLocation(node, a.Name);
        switch (a.Name)
        {
            case "value":
                var t = a.T ?? throw _graph.Fail(location, $"has type {a.TypeName}; expected TENSOR");
                return OnnxTensor.FromProto(t, _graph.Source, location);
            case "value_float":
                return OnnxTensor.FromFloats(OnnxDataType.Float, Array.Empty<long>(), new[] { _graph.Float(node, a.Name)!.Value });
            case "value_floats":
                return OnnxTensor.FromFloats(OnnxDataType.Float, new long[] { a.Floats.Count }, Typed(node, a, OnnxAttributeType.Floats).Floats.ToArray());
            case "value_int":
                return OnnxTensor.FromIntegers(OnnxDataType.Int64, Array.Empty<long>(), new[] { _graph.Int(node, a.Name)!.Value });
            case "value_ints":
                return OnnxTensor.FromIntegers(OnnxDataType.Int64, new long[] { a.Ints.Count }, _graph.Ints(node, a.Name)!);
            default:
                throw _graph.Fail(location, "is not supported; expected value, value_float, value_floats, value_int or value_ints");
        }
    }

    private OnnxAttributeProto Typed(OnnxNodeProto node, OnnxAttributeProto a, OnnxAttributeType type)
    {
        if (a.Type != type)
            throw _graph.Fail(OnnxGraphIndex.AttributeLocation(node, a.Name), $"has type {a.TypeName}; expected {OnnxAttributeProto.NameOf(type)}");
        return a;
    }

    private OnnxTensor FoldTranspose(OnnxNodeProto node)
    {
        _graph.ExpectInputs(node, 1, 1);
        _graph.RejectUnknownAttributes(node, "perm");
        var data = Input(node, 0, "data");
        int rank = data.Rank;
        var perm = TransposePermutation(_graph, node, rank);
        var strides = Strides(data.Dims);
        var outDims = new long[rank];
        var sourceStrides = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            outDims[i] = data.Dims[perm[i]];
            sourceStrides[i] = strides[perm[i]];
        }
        Charge(node, data.Count);
        return data.Select(outDims, StridedIndex(outDims, sourceStrides, 0, data.Count));
    }

    /// <summary>Transpose's perm (default: reversed axes), checked to be a permutation of the input's axes.</summary>
    public static int[] TransposePermutation(OnnxGraphIndex graph, OnnxNodeProto node, int rank)
    {
        var perm = graph.Ints(node, "perm");
        if (perm is null) return Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank || perm.Any(p => p < 0 || p >= rank) || perm.Distinct().Count() != rank)
            throw graph.Fail(OnnxGraphIndex.AttributeLocation(node, "perm"), $"is {TensorData.FormatShape(perm)}; expected a permutation of the input's {rank} axes");
        return perm.Select(p => (int)p).ToArray();
    }

    /// <summary>A Slice node's starts, ends, axes and steps (inputs since Slice-10, attributes in Slice-1), checked for equal lengths.</summary>
    public SliceParameters SliceParametersOf(OnnxNodeProto node)
    {
        long[] starts, ends;
        long[]? axes, steps;
        if (node.Attribute("starts") is not null)
        {
            _graph.ExpectInputs(node, 1, 1);
            _graph.RejectUnknownAttributes(node, "starts", "ends", "axes");
            starts = _graph.Ints(node, "starts")!;
            ends = _graph.Ints(node, "ends") ?? throw _graph.Fail(node.Label, "has 'starts' but no 'ends' attribute");
            axes = _graph.Ints(node, "axes");
            steps = null;
        }
        else
        {
            _graph.ExpectInputs(node, 3, 5);
            _graph.RejectUnknownAttributes(node);
            starts = OptionalInts(node, 1, "starts")!;
            ends = OptionalInts(node, 2, "ends")!;
            axes = OptionalInts(node, 3, "axes");
            steps = OptionalInts(node, 4, "steps");
        }
        int n = starts.Length;
        if (ends.Length != n || (axes is not null && axes.Length != n) || (steps is not null && steps.Length != n))
            throw _graph.Fail(node.Label, "starts, ends, axes and steps must have the same length");
        return new SliceParameters(starts, ends, axes ?? Enumerable.Range(0, n).Select(i => (long)i).ToArray(), steps ?? Enumerable.Repeat(1L, n).ToArray());
    }

    private OnnxTensor FoldSlice(OnnxNodeProto node)
    {
        var (starts, ends, axes, steps) = SliceParametersOf(node);
        var data = Input(node, 0, "data");
        int rank = data.Rank;
        int n = starts.Length;

        var outDims = (long[])data.Dims.Clone();
        var strides = Strides(data.Dims);
        var sourceStrides = (long[])strides.Clone();
        long offset = 0;
        var seen = new HashSet<int>();
        for (int i = 0; i < n; i++)
        {
            int axis = NormalizeAxis(node, axes[i], rank, "axes");
            if (!seen.Add(axis)) throw _graph.Fail(node.Label, $"slices axis {axis} twice");
            long step = steps[i];
            if (step == 0) throw _graph.Fail(node.Label, "a slice step is 0");
            long dim = data.Dims[axis];
            long start = starts[i], end = ends[i];
            if (start < 0) start += dim;
            if (end < 0) end += dim;
            long count;
            if (step > 0)
            {
                start = Clamp(start, 0, dim);
                end = Clamp(end, 0, dim);
                count = end > start ? (end - start - 1) / step + 1 : 0;
            }
            else
            {
                start = Clamp(start, 0, dim - 1);
                end = Clamp(end, -1, dim - 1);
                long magnitude = step == long.MinValue ? long.MaxValue : -step;
                count = start > end ? (start - end - 1) / magnitude + 1 : 0;
            }
            outDims[axis] = count;
            if (count > 0) offset += start * strides[axis];
            // With one element the stride is never applied; 0 avoids overflow from huge steps.
            sourceStrides[axis] = count > 1 ? strides[axis] * step : 0;
        }
        long total = OnnxTensor.CountElements(outDims, data.Count);
        Charge(node, total);
        return data.Select(outDims, StridedIndex(outDims, sourceStrides, offset, total));
    }

    private OnnxTensor FoldConcat(OnnxNodeProto node)
    {
        _graph.RejectUnknownAttributes(node, "axis");
        if (node.Inputs.Count == 0 || node.Inputs.Any(i => i.Length == 0)) throw _graph.Fail(node.Label, "needs at least one input and no omitted inputs");
        var parts = new List<OnnxTensor>();
        for (int i = 0; i < node.Inputs.Count; i++) parts.Add(Input(node, i, "input"));
        long axisValue = _graph.Int(node, "axis") ?? throw _graph.Fail(node.Label, "has no 'axis' attribute");
        var first = parts[0];
        int rank = first.Rank;
        int axis = NormalizeAxis(node, axisValue, rank, "axis");
        var outDims = (long[])first.Dims.Clone();
        outDims[axis] = 0;
        foreach (var p in parts)
        {
            bool sameKind = (p.Floats is null) == (first.Floats is null);
            if (!sameKind || p.Rank != rank || Enumerable.Range(0, rank).Any(d => d != axis && p.Dims[d] != first.Dims[d]))
                throw _graph.Fail(node.Label, $"cannot concatenate {first.Describe()} and {p.Describe()} on axis {axis}");
            outDims[axis] += p.Dims[axis];
        }
        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= first.Dims[d];
        long inner = 1;
        for (int d = axis + 1; d < rank; d++) inner *= first.Dims[d];
        long total = parts.Sum(p => (long)p.Count);
        Charge(node, total);
        var blocks = parts.Select(p => p.Dims[axis] * inner).ToArray();
        return first.Floats is not null
            ? OnnxTensor.FromFloats(first.DataType, outDims, Interleave(parts.Select(p => p.Floats!).ToArray(), blocks, outer, total))
            : OnnxTensor.FromIntegers(first.DataType, outDims, Interleave(parts.Select(p => p.Integers!).ToArray(), blocks, outer, total));
    }

    private static T[] Interleave<T>(T[][] parts, long[] blocks, long outer, long total)
    {
        var result = new T[total];
        long at = 0;
        for (long o = 0; o < outer; o++)
        {
            for (int p = 0; p < parts.Length; p++)
            {
                Array.Copy(parts[p], o * blocks[p], result, at, blocks[p]);
                at += blocks[p];
            }
        }
        return result;
    }

    /// <summary>Squeeze's or Unsqueeze's axes (empty when absent).</summary>
    public long[] SqueezeAxesOf(OnnxNodeProto node)
    {
        // Squeeze/Unsqueeze-13 take axes as an input; earlier versions as an attribute.
        _graph.RejectUnknownAttributes(node, "axes");
        var fromAttribute = _graph.Ints(node, "axes");
        var fromInput = OptionalInts(node, 1, "axes");
        if (fromAttribute is not null && fromInput is not null) throw _graph.Fail(node.Label, "has axes both as an attribute and as an input");
        return fromAttribute ?? fromInput ?? Array.Empty<long>();
    }

    private OnnxTensor FoldUnsqueeze(OnnxNodeProto node)
    {
        _graph.ExpectInputs(node, 1, 2);
        var data = Input(node, 0, "data");
        var axes = SqueezeAxesOf(node);
        return data.WithDims(UnsqueezeDims(_graph, node, data.Dims, axes));
    }

    /// <summary>Unsqueeze's output dims: size-1 axes inserted at <paramref name="axes"/> of the output.</summary>
    public static long[] UnsqueezeDims(OnnxGraphIndex graph, OnnxNodeProto node, long[] dims, long[] axes)
    {
        if (axes.Length == 0) throw graph.Fail(node.Label, "has no axes to insert");
        int rank = dims.Length + axes.Length;
        var inserted = new bool[rank];
        foreach (long a in axes)
        {
            int axis = NormalizeAxis(graph, node, a, rank, "axes");
            if (inserted[axis]) throw graph.Fail(node.Label, $"inserts axis {axis} twice");
            inserted[axis] = true;
        }
        var result = new long[rank];
        for (int i = 0, j = 0; i < rank; i++) result[i] = inserted[i] ? 1 : dims[j++];
        return result;
    }

    private OnnxTensor FoldSqueeze(OnnxNodeProto node)
    {
        _graph.ExpectInputs(node, 1, 2);
        var data = Input(node, 0, "data");
        var axes = SqueezeAxesOf(node);
        var remove = new bool[data.Rank];
        if (axes.Length == 0)
        {
            for (int i = 0; i < data.Rank; i++) remove[i] = data.Dims[i] == 1;
        }
        foreach (long a in axes)
        {
            int axis = NormalizeAxis(node, a, data.Rank, "axes");
            if (data.Dims[axis] != 1) throw _graph.Fail(node.Label, $"squeezes axis {axis} of {data.Describe()}, which is not of size 1");
            remove[axis] = true;
        }
        return data.WithDims(data.Dims.Where((_, i) => !remove[i]).ToArray());
    }

    private OnnxTensor FoldReshape(OnnxNodeProto node)
    {
        _graph.ExpectInputs(node, 2, 2);
        _graph.RejectUnknownAttributes(node, "allowzero");
        var data = Input(node, 0, "data");
        var shape = OptionalInts(node, 1, "shape")!;
        bool allowZero = (_graph.Int(node, "allowzero") ?? 0) != 0;
        var dims = new long[shape.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = shape[i];
            if (d == 0 && !allowZero)
            {
                if (i >= data.Rank) throw _graph.Fail(node.Label, $"shape entry {i} is 0 (copy the input's size) but the input has rank {data.Rank}");
                d = data.Dims[i];
            }
            if (d == -1)
            {
                if (inferred >= 0) throw _graph.Fail(node.Label, "the shape has more than one -1");
                inferred = i;
                continue;
            }
            if (d < 0) throw _graph.Fail(node.Label, $"shape entry {i} is {d}; expected a size, 0 or -1");
            dims[i] = d;
            known = OnnxTensor.CountElements(new[] { known, d }, data.Count);
        }
        if (inferred >= 0)
        {
            if (known == 0 || data.Count % known != 0)
                throw _graph.Fail(node.Label, $"cannot reshape {data.Describe()} to {TensorData.FormatShape(shape)}");
            dims[inferred] = data.Count / known;
        }
        else if (known != data.Count)
        {
            throw _graph.Fail(node.Label, $"cannot reshape {data.Describe()} to {TensorData.FormatShape(shape)}");
        }
        return data.WithDims(dims);
    }

    private OnnxTensor FoldGather(OnnxNodeProto node)
    {
        _graph.ExpectInputs(node, 2, 2);
        _graph.RejectUnknownAttributes(node, "axis");
        var data = Input(node, 0, "data");
        var indices = Input(node, 1, "indices");
        if (indices.Integers is null) throw _graph.Fail(OnnxGraphIndex.InputLocation(node, 1, "indices"), $"is {indices.Describe()}; expected INT32 or INT64 indices");
        if (data.Rank == 0) throw _graph.Fail(node.Label, "cannot gather from a scalar");
        int axis = NormalizeAxis(node, _graph.Int(node, "axis") ?? 0, data.Rank, "axis");
        long dim = data.Dims[axis];
        var outDims = data.Dims.Take(axis).Concat(indices.Dims).Concat(data.Dims.Skip(axis + 1)).ToArray();
        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= data.Dims[d];
        long inner = 1;
        for (int d = axis + 1; d < data.Rank; d++) inner *= data.Dims[d];
        // Repeated indices can make the output larger than the input: check the budget before allocating.
        long total = OnnxTensor.CountElements(outDims, Math.Max(_elementBudget, 0));
        Charge(node, total);
        var map = new int[total];
        long at = 0;
        for (long o = 0; o < outer; o++)
        {
            foreach (long raw in indices.Integers)
            {
                long index = raw < 0 ? raw + dim : raw;
                if (index < 0 || index >= dim) throw _graph.Fail(node.Label, $"index {raw} is out of range for axis {axis} of size {dim}");
                long start = (o * dim + index) * inner;
                for (long i = 0; i < inner; i++) map[at++] = (int)(start + i);
            }
        }
        return data.Select(outDims, map);
    }

    private void Charge(OnnxNodeProto node, long elements)
    {
        _elementBudget -= elements;
        if (_elementBudget < 0)
            throw _graph.Fail(node.Label, "constant folding would produce more data than the file's size allows; the constant subgraph is not a plausible weight transformation");
    }

    private int NormalizeAxis(OnnxNodeProto node, long axis, int rank, string what) => NormalizeAxis(_graph, node, axis, rank, what);

    /// <summary>An axis in [−rank, rank) made non-negative.</summary>
    public static int NormalizeAxis(OnnxGraphIndex graph, OnnxNodeProto node, long axis, int rank, string what)
    {
        if (axis < -rank || axis >= rank)
            throw graph.Fail(node.Label, $"{what} value {axis.ToString(CultureInfo.InvariantCulture)} is out of range for rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    private static long Clamp(long v, long min, long max) => v < min ? min : v > max ? max : v;

    private static long[] Strides(long[] dims)
    {
        var strides = new long[dims.Length];
        long s = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= dims[i];
        }
        return strides;
    }

    /// <summary>Source index of every output element of a strided view: <paramref name="offset"/> + Σ index[a]·stride[a].</summary>
    private static int[] StridedIndex(long[] outDims, long[] sourceStrides, long offset, long total)
    {
        var map = new int[total];
        if (total == 0) return map;
        int rank = outDims.Length;
        var index = new long[rank];
        long at = offset;
        for (long n = 0; n < total; n++)
        {
            map[n] = (int)at;
            for (int a = rank - 1; a >= 0; a--)
            {
                index[a]++;
                at += sourceStrides[a];
                if (index[a] < outDims[a]) break;
                at -= sourceStrides[a] * outDims[a];
                index[a] = 0;
            }
        }
        return map;
    }
}

/// <summary>A Slice node's parameters, one entry per sliced axis.</summary>
internal readonly struct SliceParameters
{
    public SliceParameters(long[] starts, long[] ends, long[] axes, long[] steps)
    {
        Starts = starts;
        Ends = ends;
        Axes = axes;
        Steps = steps;
    }

    public long[] Starts { get; }

    public long[] Ends { get; }

    public long[] Axes { get; }

    public long[] Steps { get; }

    public void Deconstruct(out long[] starts, out long[] ends, out long[] axes, out long[] steps)
    {
        starts = Starts;
        ends = Ends;
        axes = Axes;
        steps = Steps;
    }
}

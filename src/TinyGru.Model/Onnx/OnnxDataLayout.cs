using System.Globalization;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.Onnx;

/// <summary>What an axis of a value on the data path means.</summary>
internal enum AxisRole
{
    /// <summary>Time steps: length unknown until run time.</summary>
    Time,
    /// <summary>The batch: TinyGru runs one sequence, so size 1.</summary>
    Batch,
    /// <summary>GRU num_directions: always 1 here.</summary>
    Direction,
    /// <summary>An inserted axis of size 1.</summary>
    One,
    /// <summary>Hidden units or head outputs, of known size.</summary>
    Feature,
}

/// <summary>One axis of a data-path value.</summary>
internal readonly struct DataAxis
{
    public DataAxis(AxisRole role, long size)
    {
        Role = role;
        Size = size;
    }

    public static DataAxis Time => new(AxisRole.Time, -1);

    public static DataAxis One => new(AxisRole.One, 1);

    public static DataAxis Feature(long size) => new(AxisRole.Feature, size);

    public AxisRole Role { get; }

    /// <summary>The size; −1 for <see cref="AxisRole.Time"/>.</summary>
    public long Size { get; }

    /// <summary>True for an axis of size 1 (batch, direction, inserted, or a feature axis of size 1).</summary>
    public bool IsUnit => Size == 1;

    public override string ToString() => Role switch
    {
        AxisRole.Time => "time",
        AxisRole.Batch => "batch",
        AxisRole.Direction => "direction",
        AxisRole.One => "1",
        _ => "features(" + Size.ToString(CultureInfo.InvariantCulture) + ")",
    };
}

/// <summary>
/// The meaning of each axis of the value flowing from one GRU layer to the next and on to the output. Layout ops
/// (Transpose, Squeeze, Unsqueeze, Reshape, Flatten, and Gather/Slice of the last time step) are followed
/// symbolically, so that an op which would mix time steps with features, split the features, or pick anything
/// but the last step is rejected instead of silently changing what the model computes. Batch size is 1.
/// </summary>
internal sealed class OnnxDataLayout
{
    /// <summary>Slice ends at or above this mean "to the end" (exporters write INT32_MAX or INT64_MAX).</summary>
    private const long OpenEnd = int.MaxValue;

    private readonly OnnxGraphIndex _graph;
    private readonly OnnxNodeProto _node;

    private OnnxDataLayout(OnnxGraphIndex graph, OnnxNodeProto node)
    {
        _graph = graph;
        _node = node;
    }

    /// <summary>Formats a layout as "[time, batch, features(8)]".</summary>
    public static string Format(IReadOnlyList<DataAxis> axes) => "[" + string.Join(", ", axes.Select(a => a.ToString())) + "]";

    /// <summary>The output layout of layout op <paramref name="node"/> applied to <paramref name="input"/>.</summary>
    public static DataAxis[] Apply(OnnxGraphIndex graph, OnnxConstantFolder folder, OnnxNodeProto node, DataAxis[] input)
    {
        var op = new OnnxDataLayout(graph, node);
        switch (node.OpType)
        {
            case "Identity": return input;
            case "Transpose":
                var perm = OnnxConstantFolder.TransposePermutation(graph, node, input.Length);
                return perm.Select(p => input[p]).ToArray();
            case "Squeeze": return op.Squeeze(input, folder.SqueezeAxesOf(node));
            case "Unsqueeze":
                var dims = OnnxConstantFolder.UnsqueezeDims(graph, node, new long[input.Length], folder.SqueezeAxesOf(node));
                int j = 0;
                return dims.Select(d => d == 1 ? DataAxis.One : input[j++]).ToArray();
            case "Reshape":
                bool allowZero = (graph.Int(node, "allowzero") ?? 0) != 0;
                return op.Reshape(input, folder.FoldIntegers(node.Inputs[1], OnnxGraphIndex.InputLocation(node, 1, "shape")), allowZero);
            case "Flatten": return op.Flatten(input, graph.Int(node, "axis") ?? 1);
            case "Gather": return op.Gather(input, folder.Fold(node.Inputs[1], OnnxGraphIndex.InputLocation(node, 1, "indices")), graph.Int(node, "axis") ?? 0);
            default: return op.Slice(input, folder.SliceParametersOf(node));
        }
    }

    private ModelFormatException Fail(string problem) => _graph.Fail(_node.Label, problem);

    private int Axis(long axis, int rank, string what) => OnnxConstantFolder.NormalizeAxis(_graph, _node, axis, rank, what);

    private DataAxis[] Squeeze(DataAxis[] input, long[] axes)
    {
        var remove = new bool[input.Length];
        if (axes.Length == 0)
        {
            // Without axes every size-1 axis goes; the time axis stays because its length is not known to be 1.
            for (int i = 0; i < input.Length; i++) remove[i] = input[i].IsUnit;
        }
        foreach (long a in axes)
        {
            int axis = Axis(a, input.Length, "axes");
            if (input[axis].Role == AxisRole.Time)
                throw Fail($"squeezes axis {axis}, the time axis of {Format(input)}, whose length is only known at run time");
            if (!input[axis].IsUnit) throw Fail($"squeezes axis {axis} of {Format(input)}, which is not of size 1");
            remove[axis] = true;
        }
        return input.Where((_, i) => !remove[i]).ToArray();
    }

    private DataAxis[] Reshape(DataAxis[] input, long[] shape, bool allowZero)
    {
        string what = $"reshapes {Format(input)} to {TensorData.FormatShape(shape)}";
        int time = Array.FindIndex(input, a => a.Role == AxisRole.Time);
        int feature = Array.FindIndex(input, a => !a.IsUnit && a.Role != AxisRole.Time);
        long features = feature < 0 ? 1 : input[feature].Size;
        if (time >= 0 && feature >= 0 && feature < time)
            throw Fail(what + ", which would interleave time steps and features; the features must come after the time axis");

        var output = new DataAxis?[shape.Length];
        int inferred = -1;
        bool timeCopied = false;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = shape[i];
            if (d == 0 && !allowZero)
            {
                if (i >= input.Length) throw Fail($"{what}: entry {i} is 0 (copy the input's size) but the input has only {input.Length} axes");
                output[i] = input[i];
                if (input[i].Role == AxisRole.Time) timeCopied = true;
                else known *= input[i].Size;
            }
            else if (d == -1)
            {
                if (inferred >= 0) throw Fail(what + ": more than one -1");
                inferred = i;
            }
            else if (d < 1)
            {
                throw Fail($"{what}: entry {i} is {d}; expected a positive size, 0 or -1");
            }
            else
            {
                if (d > features) throw Fail($"{what}: a size of {d} cannot come from {features} features and time steps of batch 1");
                output[i] = d == 1 ? DataAxis.One : DataAxis.Feature(d);
                known *= d;
            }
            if (known > features) throw Fail(what + ": the sizes do not match the input's");
        }

        if (inferred >= 0)
        {
            if (features % known != 0) throw Fail(what + ": the sizes do not divide the input's");
            long rest = features / known;
            bool restHasTime = time >= 0 && !timeCopied;
            if (restHasTime && rest != 1)
                throw Fail(what + ": the inferred axis would merge time steps with features");
            output[inferred] = restHasTime ? DataAxis.Time : rest == 1 ? DataAxis.One : DataAxis.Feature(rest);
        }
        else if (known != features || (time >= 0) != timeCopied)
        {
            throw Fail(what + (time >= 0 && !timeCopied
                ? ": the time axis must be kept (as -1, or 0 to copy it)"
                : ": the sizes do not match the input's"));
        }

        var result = output.Select(a => a!.Value).ToArray();
        int newTime = Array.FindIndex(result, a => a.Role == AxisRole.Time);
        var featureAxes = result.Where(a => !a.IsUnit && a.Role != AxisRole.Time).ToArray();
        if (featureAxes.Length > 1) throw Fail(what + ", which splits the features over several axes");
        int newFeature = Array.FindIndex(result, a => !a.IsUnit && a.Role != AxisRole.Time);
        if (newTime >= 0 && newFeature >= 0 && newFeature < newTime)
            throw Fail(what + ", which would interleave time steps and features; the features must come after the time axis");
        // Features keep their meaning (hidden units or head outputs) when they move to another axis.
        return result.Select(a => !a.IsUnit && a.Role != AxisRole.Time ? DataAxis.Feature(a.Size) : a).ToArray();
    }

    private DataAxis[] Flatten(DataAxis[] input, long axisValue)
    {
        if (axisValue < -input.Length || axisValue > input.Length)
            throw Fail($"axis {axisValue} is out of range for {Format(input)}");
        int axis = (int)(axisValue < 0 ? axisValue + input.Length : axisValue);
        return new[] { Merge(input.Take(axis).ToArray()), Merge(input.Skip(axis).ToArray()) };

        DataAxis Merge(DataAxis[] group)
        {
            bool hasTime = group.Any(a => a.Role == AxisRole.Time);
            var features = group.Where(a => !a.IsUnit && a.Role != AxisRole.Time).ToArray();
            if (hasTime && features.Length > 0) throw Fail($"flattens {Format(input)} at axis {axis}, which would merge time steps with features");
            return hasTime ? DataAxis.Time : features.Length == 1 ? DataAxis.Feature(features[0].Size) : DataAxis.One;
        }
    }

    private DataAxis[] Gather(DataAxis[] input, OnnxTensor indices, long axisValue)
    {
        int axis = Axis(axisValue, input.Length, "axis");
        if (indices.Integers is not { Length: 1 } || indices.Rank > 1)
            throw Fail($"gathers {indices.Describe()} indices; only a single index (the last time step) is supported");
        long index = indices.Integers[0];
        var role = input[axis];
        if (role.Role == AxisRole.Time)
        {
            if (index != -1)
                throw Fail($"selects time step {index}; only the last step (-1) is supported, because TinyGru produces an output at every step");
        }
        else if (!role.IsUnit)
        {
            throw Fail($"selects from axis {axis} ({role}) of {Format(input)}; only the time axis or axes of size 1 may be indexed");
        }
        else if (index != 0 && index != -1)
        {
            throw Fail($"index {index} is out of range for axis {axis} of size 1");
        }
        // A scalar index removes the axis; a one-element index keeps it with size 1.
        return indices.Rank == 0
            ? input.Where((_, i) => i != axis).ToArray()
            : input.Select((a, i) => i == axis ? DataAxis.One : a).ToArray();
    }

    private DataAxis[] Slice(DataAxis[] input, SliceParameters p)
    {
        var output = (DataAxis[])input.Clone();
        for (int i = 0; i < p.Axes.Length; i++)
        {
            int axis = Axis(p.Axes[i], input.Length, "axes");
            long start = p.Starts[i], end = p.Ends[i], step = p.Steps[i];
            var role = input[axis];
            string range = $"[{start}:{end}:{step}]";
            if (step != 1) throw Fail($"slices axis {axis} ({role}) with step {step}; only step 1 is supported");
            if (role.Role == AxisRole.Time)
            {
                if (start == 0 && end >= OpenEnd) continue; // all steps
                if (start == -1 && end >= OpenEnd)
                {
                    output[axis] = DataAxis.One; // the last step
                    continue;
                }
                throw Fail($"slices the time axis {range}; only all steps [0:] or the last step [-1:] are supported, because TinyGru produces an output at every step");
            }
            long size = role.Size;
            long s = Math.Min(Math.Max(start < 0 ? start + size : start, 0), size);
            long e = Math.Min(Math.Max(end < 0 ? end + size : end, 0), size);
            if (s != 0 || e != size)
                throw Fail($"slices axis {axis} ({role}) of {Format(input)} {range}; only slices that keep the whole axis are supported");
        }
        return output;
    }
}

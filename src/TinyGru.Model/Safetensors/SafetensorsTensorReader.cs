using System.Globalization;

namespace TinyGru.Model.Safetensors;

/// <summary>
/// Typed access to the tensors of one <see cref="SafetensorsFile"/> with checks that name the file and tensor:
/// presence, rank, dimensions, dtype and finiteness. Shared by every safetensors-based model reader.
/// </summary>
public sealed class SafetensorsTensorReader
{
    private readonly SafetensorsFile _file;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Wraps a parsed file.</summary>
    public SafetensorsTensorReader(SafetensorsFile file) => _file = file;

    /// <summary>The file's name for messages.</summary>
    public string Source => _file.Source;

    /// <summary>Names of tensors not yet read.</summary>
    public IEnumerable<string> Unused => _file.Tensors.Select(t => t.Name).Where(n => !_used.Contains(n));

    /// <summary>True when the file has the tensor.</summary>
    public bool Has(string name) => _file.TryGet(name, out _);

    /// <summary>The tensor's shape, or null when absent.</summary>
    public IReadOnlyList<long>? ShapeOf(string name) => _file.TryGet(name, out var t) ? t.Shape : null;

    /// <summary>
    /// Reads a floating-point tensor whose shape must equal <paramref name="shape"/>; a null dimension is free and
    /// the actual shape is returned. <paramref name="meaning"/> describes the expected shape in messages, e.g. "[3H, I]".
    /// </summary>
    public float[] Float32(string name, long?[] shape, string meaning, out IReadOnlyList<long> actualShape)
    {
        var tensor = Require(name, meaning);
        actualShape = tensor.Shape;
        if (tensor.Shape.Count != shape.Length)
            throw Fail(name, $"has shape {tensor.ShapeText} (rank {tensor.Shape.Count}); expected {meaning}{Concrete(shape)} (rank {shape.Length})");
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] is long d && tensor.Shape[i] != d)
                throw Fail(name, $"has shape {tensor.ShapeText}; expected {meaning}{Concrete(shape)}");
        if (tensor.DType is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 or TensorDType.F64))
            throw Fail(name, $"has dtype {tensor.DType.Name()}; expected F32 (or F16, BF16, F64)");
        var values = tensor.ToFloat32();
        int bad = FiniteCheck.FirstNonFinite(values);
        if (bad >= 0)
            throw Fail(name, $"element {Index(bad, tensor.Shape)} is {values[bad].ToString("R", CultureInfo.InvariantCulture)}; weights must be finite");
        return values;
    }

    /// <summary>Reads an I8 tensor of exactly <paramref name="shape"/>.</summary>
    public sbyte[] Int8(string name, long[] shape, string meaning) => RequireExact(name, shape, meaning, TensorDType.I8).ToInt8();

    /// <summary>Reads an I32 tensor of exactly <paramref name="shape"/>.</summary>
    public int[] Int32(string name, long[] shape, string meaning) => RequireExact(name, shape, meaning, TensorDType.I32).ToInt32();

    private TensorData RequireExact(string name, long[] shape, string meaning, TensorDType dtype)
    {
        var tensor = Require(name, meaning);
        if (tensor.Shape.Count != shape.Length || tensor.Shape.Where((d, i) => d != shape[i]).Any())
            throw Fail(name, $"has shape {tensor.ShapeText}; expected {meaning} = {TensorData.FormatShape(shape)}");
        if (tensor.DType != dtype)
            throw Fail(name, $"has dtype {tensor.DType.Name()}; expected {dtype.Name()}");
        return tensor;
    }

    /// <summary>Reads a floating-point tensor of exactly <paramref name="shape"/>.</summary>
    public float[] Float32(string name, long?[] shape, string meaning) => Float32(name, shape, meaning, out _);

    private TensorData Require(string name, string meaning)
    {
        if (!_file.TryGet(name, out var tensor))
            throw Fail(name, $"is missing; expected a tensor of shape {meaning}");
        _used.Add(name);
        return tensor;
    }

    /// <summary>An error naming this file and the tensor.</summary>
    public ModelFormatException Fail(string tensor, string problem) => new(_file.Source, $"tensor '{tensor}'", problem);

    /// <summary>An error naming this file and a metadata key.</summary>
    public ModelFormatException FailMetadata(string key, string problem) => new(_file.Source, $"metadata '{key}'", problem);

    private static string Concrete(long?[] shape) =>
        shape.All(d => d is not null) ? " = " + TensorData.FormatShape(shape.Select(d => d!.Value)) : "";

    private static string Index(int flat, IReadOnlyList<long> shape)
    {
        var idx = new long[shape.Count];
        long rest = flat;
        for (int i = shape.Count - 1; i >= 0; i--)
        {
            idx[i] = shape[i] == 0 ? 0 : rest % shape[i];
            rest = shape[i] == 0 ? 0 : rest / shape[i];
        }
        return TensorData.FormatShape(idx);
    }
}

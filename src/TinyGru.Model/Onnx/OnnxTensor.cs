using System.Globalization;
using TinyGru.Model.Safetensors;

namespace TinyGru.Model.Onnx;

/// <summary>TensorProto.DataType values the importer decodes, and names for all of them in messages.</summary>
internal static class OnnxDataType
{
    public const int Float = 1;
    public const int Int8 = 3;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int Float16 = 10;
    public const int Double = 11;
    public const int BFloat16 = 16;

    private static readonly string[] Names =
    {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16",
        "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
        "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1",
    };

    public static string Name(int type) =>
        type >= 0 && type < Names.Length ? Names[type] : type.ToString(CultureInfo.InvariantCulture) + " (unknown)";

    public static bool IsFloatingPoint(int type) => type is Float or Float16 or Double or BFloat16;
}

/// <summary>
/// A decoded constant tensor: dimensions and either float values (FLOAT, FLOAT16, BFLOAT16, DOUBLE) or integer
/// values (INT8, INT32, INT64). Values are row-major; a rank-0 tensor has one value.
/// </summary>
internal sealed class OnnxTensor
{
    /// <summary>Most dimensions accepted in one tensor.</summary>
    public const int MaxRank = 8;

    private OnnxTensor(int dataType, long[] dims, float[]? floats, long[]? integers)
    {
        DataType = dataType;
        Dims = dims;
        Floats = floats;
        Integers = integers;
    }

    public static OnnxTensor FromFloats(int dataType, long[] dims, float[] values) => new(dataType, dims, values, null);

    public static OnnxTensor FromIntegers(int dataType, long[] dims, long[] values) => new(dataType, dims, null, values);

    /// <summary>The ONNX data type the values came from.</summary>
    public int DataType { get; }

    public long[] Dims { get; }

    /// <summary>Values of a floating-point tensor, else null.</summary>
    public float[]? Floats { get; }

    /// <summary>Values of an integer tensor, else null.</summary>
    public long[]? Integers { get; }

    public int Rank => Dims.Length;

    public int Count => Floats?.Length ?? Integers!.Length;

    public string ShapeText => TensorData.FormatShape(Dims);

    public string Describe() => OnnxDataType.Name(DataType) + " " + ShapeText;

    /// <summary>A tensor of the same kind with other dimensions and the values picked by <paramref name="sourceIndex"/>.</summary>
    public OnnxTensor Select(long[] dims, int[] sourceIndex)
    {
        if (Floats is { } f)
        {
            var values = new float[sourceIndex.Length];
            for (int i = 0; i < values.Length; i++) values[i] = f[sourceIndex[i]];
            return FromFloats(DataType, dims, values);
        }
        var ints = new long[sourceIndex.Length];
        for (int i = 0; i < ints.Length; i++) ints[i] = Integers![sourceIndex[i]];
        return FromIntegers(DataType, dims, ints);
    }

    /// <summary>The same values with other dimensions (same element count).</summary>
    public OnnxTensor WithDims(long[] dims) => new(DataType, dims, Floats, Integers);

    /// <summary>Decodes a TensorProto's values; every problem is a <see cref="ModelFormatException"/> naming <paramref name="location"/>.</summary>
    public static OnnxTensor FromProto(OnnxTensorProto proto, string source, string location)
    {
        ModelFormatException Fail(string problem) => new(source, location, problem);

        if (proto.IsExternal)
            throw Fail("the tensor's data is stored in an external file (data_location = EXTERNAL); TinyGru imports only self-contained .onnx files — re-save the model with all tensors inside the file");
        if (proto.HasUnsupportedField)
            throw Fail($"the tensor uses segment, string_data or uint64_data, which TinyGru does not read");
        int type = proto.DataType;
        bool floating = OnnxDataType.IsFloatingPoint(type);
        if (!floating && type is not (OnnxDataType.Int8 or OnnxDataType.Int32 or OnnxDataType.Int64))
            throw Fail($"data_type is {OnnxDataType.Name(type)}, which TinyGru does not read; expected FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8, INT32 or INT64");
        if (proto.Dims.Count > MaxRank)
            throw Fail($"the tensor has {proto.Dims.Count} dimensions; at most {MaxRank} are supported");
        var dims = proto.Dims.ToArray();
        if (dims.Any(d => d < 0)) throw Fail($"dims {TensorData.FormatShape(dims)} contain a negative size");

        // Count the values actually stored before allocating anything, so that dims cannot make us allocate more than the file holds.
        int stored = StoredCount(proto, type, out string field, Fail);
        long expected = CountElements(dims, int.MaxValue);
        if (expected != stored)
        {
            string needed = expected > int.MaxValue ? "more than " + int.MaxValue.ToString(CultureInfo.InvariantCulture) : expected.ToString(CultureInfo.InvariantCulture);
            throw Fail($"{OnnxDataType.Name(type)} tensor of shape {TensorData.FormatShape(dims)} has {needed} elements but {field} holds {stored} values");
        }

        if (proto.RawData is { } raw)
        {
            var bytes = raw.Array!;
            string name = proto.Name;
            long[] shape = { stored };
            switch (type)
            {
                case OnnxDataType.Float: return FromFloats(type, dims, new TensorData(name, TensorDType.F32, shape, bytes, raw.Offset, raw.Count).ToFloat32());
                case OnnxDataType.Double: return FromFloats(type, dims, new TensorData(name, TensorDType.F64, shape, bytes, raw.Offset, raw.Count).ToFloat32());
                case OnnxDataType.Float16: return FromFloats(type, dims, new TensorData(name, TensorDType.F16, shape, bytes, raw.Offset, raw.Count).ToFloat32());
                case OnnxDataType.BFloat16: return FromFloats(type, dims, new TensorData(name, TensorDType.BF16, shape, bytes, raw.Offset, raw.Count).ToFloat32());
                case OnnxDataType.Int8: return FromIntegers(type, dims, new TensorData(name, TensorDType.I8, shape, bytes, raw.Offset, raw.Count).ToInt8().Select(v => (long)v).ToArray());
                case OnnxDataType.Int32: return FromIntegers(type, dims, new TensorData(name, TensorDType.I32, shape, bytes, raw.Offset, raw.Count).ToInt32().Select(v => (long)v).ToArray());
                default: return FromIntegers(type, dims, new TensorData(name, TensorDType.I64, shape, bytes, raw.Offset, raw.Count).ToInt64());
            }
        }

        switch (type)
        {
            case OnnxDataType.Float:
                return FromFloats(type, dims, proto.FloatData.ToArray());
            case OnnxDataType.Double:
                return FromFloats(type, dims, proto.DoubleData.Select(v => (float)v).ToArray());
            case OnnxDataType.Float16:
            case OnnxDataType.BFloat16:
            {
                // int32_data holds the 16-bit patterns, one per element.
                var values = new float[stored];
                for (int i = 0; i < stored; i++)
                {
                    long bits = proto.Int32Data[i];
                    if (bits < 0 || bits > ushort.MaxValue)
                        throw Fail($"int32_data[{i}] is {bits}; a {OnnxDataType.Name(type)} bit pattern must be 0 to 65535");
                    values[i] = type == OnnxDataType.Float16
                        ? TensorData.HalfToSingle((ushort)bits)
                        : TensorData.Int32BitsToSingle((int)bits << 16);
                }
                return FromFloats(type, dims, values);
            }
            case OnnxDataType.Int8:
            case OnnxDataType.Int32:
            {
                long min = type == OnnxDataType.Int8 ? sbyte.MinValue : int.MinValue;
                long max = type == OnnxDataType.Int8 ? sbyte.MaxValue : int.MaxValue;
                var values = proto.Int32Data.ToArray();
                for (int i = 0; i < values.Length; i++)
                    if (values[i] < min || values[i] > max)
                        throw Fail($"int32_data[{i}] is {values[i]}, outside the range of {OnnxDataType.Name(type)}");
                return FromIntegers(type, dims, values);
            }
            default:
                return FromIntegers(type, dims, proto.Int64Data.ToArray());
        }
    }

    /// <summary>The product of non-negative <paramref name="dims"/>, or <paramref name="limit"/> + 1 when it exceeds <paramref name="limit"/> (no overflow).</summary>
    public static long CountElements(IReadOnlyList<long> dims, long limit)
    {
        if (dims.Any(d => d == 0)) return 0;
        long product = 1;
        foreach (long d in dims)
        {
            if (d > limit / product) return limit + 1;
            product *= d;
        }
        return product > limit ? limit + 1 : product;
    }

    private static int StoredCount(OnnxTensorProto proto, int type, out string field, Func<string, ModelFormatException> fail)
    {
        string? typedField = type switch
        {
            OnnxDataType.Float => proto.FloatData.Count > 0 ? "float_data" : null,
            OnnxDataType.Double => proto.DoubleData.Count > 0 ? "double_data" : null,
            OnnxDataType.Int64 => proto.Int64Data.Count > 0 ? "int64_data" : null,
            _ => proto.Int32Data.Count > 0 ? "int32_data" : null,
        };
        string? wrongField =
            type != OnnxDataType.Float && proto.FloatData.Count > 0 ? "float_data"
            : type != OnnxDataType.Double && proto.DoubleData.Count > 0 ? "double_data"
            : type != OnnxDataType.Int64 && proto.Int64Data.Count > 0 ? "int64_data"
            : type is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Int64 && proto.Int32Data.Count > 0 ? "int32_data"
            : null;
        if (wrongField is not null)
            throw fail($"the tensor is {OnnxDataType.Name(type)} but stores values in {wrongField}");

        if (proto.RawData is { } raw)
        {
            if (typedField is not null) throw fail($"the tensor has both raw_data and {typedField}; expected one of them");
            int size = type switch
            {
                OnnxDataType.Int8 => 1,
                OnnxDataType.Float16 or OnnxDataType.BFloat16 => 2,
                OnnxDataType.Float or OnnxDataType.Int32 => 4,
                _ => 8,
            };
            if (raw.Count % size != 0)
                throw fail($"raw_data has {raw.Count} bytes, not a multiple of the {size}-byte {OnnxDataType.Name(type)} element");
            field = "raw_data";
            return raw.Count / size;
        }
        field = typedField ?? "the tensor";
        return type switch
        {
            OnnxDataType.Float => proto.FloatData.Count,
            OnnxDataType.Double => proto.DoubleData.Count,
            OnnxDataType.Int64 => proto.Int64Data.Count,
            _ => proto.Int32Data.Count,
        };
    }
}

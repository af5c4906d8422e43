using System.Globalization;

namespace TinyGru.Model.Safetensors;

/// <summary>One tensor of a safetensors file: name, dtype, shape and its little-endian bytes.</summary>
public sealed class TensorData
{
    private readonly byte[] _buffer;
    private readonly int _offset;

    /// <summary>Creates a tensor over <paramref name="length"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    public TensorData(string name, TensorDType dtype, IReadOnlyList<long> shape, byte[] buffer, int offset, int length)
    {
        Name = name;
        DType = dtype;
        Shape = shape.ToArray();
        _buffer = buffer;
        _offset = offset;
        ByteLength = length;
    }

    /// <summary>Tensor name (header key).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public TensorDType DType { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Number of data bytes.</summary>
    public int ByteLength { get; }

    /// <summary>Number of elements (product of the shape).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape as "[a, b]".</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>Formats a shape as "[a, b]".</summary>
    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Creates an F32 tensor from values.</summary>
    public static TensorData FromFloat32(string name, IReadOnlyList<long> shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) SwapEach(bytes, 4);
        return new TensorData(name, TensorDType.F32, shape, bytes, 0, bytes.Length);
    }

    /// <summary>Creates an I8 tensor from values.</summary>
    public static TensorData FromInt8(string name, IReadOnlyList<long> shape, sbyte[] values)
    {
        var bytes = new byte[values.Length];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new TensorData(name, TensorDType.I8, shape, bytes, 0, bytes.Length);
    }

    /// <summary>Creates an I32 tensor from values.</summary>
    public static TensorData FromInt32(string name, IReadOnlyList<long> shape, int[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) SwapEach(bytes, 4);
        return new TensorData(name, TensorDType.I32, shape, bytes, 0, bytes.Length);
    }

    /// <summary>Copies the raw little-endian bytes.</summary>
    public byte[] GetBytes()
    {
        var copy = new byte[ByteLength];
        Buffer.BlockCopy(_buffer, _offset, copy, 0, ByteLength);
        return copy;
    }

    /// <summary>
    /// Converts to float32. F32 is copied; F16, BF16 and F64 are converted (F64 rounds to nearest);
    /// integer dtypes are rejected so that quantized data is never mistaken for weights.
    /// </summary>
    public float[] ToFloat32()
    {
        long n = ElementCount;
        var result = new float[n];
        switch (DType)
        {
            case TensorDType.F32:
                Buffer.BlockCopy(_buffer, _offset, result, 0, ByteLength);
                if (!BitConverter.IsLittleEndian) SwapFloats(result);
                break;
            case TensorDType.F64:
                for (int i = 0; i < n; i++) result[i] = (float)BitConverter.Int64BitsToDouble(ReadInt64(_offset + 8 * i));
                break;
            case TensorDType.F16:
                for (int i = 0; i < n; i++) result[i] = HalfToSingle(ReadUInt16(_offset + 2 * i));
                break;
            case TensorDType.BF16:
                for (int i = 0; i < n; i++) result[i] = Int32BitsToSingle(ReadUInt16(_offset + 2 * i) << 16);
                break;
            default:
                throw new InvalidOperationException($"tensor '{Name}' has dtype {DType.Name()}; expected a floating-point dtype (F32, F16, BF16 or F64)");
        }
        return result;
    }

    /// <summary>Returns the I8 values. Throws unless the dtype is I8.</summary>
    public sbyte[] ToInt8()
    {
        if (DType != TensorDType.I8) throw new InvalidOperationException($"tensor '{Name}' has dtype {DType.Name()}; expected I8");
        var result = new sbyte[ByteLength];
        Buffer.BlockCopy(_buffer, _offset, result, 0, ByteLength);
        return result;
    }

    /// <summary>Returns the I32 values. Throws unless the dtype is I32.</summary>
    public int[] ToInt32()
    {
        if (DType != TensorDType.I32) throw new InvalidOperationException($"tensor '{Name}' has dtype {DType.Name()}; expected I32");
        var result = new int[ByteLength / 4];
        for (int i = 0; i < result.Length; i++) result[i] = (int)ReadUInt32(_offset + 4 * i);
        return result;
    }

    /// <summary>Returns the I64 values. Throws unless the dtype is I64.</summary>
    public long[] ToInt64()
    {
        if (DType != TensorDType.I64) throw new InvalidOperationException($"tensor '{Name}' has dtype {DType.Name()}; expected I64");
        var result = new long[ByteLength / 8];
        for (int i = 0; i < result.Length; i++) result[i] = ReadInt64(_offset + 8 * i);
        return result;
    }

    private ushort ReadUInt16(int at) => (ushort)(_buffer[at] | _buffer[at + 1] << 8);

    private uint ReadUInt32(int at) => (uint)(_buffer[at] | _buffer[at + 1] << 8 | _buffer[at + 2] << 16 | _buffer[at + 3] << 24);

    private long ReadInt64(int at) => (long)ReadUInt32(at) | (long)ReadUInt32(at + 4) << 32;

    internal static float Int32BitsToSingle(int bits) => new FloatBits { Int = bits }.Float;

    // netstandard2.0 has no BitConverter.Int32BitsToSingle; a union avoids unsafe code.
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit)]
    private struct FloatBits
    {
        [System.Runtime.InteropServices.FieldOffset(0)] public int Int;
        [System.Runtime.InteropServices.FieldOffset(0)] public float Float;
    }

    /// <summary>IEEE 754 binary16 → binary32, exact (netstandard2.0 has no System.Half).</summary>
    internal static float HalfToSingle(ushort h)
    {
        int sign = (h & 0x8000) << 16;
        int exp = (h >> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) return Int32BitsToSingle(sign | 0x7F800000 | (mant << 13)); // Inf / NaN
        if (exp == 0)
        {
            if (mant == 0) return Int32BitsToSingle(sign);
            float value = mant * (1f / 16777216f); // subnormal: mant · 2^-24
            return sign != 0 ? -value : value;
        }
        return Int32BitsToSingle(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    private static void SwapEach(byte[] bytes, int width)
    {
        for (int i = 0; i < bytes.Length; i += width) Array.Reverse(bytes, i, width);
    }

    private static void SwapFloats(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        SwapEach(bytes, 4);
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
    }
}

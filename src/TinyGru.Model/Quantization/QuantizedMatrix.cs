namespace TinyGru.Model.Quantization;

/// <summary>
/// A row-major int8 matrix with one symmetric float32 scale per row: element (i, j) stands for
/// <c>Values[i·Cols + j] · RowScales[i]</c> (computed in float32), the scheme of docs/quantization.md.
/// </summary>
public sealed class QuantizedMatrix
{
    /// <summary>Creates a matrix. Arrays are owned by it afterwards and must not be changed.</summary>
    public QuantizedMatrix(int rows, int cols, sbyte[] values, float[] rowScales)
    {
        Rows = rows;
        Cols = cols;
        Values = values ?? throw new ArgumentNullException(nameof(values));
        RowScales = rowScales ?? throw new ArgumentNullException(nameof(rowScales));
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Cols { get; }

    /// <summary>[Rows, Cols] row-major, each in −127 … 127 (−128 is never produced, so negation cannot overflow).</summary>
    public sbyte[] Values { get; }

    /// <summary>[Rows] scales, finite and ≥ 0.</summary>
    public float[] RowScales { get; }

    /// <summary>
    /// Quantizes <paramref name="m"/> [rows, cols] per row, symmetrically: scale = max|row| / 127, q = round(w / scale)
    /// (half away from zero). An all-zero row gets scale 0.
    /// </summary>
    public static QuantizedMatrix Quantize(float[] m, int rows, int cols)
    {
        if (m is null) throw new ArgumentNullException(nameof(m));
        if ((long)rows * cols != m.LongLength) throw new ArgumentException($"expected {rows}·{cols} values, got {m.Length}");
        var q = new sbyte[m.Length];
        var scales = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            float max = 0;
            for (int j = 0; j < cols; j++) max = Math.Max(max, Math.Abs(m[i * cols + j]));
            float scale = max / 127f;
            scales[i] = scale;
            if (scale == 0) continue;
            for (int j = 0; j < cols; j++) q[i * cols + j] = QuantizeValue(m[i * cols + j], scale);
        }
        return new QuantizedMatrix(rows, cols, q, scales);
    }

    /// <summary>round(w / scale), half away from zero, clamped to ±127: the one rounding rule of every int8 weight.</summary>
    private static sbyte QuantizeValue(float w, float scale) =>
        (sbyte)Math.Max(-127, Math.Min(127, Math.Round(w / (double)scale, MidpointRounding.AwayFromZero)));

    /// <summary>
    /// Quantizes <paramref name="m"/> [rows, cols] with one symmetric scale for the whole matrix (max|m| / 127, or
    /// 1/128 for an all-zero matrix so that the scale stays usable as an input scale), stored as equal row scales.
    /// </summary>
    public static QuantizedMatrix QuantizePerTensor(float[] m, int rows, int cols)
    {
        if (m is null) throw new ArgumentNullException(nameof(m));
        if ((long)rows * cols != m.LongLength) throw new ArgumentException($"expected {rows}·{cols} values, got {m.Length}");
        float max = 0;
        foreach (float v in m) max = Math.Max(max, Math.Abs(v));
        float scale = max > 0 ? max / 127f : 1f / 128;
        var q = new sbyte[m.Length];
        for (int i = 0; i < m.Length; i++) q[i] = QuantizeValue(m[i], scale);
        var scales = new float[rows];
        for (int i = 0; i < rows; i++) scales[i] = scale;
        return new QuantizedMatrix(rows, cols, q, scales);
    }

    /// <summary>The float32 matrix this one stands for: q · scale per element.</summary>
    public float[] Dequantize()
    {
        var m = new float[Values.Length];
        for (int i = 0; i < Rows; i++)
        {
            float s = RowScales[i];
            for (int j = 0; j < Cols; j++) m[i * Cols + j] = Values[i * Cols + j] * s;
        }
        return m;
    }

    /// <summary>Bytes stored: one per value plus four per row scale.</summary>
    public long ByteCount => Values.LongLength + 4L * RowScales.Length;
}

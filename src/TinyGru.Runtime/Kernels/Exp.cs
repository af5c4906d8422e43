using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyGru.Kernels;

/// <summary>
/// e^x for float32 by Cephes' <c>expf</c>: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2^n built
/// in the exponent bits. Max relative error ≈ 2 ulp on [−87.3, 88.7]; inputs are clamped there (no Inf or NaN from
/// finite input). Every width uses the same operations in the same order (no fused multiply-add), so the scalar,
/// Vector128, Vector256 and Vector512 results are bit-identical.
/// </summary>
public static class Exp
{
    private const float Max = 88.3762626647949f;
    private const float Min = -87.3365478515625f; // 2^n stays a normal float
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;       // ln 2 split so that n·Ln2Hi is exact
    private const float Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f;
    private const float P3 = 4.1665795894E-2f, P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f;

    /// <summary>Scalar path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(float x)
    {
        x = Math.Clamp(x, Min, Max);
        float n = MathF.Floor(x * Log2E + 0.5f);
        float r = x - n * Ln2Hi - n * Ln2Lo;
        float p = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
        p = p * (r * r) + r + 1f;
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>128-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> V128(Vector128<float> x)
    {
        x = Vector128.Min(Vector128.Max(x, Vector128.Create(Min)), Vector128.Create(Max));
        var n = Vector128.Floor(x * Vector128.Create(Log2E) + Vector128.Create(0.5f));
        var r = x - n * Vector128.Create(Ln2Hi) - n * Vector128.Create(Ln2Lo);
        var p = ((((Vector128.Create(P0) * r + Vector128.Create(P1)) * r + Vector128.Create(P2)) * r + Vector128.Create(P3)) * r + Vector128.Create(P4)) * r + Vector128.Create(P5);
        p = p * (r * r) + r + Vector128.Create(1f);
        return p * Vector128.ShiftLeft(Vector128.ConvertToInt32(n) + Vector128.Create(127), 23).AsSingle();
    }

    /// <summary>256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> V256(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(Min)), Vector256.Create(Max));
        var n = Vector256.Floor(x * Vector256.Create(Log2E) + Vector256.Create(0.5f));
        var r = x - n * Vector256.Create(Ln2Hi) - n * Vector256.Create(Ln2Lo);
        var p = ((((Vector256.Create(P0) * r + Vector256.Create(P1)) * r + Vector256.Create(P2)) * r + Vector256.Create(P3)) * r + Vector256.Create(P4)) * r + Vector256.Create(P5);
        p = p * (r * r) + r + Vector256.Create(1f);
        return p * Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
    }

    /// <summary>512-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> V512(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(Min)), Vector512.Create(Max));
        var n = Vector512.Floor(x * Vector512.Create(Log2E) + Vector512.Create(0.5f));
        var r = x - n * Vector512.Create(Ln2Hi) - n * Vector512.Create(Ln2Lo);
        var p = ((((Vector512.Create(P0) * r + Vector512.Create(P1)) * r + Vector512.Create(P2)) * r + Vector512.Create(P3)) * r + Vector512.Create(P4)) * r + Vector512.Create(P5);
        p = p * (r * r) + r + Vector512.Create(1f);
        return p * Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyGru.Kernels;

/// <summary>
/// e^x for float32, after Cephes' <c>expf</c>: x = n·ln2 + r with |r| ≤ ln2/2, e^r ≈ 1 + r + r²·P(r) with P of degree 5,
/// and 2^n written into the exponent bits. n is rounded by adding 1.5·2^23 (the integer lands in the low mantissa bits),
/// which avoids a float→int conversion on the critical path. Inputs are clamped to [−87, 88], so finite inputs give
/// finite, normal results; max relative error ≈ 2e-7. The polynomial uses <see cref="MultiplyAdd"/>, so paths with and
/// without hardware FMA may differ in the last bit.
/// </summary>
public static class Exp
{
    // Public so generated code writes the same function out inline (it must not depend on the JIT inlining a call).
    /// <summary>Largest argument (e^88 is near float's maximum).</summary>
    public const float Max = 88f;
    /// <summary>Smallest argument (e^−87 is near float's smallest normal).</summary>
    public const float Min = -87f;
    /// <summary>log2(e).</summary>
    public const float Log2E = 1.44269504088896341f;
    /// <summary>1.5·2^23: adding it rounds to an integer held in the low mantissa bits.</summary>
    public const float RoundingMagic = 12582912f;
    /// <summary>−ln 2, high part (n·NegLn2Hi is exact).</summary>
    public const float NegLn2Hi = -0.693359375f;
    /// <summary>−ln 2, low part.</summary>
    public const float NegLn2Lo = 2.12194440e-4f;
    /// <summary>Polynomial coefficients of e^r on [−ln2/2, ln2/2].</summary>
    public const float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f;
    /// <summary>Polynomial coefficients of e^r on [−ln2/2, ln2/2].</summary>
    public const float P3 = 4.1665795894E-2f, P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f;

    /// <summary>Scalar path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(float x)
    {
        x = Math.Min(Math.Max(x, Min), Max);
        float t = MultiplyAdd.Scalar(x, Log2E, RoundingMagic);
        float n = t - RoundingMagic;
        float r = MultiplyAdd.Scalar(n, NegLn2Hi, x);
        r = MultiplyAdd.Scalar(n, NegLn2Lo, r);
        float p = MultiplyAdd.Scalar(P0, r, P1);
        p = MultiplyAdd.Scalar(p, r, P2);
        p = MultiplyAdd.Scalar(p, r, P3);
        p = MultiplyAdd.Scalar(p, r, P4);
        p = MultiplyAdd.Scalar(p, r, P5);
        p = MultiplyAdd.Scalar(p, r * r, r) + 1f;
        // The bits of t are those of 1.5·2^23 plus n; shifting by 23 drops the former, leaving n + 127 as the exponent.
        return p * BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(t) + 127) << 23);
    }

    /// <summary>128-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> V128(Vector128<float> x)
    {
        x = Vector128.Min(Vector128.Max(x, Vector128.Create(Min)), Vector128.Create(Max));
        var t = MultiplyAdd.V128(x, Vector128.Create(Log2E), Vector128.Create(RoundingMagic));
        var n = t - Vector128.Create(RoundingMagic);
        var r = MultiplyAdd.V128(n, Vector128.Create(NegLn2Hi), x);
        r = MultiplyAdd.V128(n, Vector128.Create(NegLn2Lo), r);
        var p = MultiplyAdd.V128(Vector128.Create(P0), r, Vector128.Create(P1));
        p = MultiplyAdd.V128(p, r, Vector128.Create(P2));
        p = MultiplyAdd.V128(p, r, Vector128.Create(P3));
        p = MultiplyAdd.V128(p, r, Vector128.Create(P4));
        p = MultiplyAdd.V128(p, r, Vector128.Create(P5));
        p = MultiplyAdd.V128(p, r * r, r) + Vector128<float>.One;
        return p * Vector128.ShiftLeft(t.AsInt32() + Vector128.Create(127), 23).AsSingle();
    }

    /// <summary>256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> V256(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(Min)), Vector256.Create(Max));
        var t = MultiplyAdd.V256(x, Vector256.Create(Log2E), Vector256.Create(RoundingMagic));
        var n = t - Vector256.Create(RoundingMagic);
        var r = MultiplyAdd.V256(n, Vector256.Create(NegLn2Hi), x);
        r = MultiplyAdd.V256(n, Vector256.Create(NegLn2Lo), r);
        var p = MultiplyAdd.V256(Vector256.Create(P0), r, Vector256.Create(P1));
        p = MultiplyAdd.V256(p, r, Vector256.Create(P2));
        p = MultiplyAdd.V256(p, r, Vector256.Create(P3));
        p = MultiplyAdd.V256(p, r, Vector256.Create(P4));
        p = MultiplyAdd.V256(p, r, Vector256.Create(P5));
        p = MultiplyAdd.V256(p, r * r, r) + Vector256<float>.One;
        return p * Vector256.ShiftLeft(t.AsInt32() + Vector256.Create(127), 23).AsSingle();
    }

    /// <summary>512-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> V512(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(Min)), Vector512.Create(Max));
        var t = MultiplyAdd.V512(x, Vector512.Create(Log2E), Vector512.Create(RoundingMagic));
        var n = t - Vector512.Create(RoundingMagic);
        var r = MultiplyAdd.V512(n, Vector512.Create(NegLn2Hi), x);
        r = MultiplyAdd.V512(n, Vector512.Create(NegLn2Lo), r);
        var p = MultiplyAdd.V512(Vector512.Create(P0), r, Vector512.Create(P1));
        p = MultiplyAdd.V512(p, r, Vector512.Create(P2));
        p = MultiplyAdd.V512(p, r, Vector512.Create(P3));
        p = MultiplyAdd.V512(p, r, Vector512.Create(P4));
        p = MultiplyAdd.V512(p, r, Vector512.Create(P5));
        p = MultiplyAdd.V512(p, r * r, r) + Vector512<float>.One;
        return p * Vector512.ShiftLeft(t.AsInt32() + Vector512.Create(127), 23).AsSingle();
    }
}

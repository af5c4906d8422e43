using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyGru.Kernels;

/// <summary>
/// tanh(x) as Eigen's <c>generic_fast_tanh_float</c>: x clamped to ±7.9053111, then a rational function with an odd
/// degree-13 numerator and an even degree-6 denominator, evaluated by Estrin's scheme (absolute error below 4e-7, tested against double precision).
/// No exp on the way: the GRU's critical path r → n → h has a tanh and a sigmoid in series, so their latency is the
/// step's latency for small models. For the same reason the clamp is applied to x² (one min) and the reciprocal of the
/// denominator is taken while the numerator is still being evaluated: 6 cycles less latency per call than clamp-first,
/// divide-last, measured as 10–12 % of the H = 8 step.
/// </summary>
public static class Tanh
{
    // Public so generated code writes the same function out inline (it must not depend on the JIT inlining a call).
    /// <summary>|x| beyond which tanh(x) rounds to ±1 in float32.</summary>
    public const float Clamp = 7.90531110763549805f;
    /// <summary>Numerator coefficients (odd powers).</summary>
    public const float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f;
    /// <summary>Numerator coefficients (odd powers).</summary>
    public const float A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f;
    /// <summary>Numerator coefficient of x¹³.</summary>
    public const float A13 = -2.76076847742355e-16f;
    /// <summary>Denominator coefficients (even powers).</summary>
    public const float B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f, B4 = 1.18534705686654e-04f;
    /// <summary>Denominator coefficient of x⁶.</summary>
    public const float B6 = 1.19825839466702e-06f;

    /// <summary>Scalar path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(float x)
    {
        // y = min(x², C²) equals clamp(x)² exactly and costs one operation instead of two on the critical path;
        // the clamped x is only needed for the last multiply, so it is computed beside the polynomials.
        float y = Math.Min(x * x, Clamp * Clamp), y2 = y * y, y4 = y2 * y2;
        x = Math.Min(Math.Max(x, -Clamp), Clamp);
        // Estrin's scheme: a dependency depth of 3 multiply-adds instead of Horner's 6.
        float p = MultiplyAdd.Scalar(y4,
            MultiplyAdd.Scalar(y2, A13, MultiplyAdd.Scalar(y, A11, A9)),
            MultiplyAdd.Scalar(y2, MultiplyAdd.Scalar(y, A7, A5), MultiplyAdd.Scalar(y, A3, A1)));
        float q = MultiplyAdd.Scalar(y2, MultiplyAdd.Scalar(y, B6, B4), MultiplyAdd.Scalar(y, B2, B0));
        // 1/q starts as soon as q is ready (q is shallower than p), so the divide overlaps p instead of following it.
        return x * p * (1f / q);
    }

    /// <summary>128-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> V128(Vector128<float> x)
    {
        var y = Vector128.Min(x * x, Vector128.Create(Clamp * Clamp));
        x = Vector128.Min(Vector128.Max(x, Vector128.Create(-Clamp)), Vector128.Create(Clamp));
        var y2 = y * y;
        var p = MultiplyAdd.V128(y2 * y2,
            MultiplyAdd.V128(y2, Vector128.Create(A13), MultiplyAdd.V128(y, Vector128.Create(A11), Vector128.Create(A9))),
            MultiplyAdd.V128(y2, MultiplyAdd.V128(y, Vector128.Create(A7), Vector128.Create(A5)), MultiplyAdd.V128(y, Vector128.Create(A3), Vector128.Create(A1))));
        var q = MultiplyAdd.V128(y2, MultiplyAdd.V128(y, Vector128.Create(B6), Vector128.Create(B4)), MultiplyAdd.V128(y, Vector128.Create(B2), Vector128.Create(B0)));
        return x * p * (Vector128<float>.One / q);
    }

    /// <summary>256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> V256(Vector256<float> x)
    {
        var y = Vector256.Min(x * x, Vector256.Create(Clamp * Clamp));
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-Clamp)), Vector256.Create(Clamp));
        var y2 = y * y;
        var p = MultiplyAdd.V256(y2 * y2,
            MultiplyAdd.V256(y2, Vector256.Create(A13), MultiplyAdd.V256(y, Vector256.Create(A11), Vector256.Create(A9))),
            MultiplyAdd.V256(y2, MultiplyAdd.V256(y, Vector256.Create(A7), Vector256.Create(A5)), MultiplyAdd.V256(y, Vector256.Create(A3), Vector256.Create(A1))));
        var q = MultiplyAdd.V256(y2, MultiplyAdd.V256(y, Vector256.Create(B6), Vector256.Create(B4)), MultiplyAdd.V256(y, Vector256.Create(B2), Vector256.Create(B0)));
        return x * p * (Vector256<float>.One / q);
    }

    /// <summary>512-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> V512(Vector512<float> x)
    {
        var y = Vector512.Min(x * x, Vector512.Create(Clamp * Clamp));
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-Clamp)), Vector512.Create(Clamp));
        var y2 = y * y;
        var p = MultiplyAdd.V512(y2 * y2,
            MultiplyAdd.V512(y2, Vector512.Create(A13), MultiplyAdd.V512(y, Vector512.Create(A11), Vector512.Create(A9))),
            MultiplyAdd.V512(y2, MultiplyAdd.V512(y, Vector512.Create(A7), Vector512.Create(A5)), MultiplyAdd.V512(y, Vector512.Create(A3), Vector512.Create(A1))));
        var q = MultiplyAdd.V512(y2, MultiplyAdd.V512(y, Vector512.Create(B6), Vector512.Create(B4)), MultiplyAdd.V512(y, Vector512.Create(B2), Vector512.Create(B0)));
        return x * p * (Vector512<float>.One / q);
    }
}

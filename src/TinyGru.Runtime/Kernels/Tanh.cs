using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyGru.Kernels;

/// <summary>
/// tanh(x) = sign(x)·(1 − t) / (1 + t) with t = e^−2|x| on <see cref="Exp"/>; absolute error below 2e-7.
/// Odd by construction.
/// </summary>
public static class Tanh
{
    /// <summary>Scalar path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(float x)
    {
        float t = Exp.Scalar(-2f * MathF.Abs(x));
        return MathF.CopySign((1f - t) / (1f + t), x);
    }

    /// <summary>128-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> V128(Vector128<float> x)
    {
        var t = Exp.V128(Vector128.Create(-2f) * Vector128.Abs(x));
        var magnitude = (Vector128<float>.One - t) / (Vector128<float>.One + t);
        return magnitude | (x & Vector128.Create(-0f)); // copy the sign bit
    }

    /// <summary>256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> V256(Vector256<float> x)
    {
        var t = Exp.V256(Vector256.Create(-2f) * Vector256.Abs(x));
        var magnitude = (Vector256<float>.One - t) / (Vector256<float>.One + t);
        return magnitude | (x & Vector256.Create(-0f));
    }

    /// <summary>512-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> V512(Vector512<float> x)
    {
        var t = Exp.V512(Vector512.Create(-2f) * Vector512.Abs(x));
        var magnitude = (Vector512<float>.One - t) / (Vector512<float>.One + t);
        return magnitude | (x & Vector512.Create(-0f));
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyGru.Kernels;

/// <summary>σ(x) = 1 / (1 + e^−x) on <see cref="Exp"/>; absolute error below 2e-7.</summary>
public static class Sigmoid
{
    /// <summary>Scalar path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(float x) => 1f / (1f + Exp.Scalar(-x));

    /// <summary>128-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> V128(Vector128<float> x) => Vector128<float>.One / (Vector128<float>.One + Exp.V128(-x));

    /// <summary>256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> V256(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Exp.V256(-x));

    /// <summary>512-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> V512(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp.V512(-x));
}

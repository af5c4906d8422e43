using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyGru.Kernels;

/// <summary>σ(x) = ½ + ½·tanh(x/2) on <see cref="Tanh"/>: one multiply-add more than tanh, no exp; absolute error below 2e-7.</summary>
public static class Sigmoid
{
    /// <summary>Scalar path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(float x) => MultiplyAdd.Scalar(Tanh.Scalar(0.5f * x), 0.5f, 0.5f);

    /// <summary>128-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> V128(Vector128<float> x)
    {
        var half = Vector128.Create(0.5f);
        return MultiplyAdd.V128(Tanh.V128(half * x), half, half);
    }

    /// <summary>256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> V256(Vector256<float> x)
    {
        var half = Vector256.Create(0.5f);
        return MultiplyAdd.V256(Tanh.V256(half * x), half, half);
    }

    /// <summary>512-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> V512(Vector512<float> x)
    {
        var half = Vector512.Create(0.5f);
        return MultiplyAdd.V512(Tanh.V512(half * x), half, half);
    }
}

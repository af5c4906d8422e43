using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace TinyGru.Kernels;

/// <summary>
/// a·b + c, fused where the CPU has FMA (x86 FMA3 / AVX-512F, Arm AdvSimd) and unfused otherwise. The
/// <c>IsSupported</c> checks are JIT-time constants, so each call compiles to one instruction.
/// </summary>
public static class MultiplyAdd
{
    /// <summary>Scalar path (unfused: a scalar FMA without hardware support would be a slow software call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(float a, float b, float c) => a * b + c;

    /// <summary>128-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> V128(Vector128<float> a, Vector128<float> b, Vector128<float> c)
    {
        if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
        if (AdvSimd.IsSupported) return AdvSimd.FusedMultiplyAdd(c, a, b);
        return a * b + c;
    }

    /// <summary>256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> V256(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>512-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> V512(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : a * b + c;
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>
/// The element-wise parts of a hidden dense layer a = act(z): the activation in place, and the backward factor
/// ∂a/∂z written in terms of the output a (relu: a &gt; 0; tanh: 1 − a²; sigmoid: a(1 − a)), so the forward pass keeps
/// only a. 8 lanes at a time, the rest in scalar code with the same formulas.
/// </summary>
internal static class DenseKernels
{
    private const int Lanes = 8;

    /// <summary>x ← act(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Activate(HeadActivation activation, Span<float> x)
    {
        if (activation == HeadActivation.None) return;
        int j = 0;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        for (; j + Lanes <= x.Length; j += Lanes)
        {
            var v = Vector256.LoadUnsafe(ref x0, (nuint)j);
            v = activation switch
            {
                HeadActivation.Relu => Vector256.Max(v, Vector256<float>.Zero),
                HeadActivation.Tanh => GruCellKernels.Tanh(v),
                _ => GruCellKernels.Sigmoid(v),
            };
            v.StoreUnsafe(ref x0, (nuint)j);
        }
        for (; j < x.Length; j++)
        {
            float v = x[j];
            x[j] = activation switch
            {
                HeadActivation.Relu => v > 0 ? v : 0,
                HeadActivation.Tanh => GruCellKernels.Tanh(v),
                _ => GruCellKernels.Sigmoid(v),
            };
        }
    }

    /// <summary>da ← da ⊙ act′ given the activated output <paramref name="a"/>: turns ∂L/∂a into ∂L/∂z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyDerivative(HeadActivation activation, ReadOnlySpan<float> a, Span<float> da)
    {
        if (activation == HeadActivation.None) return;
        int j = 0;
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float d0 = ref MemoryMarshal.GetReference(da);
        var one = Vector256<float>.One;
        for (; j + Lanes <= da.Length; j += Lanes)
        {
            var v = Vector256.LoadUnsafe(ref a0, (nuint)j);
            var d = Vector256.LoadUnsafe(ref d0, (nuint)j);
            d = activation switch
            {
                HeadActivation.Relu => Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), d, Vector256<float>.Zero),
                HeadActivation.Tanh => d * (one - v * v),
                _ => d * v * (one - v),
            };
            d.StoreUnsafe(ref d0, (nuint)j);
        }
        for (; j < da.Length; j++)
        {
            float v = a[j];
            da[j] = activation switch
            {
                HeadActivation.Relu => v > 0 ? da[j] : 0,
                HeadActivation.Tanh => da[j] * (1 - v * v),
                _ => da[j] * v * (1 - v),
            };
        }
    }
}

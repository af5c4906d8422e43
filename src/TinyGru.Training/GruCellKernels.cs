using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TinyGru.Training;

/// <summary>
/// The element-wise part of one GRU step for one batch row, forward and backward, for both conventions.
/// Gate rows are laid out r, z, n (blocks of H). Each kernel runs 8 lanes at a time and finishes the last
/// H mod 8 units with the same formulas in scalar code. Outputs never alias inputs.
/// </summary>
internal static class GruCellKernels
{
    private const int Lanes = 8;

    /// <summary>
    /// Reset-after forward. pre = W·x + b_i [3H], rec = U·h + b_h [3H], hPrev [H] →
    /// gates = (r, z, n) [3H], recN = U_n·h + b_hn [H] (kept for backward), h [H].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardResetAfter(ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> hPrev,
        Span<float> gates, Span<float> recN, Span<float> h)
    {
        int hs = h.Length, j = 0;
        ref float p0 = ref MemoryMarshal.GetReference(pre);
        ref float g0 = ref MemoryMarshal.GetReference(rec);
        ref float hp0 = ref MemoryMarshal.GetReference(hPrev);
        ref float o0 = ref MemoryMarshal.GetReference(gates);
        ref float a0 = ref MemoryMarshal.GetReference(recN);
        ref float h0 = ref MemoryMarshal.GetReference(h);
        for (; j + Lanes <= hs; j += Lanes)
        {
            nuint r = (nuint)j, z = (nuint)(hs + j), n = (nuint)(2 * hs + j);
            var rv = Sigmoid(Vector256.LoadUnsafe(ref p0, r) + Vector256.LoadUnsafe(ref g0, r));
            var zv = Sigmoid(Vector256.LoadUnsafe(ref p0, z) + Vector256.LoadUnsafe(ref g0, z));
            var gn = Vector256.LoadUnsafe(ref g0, n);
            var nv = Tanh(Vector256.FusedMultiplyAdd(rv, gn, Vector256.LoadUnsafe(ref p0, n)));
            var hp = Vector256.LoadUnsafe(ref hp0, (nuint)j);
            rv.StoreUnsafe(ref o0, r);
            zv.StoreUnsafe(ref o0, z);
            nv.StoreUnsafe(ref o0, n);
            gn.StoreUnsafe(ref a0, (nuint)j);
            Vector256.FusedMultiplyAdd(zv, hp - nv, nv).StoreUnsafe(ref h0, (nuint)j); // h' = n + z ⊙ (h − n)
        }
        for (; j < hs; j++)
        {
            float r = Sigmoid(pre[j] + rec[j]);
            float z = Sigmoid(pre[hs + j] + rec[hs + j]);
            float gn = rec[2 * hs + j];
            float n = Tanh(pre[2 * hs + j] + r * gn);
            gates[j] = r; gates[hs + j] = z; gates[2 * hs + j] = n;
            recN[j] = gn;
            h[j] = n + z * (hPrev[j] - n);
        }
    }

    /// <summary>Reset-before forward, first half. pre, rec (r and z blocks filled) [3H], hPrev [H] → r, z into gates; q = r ⊙ h [H].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardResetBeforeGates(ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> hPrev,
        Span<float> gates, Span<float> q)
    {
        int hs = q.Length, j = 0;
        ref float p0 = ref MemoryMarshal.GetReference(pre);
        ref float g0 = ref MemoryMarshal.GetReference(rec);
        ref float hp0 = ref MemoryMarshal.GetReference(hPrev);
        ref float o0 = ref MemoryMarshal.GetReference(gates);
        ref float q0 = ref MemoryMarshal.GetReference(q);
        for (; j + Lanes <= hs; j += Lanes)
        {
            nuint r = (nuint)j, z = (nuint)(hs + j);
            var rv = Sigmoid(Vector256.LoadUnsafe(ref p0, r) + Vector256.LoadUnsafe(ref g0, r));
            var zv = Sigmoid(Vector256.LoadUnsafe(ref p0, z) + Vector256.LoadUnsafe(ref g0, z));
            rv.StoreUnsafe(ref o0, r);
            zv.StoreUnsafe(ref o0, z);
            (rv * Vector256.LoadUnsafe(ref hp0, (nuint)j)).StoreUnsafe(ref q0, (nuint)j);
        }
        for (; j < hs; j++)
        {
            float r = Sigmoid(pre[j] + rec[j]);
            gates[j] = r;
            gates[hs + j] = Sigmoid(pre[hs + j] + rec[hs + j]);
            q[j] = r * hPrev[j];
        }
    }

    /// <summary>Reset-before forward, second half. pre [3H], rec n block = U_n·(r ⊙ h) + b_hn, hPrev [H] → n into gates, h [H].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardResetBeforeState(ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> hPrev,
        Span<float> gates, Span<float> h)
    {
        int hs = h.Length, j = 0;
        ref float p0 = ref MemoryMarshal.GetReference(pre);
        ref float g0 = ref MemoryMarshal.GetReference(rec);
        ref float hp0 = ref MemoryMarshal.GetReference(hPrev);
        ref float o0 = ref MemoryMarshal.GetReference(gates);
        ref float h0 = ref MemoryMarshal.GetReference(h);
        for (; j + Lanes <= hs; j += Lanes)
        {
            nuint z = (nuint)(hs + j), n = (nuint)(2 * hs + j);
            var nv = Tanh(Vector256.LoadUnsafe(ref p0, n) + Vector256.LoadUnsafe(ref g0, n));
            nv.StoreUnsafe(ref o0, n);
            var zv = Vector256.LoadUnsafe(ref o0, z);
            Vector256.FusedMultiplyAdd(zv, Vector256.LoadUnsafe(ref hp0, (nuint)j) - nv, nv).StoreUnsafe(ref h0, (nuint)j);
        }
        for (; j < hs; j++)
        {
            float n = Tanh(pre[2 * hs + j] + rec[2 * hs + j]);
            gates[2 * hs + j] = n;
            h[j] = n + gates[hs + j] * (hPrev[j] - n);
        }
    }

    /// <summary>
    /// Reset-after backward. dh = dL/dh' [H], gates (r, z, n) [3H], hPrev [H], recN [H] →
    /// dPre = dL/d(W·x + b_i) [3H], dRec = dL/d(U·h + b_h) [3H] (differs in the n block: it carries the r factor),
    /// carry = dh ⊙ z [H], the direct part of dL/dh.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardResetAfter(ReadOnlySpan<float> dh, ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> recN,
        Span<float> dPre, Span<float> dRec, Span<float> carry)
    {
        int hs = dh.Length, j = 0;
        ref float d0 = ref MemoryMarshal.GetReference(dh);
        ref float o0 = ref MemoryMarshal.GetReference(gates);
        ref float hp0 = ref MemoryMarshal.GetReference(hPrev);
        ref float a0 = ref MemoryMarshal.GetReference(recN);
        ref float dp0 = ref MemoryMarshal.GetReference(dPre);
        ref float dr0 = ref MemoryMarshal.GetReference(dRec);
        ref float c0 = ref MemoryMarshal.GetReference(carry);
        var one = Vector256<float>.One;
        for (; j + Lanes <= hs; j += Lanes)
        {
            nuint r = (nuint)j, z = (nuint)(hs + j), n = (nuint)(2 * hs + j);
            var d = Vector256.LoadUnsafe(ref d0, (nuint)j);
            var rv = Vector256.LoadUnsafe(ref o0, r);
            var zv = Vector256.LoadUnsafe(ref o0, z);
            var nv = Vector256.LoadUnsafe(ref o0, n);
            var dnPre = d * (one - zv) * (one - nv * nv);                          // through n = tanh(·)
            var dzPre = d * (Vector256.LoadUnsafe(ref hp0, (nuint)j) - nv) * zv * (one - zv);
            var drPre = dnPre * Vector256.LoadUnsafe(ref a0, (nuint)j) * rv * (one - rv);
            drPre.StoreUnsafe(ref dp0, r); drPre.StoreUnsafe(ref dr0, r);
            dzPre.StoreUnsafe(ref dp0, z); dzPre.StoreUnsafe(ref dr0, z);
            dnPre.StoreUnsafe(ref dp0, n); (dnPre * rv).StoreUnsafe(ref dr0, n);
            (d * zv).StoreUnsafe(ref c0, (nuint)j);
        }
        for (; j < hs; j++)
        {
            float d = dh[j], r = gates[j], z = gates[hs + j], n = gates[2 * hs + j];
            float dnPre = d * (1 - z) * (1 - n * n);
            float dzPre = d * (hPrev[j] - n) * z * (1 - z);
            float drPre = dnPre * recN[j] * r * (1 - r);
            dPre[j] = dRec[j] = drPre;
            dPre[hs + j] = dRec[hs + j] = dzPre;
            dPre[2 * hs + j] = dnPre;
            dRec[2 * hs + j] = dnPre * r;
            carry[j] = d * z;
        }
    }

    /// <summary>
    /// Reset-before backward, first half. dh [H], gates [3H], hPrev [H] → z and n blocks of dPre (which is also
    /// dL/d(U·h + b_h): no factor sits between them in this convention), carry = dh ⊙ z [H].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardResetBeforeState(ReadOnlySpan<float> dh, ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev,
        Span<float> dPre, Span<float> carry)
    {
        int hs = dh.Length, j = 0;
        ref float d0 = ref MemoryMarshal.GetReference(dh);
        ref float o0 = ref MemoryMarshal.GetReference(gates);
        ref float hp0 = ref MemoryMarshal.GetReference(hPrev);
        ref float dp0 = ref MemoryMarshal.GetReference(dPre);
        ref float c0 = ref MemoryMarshal.GetReference(carry);
        var one = Vector256<float>.One;
        for (; j + Lanes <= hs; j += Lanes)
        {
            nuint z = (nuint)(hs + j), n = (nuint)(2 * hs + j);
            var d = Vector256.LoadUnsafe(ref d0, (nuint)j);
            var zv = Vector256.LoadUnsafe(ref o0, z);
            var nv = Vector256.LoadUnsafe(ref o0, n);
            (d * (one - zv) * (one - nv * nv)).StoreUnsafe(ref dp0, n);
            (d * (Vector256.LoadUnsafe(ref hp0, (nuint)j) - nv) * zv * (one - zv)).StoreUnsafe(ref dp0, z);
            (d * zv).StoreUnsafe(ref c0, (nuint)j);
        }
        for (; j < hs; j++)
        {
            float d = dh[j], z = gates[hs + j], n = gates[2 * hs + j];
            dPre[2 * hs + j] = d * (1 - z) * (1 - n * n);
            dPre[hs + j] = d * (hPrev[j] - n) * z * (1 - z);
            carry[j] = d * z;
        }
    }

    /// <summary>
    /// Reset-before backward, second half. dq = dL/d(r ⊙ h) = U_nᵀ·dn [H], gates [3H], hPrev [H] → r block of dPre;
    /// carry += dq ⊙ r (the path from h through r ⊙ h).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardResetBeforeGate(ReadOnlySpan<float> dq, ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev,
        Span<float> dPre, Span<float> carry)
    {
        int hs = dq.Length, j = 0;
        ref float q0 = ref MemoryMarshal.GetReference(dq);
        ref float o0 = ref MemoryMarshal.GetReference(gates);
        ref float hp0 = ref MemoryMarshal.GetReference(hPrev);
        ref float dp0 = ref MemoryMarshal.GetReference(dPre);
        ref float c0 = ref MemoryMarshal.GetReference(carry);
        var one = Vector256<float>.One;
        for (; j + Lanes <= hs; j += Lanes)
        {
            var d = Vector256.LoadUnsafe(ref q0, (nuint)j);
            var rv = Vector256.LoadUnsafe(ref o0, (nuint)j);
            (d * Vector256.LoadUnsafe(ref hp0, (nuint)j) * rv * (one - rv)).StoreUnsafe(ref dp0, (nuint)j);
            Vector256.FusedMultiplyAdd(d, rv, Vector256.LoadUnsafe(ref c0, (nuint)j)).StoreUnsafe(ref c0, (nuint)j);
        }
        for (; j < hs; j++)
        {
            float r = gates[j];
            dPre[j] = dq[j] * hPrev[j] * r * (1 - r);
            carry[j] += dq[j] * r;
        }
    }

    // The activations are TinyGru.Kernels', shared with generated code, so trained and deployed models compute the
    // same functions.

    /// <summary>σ(x), 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => TinyGru.Kernels.Sigmoid.V256(x);

    /// <summary>tanh(x), 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x) => TinyGru.Kernels.Tanh.V256(x);

    /// <summary>σ(x), scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => TinyGru.Kernels.Sigmoid.Scalar(x);

    /// <summary>tanh(x), scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => TinyGru.Kernels.Tanh.Scalar(x);
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TinyGru.Training;

/// <summary>
/// The few dense kernels backpropagation through time needs, on row-major float32 matrices with explicit
/// strides. Every kernel vectorizes along the output row (the 3H gate axis in the hot loops) with 256-bit
/// FMA, keeping a strip of up to four vectors of C in registers across the whole K loop.
/// </summary>
internal static class MatrixKernels
{
    private const int Lanes = 8; // Vector256<float>

    /// <summary>
    /// C[M, N] += A[M, K] · B[K, N], where A's element (i, p) is at a[i·aRowStride + p·aColStride]. With the
    /// strides swapped, A is read transposed: C += Aᵀ·B, the weight-gradient product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddProduct(ReadOnlySpan<float> a, int aRowStride, int aColStride, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, int m, int k, int n)
    {
        if (m == 0 || k == 0 || n == 0) return;
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        for (int i = 0; i < m; i++)
        {
            ref float ci = ref Unsafe.Add(ref c0, i * ldc);
            ref float ai = ref Unsafe.Add(ref a0, i * aRowStride);
            int j = 0;
            for (; j + 4 * Lanes <= n; j += 4 * Lanes)
            {
                var acc0 = Vector256.LoadUnsafe(ref ci, (nuint)j);
                var acc1 = Vector256.LoadUnsafe(ref ci, (nuint)(j + Lanes));
                var acc2 = Vector256.LoadUnsafe(ref ci, (nuint)(j + 2 * Lanes));
                var acc3 = Vector256.LoadUnsafe(ref ci, (nuint)(j + 3 * Lanes));
                ref float bj = ref Unsafe.Add(ref b0, j);
                for (int p = 0; p < k; p++)
                {
                    var s = Vector256.Create(Unsafe.Add(ref ai, p * aColStride));
                    ref float bp = ref Unsafe.Add(ref bj, p * ldb);
                    acc0 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bp), acc0);
                    acc1 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bp, Lanes), acc1);
                    acc2 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bp, 2 * Lanes), acc2);
                    acc3 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bp, 3 * Lanes), acc3);
                }
                acc0.StoreUnsafe(ref ci, (nuint)j);
                acc1.StoreUnsafe(ref ci, (nuint)(j + Lanes));
                acc2.StoreUnsafe(ref ci, (nuint)(j + 2 * Lanes));
                acc3.StoreUnsafe(ref ci, (nuint)(j + 3 * Lanes));
            }
            for (; j + 2 * Lanes <= n; j += 2 * Lanes)
            {
                var acc0 = Vector256.LoadUnsafe(ref ci, (nuint)j);
                var acc1 = Vector256.LoadUnsafe(ref ci, (nuint)(j + Lanes));
                ref float bj = ref Unsafe.Add(ref b0, j);
                for (int p = 0; p < k; p++)
                {
                    var s = Vector256.Create(Unsafe.Add(ref ai, p * aColStride));
                    ref float bp = ref Unsafe.Add(ref bj, p * ldb);
                    acc0 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bp), acc0);
                    acc1 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bp, Lanes), acc1);
                }
                acc0.StoreUnsafe(ref ci, (nuint)j);
                acc1.StoreUnsafe(ref ci, (nuint)(j + Lanes));
            }
            for (; j + Lanes <= n; j += Lanes)
            {
                var acc = Vector256.LoadUnsafe(ref ci, (nuint)j);
                ref float bj = ref Unsafe.Add(ref b0, j);
                for (int p = 0; p < k; p++)
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref ai, p * aColStride)), Vector256.LoadUnsafe(ref Unsafe.Add(ref bj, p * ldb)), acc);
                acc.StoreUnsafe(ref ci, (nuint)j);
            }
            for (; j < n; j++)
            {
                float acc = Unsafe.Add(ref ci, j);
                for (int p = 0; p < k; p++) acc += Unsafe.Add(ref ai, p * aColStride) * Unsafe.Add(ref b0, p * ldb + j);
                Unsafe.Add(ref ci, j) = acc;
            }
        }
    }

    /// <summary>C[M, N] += A[M, K] · B[K, N] with A row-major (lda).</summary>
    public static void AddProduct(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int k, int n) =>
        AddProduct(a, lda, 1, b, ldb, c, ldc, m, k, n);

    /// <summary>C[M, N] += Aᵀ · B for A [K, M] (lda) and B [K, N]: sums of outer products, for weight gradients.</summary>
    public static void AddTransposedProduct(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int k, int n) =>
        AddProduct(a, 1, lda, b, ldb, c, ldc, m, k, n);

    /// <summary>Every row of C[M, N] (ldc) set to <paramref name="row"/> [N].</summary>
    public static void BroadcastRows(ReadOnlySpan<float> row, Span<float> c, int ldc, int m)
    {
        for (int i = 0; i < m; i++) row.CopyTo(c.Slice(i * ldc, row.Length));
    }

    /// <summary>sums[N] += column sums of A[M, N] (lda): bias gradients.</summary>
    public static void AddColumnSums(ReadOnlySpan<float> a, int lda, int m, Span<float> sums)
    {
        for (int i = 0; i < m; i++) Add(a.Slice(i * lda, sums.Length), sums);
    }

    /// <summary>y += x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(ReadOnlySpan<float> x, Span<float> y)
    {
        int j = 0;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        for (; j + Lanes <= y.Length; j += Lanes)
            (Vector256.LoadUnsafe(ref y0, (nuint)j) + Vector256.LoadUnsafe(ref x0, (nuint)j)).StoreUnsafe(ref y0, (nuint)j);
        for (; j < y.Length; j++) Unsafe.Add(ref y0, j) += Unsafe.Add(ref x0, j);
    }

    /// <summary>Σ x², accumulated in double.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x) sum += (double)v * v;
        return sum;
    }

    /// <summary>Bᵀ [N, M] from B [M, N], both row-major.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<float> b, int m, int n, Span<float> transposed)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                transposed[j * m + i] = b[i * n + j];
    }
}

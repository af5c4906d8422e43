namespace TinyGru.CodeGen;

/// <summary>
/// What one deployment target offers the generated kernels: vector width, architectural vector registers, whether it
/// has a fused multiply-add, the runtime condition under which the generated dispatcher takes its path, and the
/// per-method size budget the planner keeps generated methods within. Immutable; <see cref="All"/> lists them.
/// </summary>
public sealed class TargetProfile
{
    private TargetProfile(string name, int vectorBits, int vectorRegisters, bool hasFusedMultiplyAdd, string dispatchCondition, int methodBudget)
    {
        Name = name;
        VectorBits = vectorBits;
        VectorRegisters = vectorRegisters;
        HasFusedMultiplyAdd = hasFusedMultiplyAdd;
        DispatchCondition = dispatchCondition;
        MethodBudget = methodBudget;
    }

    /// <summary>
    /// Statements per generated hot method. The JIT compiles large methods too, but its register allocator and
    /// inliner both degrade with method size (the inliner stops after a budget proportional to the root's size —
    /// which made every FMA a call in the 128-bit listings); 600 straight-line statements keep a method's native code
    /// around 10–20 KB, well inside L1i-friendly sizes, and every kernel is written out so nothing depends on inlining.
    /// </summary>
    public const int DefaultMethodBudget = 600;

    /// <summary>x64 with AVX-512F (x86-64-v4): 512-bit vectors, 32 registers (zmm0–31), FMA.</summary>
    public static readonly TargetProfile X64Avx512 = new("x64 AVX-512", 512, 32, true, "Vector512.IsHardwareAccelerated", DefaultMethodBudget);

    /// <summary>x64 with AVX2 + FMA3 (x86-64-v3): 256-bit vectors, 16 registers (ymm0–15).</summary>
    public static readonly TargetProfile X64Avx2 = new("x64 AVX2", 256, 16, true, "Vector256.IsHardwareAccelerated", DefaultMethodBudget);

    /// <summary>x64 with SSE4.2 only (x86-64-v2, the NativeAOT default): 128-bit vectors, 16 registers, no FMA.</summary>
    public static readonly TargetProfile X64Sse42 = new("x64 SSE4.2", 128, 16, false, "Vector128.IsHardwareAccelerated && !AdvSimd.IsSupported", DefaultMethodBudget);

    /// <summary>ARM64 AdvSimd (NEON): 128-bit vectors, 32 registers (v0–v31), FMA.</summary>
    public static readonly TargetProfile Arm64AdvSimd = new("ARM64 AdvSimd", 128, 32, true, "AdvSimd.IsSupported", DefaultMethodBudget);

    /// <summary>No SIMD: one float per operation; 16 floating-point registers is the smallest file among the targets.</summary>
    public static readonly TargetProfile Scalar = new("scalar", 32, 16, false, "otherwise", DefaultMethodBudget);

    /// <summary>Every profile, widest first.</summary>
    public static IReadOnlyList<TargetProfile> All { get; } = new[] { X64Avx512, X64Avx2, X64Sse42, Arm64AdvSimd, Scalar };

    /// <summary>Short name, e.g. "x64 AVX2".</summary>
    public string Name { get; }

    /// <summary>Bits per vector (32 for scalar).</summary>
    public int VectorBits { get; }

    /// <summary>Floats per vector.</summary>
    public int Width => VectorBits / 32;

    /// <summary>Architectural vector (or scalar floating-point) registers.</summary>
    public int VectorRegisters { get; }

    /// <summary>True when a multiply-add is one fused instruction.</summary>
    public bool HasFusedMultiplyAdd { get; }

    /// <summary>The runtime condition (folded by the JIT) under which the generated code runs this profile's path.</summary>
    public string DispatchCondition { get; }

    /// <summary>Largest statement count the planner gives one generated hot method.</summary>
    public int MethodBudget { get; }

    /// <summary>The profiles a generated path of <paramref name="width"/> floats runs on (128-bit code runs on x64 and ARM64).</summary>
    public static IReadOnlyList<TargetProfile> ForWidth(int width) => All.Where(p => p.Width == width).ToList();

    /// <inheritdoc/>
    public override string ToString() => Name;
}

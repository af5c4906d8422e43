using System.Globalization;

namespace TinyGru.CodeGen;

/// <summary>How generated code spells loads, stores, broadcasts and kernels at one SIMD width (or scalar).</summary>
internal sealed class VectorFlavor
{
    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

    public static readonly VectorFlavor Scalar = new(1);
    public static readonly VectorFlavor V128 = new(4);
    public static readonly VectorFlavor V256 = new(8);
    public static readonly VectorFlavor V512 = new(16);

    private VectorFlavor(int width) => Width = width;

    /// <summary>Floats per vector (1 for scalar).</summary>
    public int Width { get; }

    public bool IsScalar => Width == 1;

    private int Bits => Width * 32;

    /// <summary>Method-name suffix: Scalar, 128, 256, 512.</summary>
    public string Suffix => IsScalar ? "Scalar" : Bits.ToString(CultureInfo.InvariantCulture);

    /// <summary>The static Vector class, e.g. global::System.Runtime.Intrinsics.Vector256.</summary>
    public string VectorClass => "global::System.Runtime.Intrinsics.Vector" + Bits.ToString(CultureInfo.InvariantCulture);

    public string TypeName => IsScalar ? "float" : VectorClass + "<float>";

    public string One => IsScalar ? "1f" : TypeName + ".One";

    public string Zero => IsScalar ? "0f" : TypeName + ".Zero";

    /// <summary>The flavor for a component whose vectors are <paramref name="granule"/> floats wide, on this path.</summary>
    public VectorFlavor Narrowed(int granule) => Math.Min(Width, granule) switch
    {
        16 => V512,
        8 => V256,
        4 => V128,
        _ => Scalar,
    };

    public string Load(string reference, string offset) => IsScalar
        ? (offset == "0" ? reference : $"{Unsafe}.Add(ref {reference}, {offset})")
        : (offset == "0" ? $"{VectorClass}.LoadUnsafe(ref {reference})" : $"{VectorClass}.LoadUnsafe(ref {reference}, (nuint)({offset}))");

    public string Store(string value, string reference, string offset) => IsScalar
        ? (offset == "0" ? $"{reference} = {value};" : $"{Unsafe}.Add(ref {reference}, {offset}) = {value};")
        : (offset == "0" ? $"{VectorClass}.StoreUnsafe({value}, ref {reference});" : $"{VectorClass}.StoreUnsafe({value}, ref {reference}, (nuint)({offset}));");

    /// <summary>
    /// Width int8 values at <paramref name="reference"/> + <paramref name="offset"/> (a <c>ref sbyte</c>) as floats, exact
    /// (|q| ≤ 127), reading exactly Width bytes: one sign extension and one conversion where the ISA has them, else the
    /// generated type's portable <c>Int8ToSingle{W}</c>. Written out at each use rather than behind a helper method:
    /// the IsSupported check folds at JIT time, and hundreds of helper inlines in one layer method exhausted the JIT's
    /// inlining budget (it then called the FMA and tanh kernels: the H = 32 step took 9× the float step, measured).
    /// </summary>
    public string LoadInt8(string reference, string offset)
    {
        var (condition, fast, portable) = Int8Forms(reference, offset);
        return condition is null ? portable : $"({condition} ? {fast} : {portable})";
    }

    /// <summary>
    /// The statement <c>target = </c><see cref="LoadInt8"/>, its IsSupported choice as if/else (no JIT temporary; see
    /// <see cref="MultiplyAddTo"/>).
    /// </summary>
    public string LoadInt8To(string target, string reference, string offset)
    {
        var (condition, fast, portable) = Int8Forms(reference, offset);
        return condition is null ? $"{target} = {portable};" : $"if ({condition}) {target} = {fast}; else {target} = {portable};";
    }

    private (string? Condition, string Fast, string Portable) Int8Forms(string reference, string offset)
    {
        const string V = "global::System.Runtime.Intrinsics";
        const string X86 = "global::System.Runtime.Intrinsics.X86";
        string at = offset == "0" ? reference : $"{Unsafe}.Add(ref {reference}, {offset})";
        string Bytes(string type) => $"{V}.Vector128.AsSByte({V}.Vector128.CreateScalarUnsafe({Unsafe}.ReadUnaligned<{type}>(ref {Unsafe}.As<sbyte, byte>(ref {at}))))";
        return Width switch
        {
            1 => (null, "", $"(float){at}"),
            16 => ($"{X86}.Avx512F.IsSupported", $"{X86}.Avx512F.ConvertToVector512Single({X86}.Avx512F.ConvertToVector512Int32({V}.Vector128.LoadUnsafe(ref {at})))", $"Int8ToSingle512({V}.Vector128.LoadUnsafe(ref {at}))"),
            8 => ($"{X86}.Avx2.IsSupported", $"{X86}.Avx.ConvertToVector256Single({X86}.Avx2.ConvertToVector256Int32({Bytes("long")}))", $"Int8ToSingle256({Bytes("long")})"),
            _ => ($"{X86}.Sse41.IsSupported", $"{X86}.Sse2.ConvertToVector128Single({X86}.Sse41.ConvertToVector128Int32({Bytes("int")}))", $"Int8ToSingle128({Bytes("int")})"),
        };
    }

    public string Broadcast(string scalar) => IsScalar ? scalar : $"{VectorClass}.Create({scalar})";

    /// <summary>
    /// a·b + c written out: fused where the CPU has FMA (x86 FMA3 / AVX-512F, ARM64 AdvSimd), unfused otherwise, as
    /// <c>TinyGru.Kernels.MultiplyAdd</c> computes it. The IsSupported checks fold at JIT time to one instruction with no
    /// call to inline: hundreds of kernel inlines per method exhausted the JIT's inlining budget and became calls.
    /// </summary>
    public string MultiplyAdd(string a, string b, string c) =>
        Width == 1 ? Unfused(a, b, c) : "(" + string.Concat(FusedForms(a, b, c).Select(f => $"{f.Condition} ? {f.Fused} : ")) + Unfused(a, b, c) + ")";

    /// <summary>
    /// The statement <c>target = a·b + c</c>, as <see cref="MultiplyAdd"/> computes it but with the IsSupported choice
    /// as if/else statements instead of a conditional expression. The JIT gives every conditional expression a
    /// temporary for its result (its value is on the stack where the branches join), and the JIT inlines nothing into
    /// a method with 512 or more locals: the 288 multiply-adds of small's 512-bit register-resident layer took it past
    /// that, and the weight-data getters stayed calls. A folded if/else assigns the local directly: no temporary.
    /// </summary>
    public string MultiplyAddTo(string target, string a, string b, string c) =>
        string.Concat(FusedForms(a, b, c).Select(f => $"if ({f.Condition}) {target} = {f.Fused}; else ")) + $"{target} = {Unfused(a, b, c)};";

    private static string Unfused(string a, string b, string c)
    {
        static string P(string e) => e.Contains(' ') ? "(" + e + ")" : e;
        return $"{P(a)} * {P(b)} + {P(c)}";
    }

    /// <summary>The fused forms of a·b + c, each under the IsSupported check the JIT folds, tried in order (none for scalar).</summary>
    private IEnumerable<(string Condition, string Fused)> FusedForms(string a, string b, string c)
    {
        const string X86 = "global::System.Runtime.Intrinsics.X86";
        const string Arm = "global::System.Runtime.Intrinsics.Arm";
        if (Width == 16) yield return ($"{X86}.Avx512F.IsSupported", $"{X86}.Avx512F.FusedMultiplyAdd({a}, {b}, {c})");
        if (Width is 8 or 4) yield return ($"{X86}.Fma.IsSupported", $"{X86}.Fma.MultiplyAdd({a}, {b}, {c})");
        if (Width == 4) yield return ($"{Arm}.AdvSimd.IsSupported", $"{Arm}.AdvSimd.FusedMultiplyAdd({c}, {a}, {b})");
    }

    /// <summary>
    /// Statements declaring <c>var {result} = tanh({x})</c>, the function of <c>TinyGru.Kernels.Tanh</c> operation for
    /// operation (same constants, same Estrin order), written out so no call depends on the inliner. Temporaries are
    /// named after <paramref name="result"/>.
    /// </summary>
    public IEnumerable<string> Tanh(string result, string x)
    {
        const string K = "global::TinyGru.Kernels.Tanh";
        string C(string name) => Broadcast($"{K}.{name}");
        string Min(string a, string b) => IsScalar ? $"global::System.Math.Min({a}, {b})" : $"{VectorClass}.Min({a}, {b})";
        string Max(string a, string b) => IsScalar ? $"global::System.Math.Max({a}, {b})" : $"{VectorClass}.Max({a}, {b})";
        string t = result + "_";
        yield return $"var {t}x = {x};";
        yield return $"var {t}y = {Min($"{t}x * {t}x", Broadcast($"{K}.Clamp * {K}.Clamp"))};";
        yield return $"var {t}c = {Min(Max($"{t}x", Broadcast($"-{K}.Clamp")), C("Clamp"))};";
        yield return $"var {t}y2 = {t}y * {t}y;";
        // One multiply-add per statement: nested, each IsSupported form repeats its arguments (3 forms at 128 bits), so
        // the Estrin tree grew to ~100 copies per activation and pushed layer methods past the JIT's IL limit (MinOpts).
        yield return $"var {t}p11 = {MultiplyAdd($"{t}y", C("A11"), C("A9"))};";
        yield return $"var {t}p13 = {MultiplyAdd($"{t}y2", C("A13"), $"{t}p11")};";
        yield return $"var {t}p7 = {MultiplyAdd($"{t}y", C("A7"), C("A5"))};";
        yield return $"var {t}p3 = {MultiplyAdd($"{t}y", C("A3"), C("A1"))};";
        yield return $"var {t}p5 = {MultiplyAdd($"{t}y2", $"{t}p7", $"{t}p3")};";
        yield return $"var {t}p = {MultiplyAdd($"{t}y2 * {t}y2", $"{t}p13", $"{t}p5")};";
        yield return $"var {t}q6 = {MultiplyAdd($"{t}y", C("B6"), C("B4"))};";
        yield return $"var {t}q2 = {MultiplyAdd($"{t}y", C("B2"), C("B0"))};";
        yield return $"var {t}q = {MultiplyAdd($"{t}y2", $"{t}q6", $"{t}q2")};";
        yield return $"var {result} = {t}c * {t}p * ({One} / {t}q);";
    }

    /// <summary>Statements declaring <c>var {result} = σ({x})</c> = ½ + ½·tanh(x/2), as <c>TinyGru.Kernels.Sigmoid</c>.</summary>
    public IEnumerable<string> Sigmoid(string result, string x)
    {
        string half = Broadcast("0.5f");
        foreach (var line in Tanh(result + "_t", $"{half} * ({x})")) yield return line;
        yield return $"var {result} = {MultiplyAdd($"{result}_t", half, half)};";
    }

    /// <summary>
    /// Statements declaring <c>var {result} = g({x})</c> for the model's gate function g: the sigmoid (<see cref="Sigmoid"/>),
    /// or a hard sigmoid as the reference engine computes it — Keras 2 clip(0.2·x + 0.5, 0, 1), Keras 3
    /// clip(x + 3, 0, 6) / 6 (as ×1/6).
    /// </summary>
    public IEnumerable<string> Gate(TinyGru.Model.GateActivation activation, string result, string x) => activation switch
    {
        TinyGru.Model.GateActivation.HardSigmoidKeras2 => new[] { $"var {result} = {Clamp(MultiplyAdd($"({x})", Broadcast("0.2f"), Broadcast("0.5f")), Zero, One)};" },
        TinyGru.Model.GateActivation.HardSigmoidKeras3 => new[] { $"var {result} = {Clamp($"({x}) + {Broadcast("3f")}", Zero, Broadcast("6f"))} * {Broadcast("(1f / 6f)")};" },
        _ => Sigmoid(result, x),
    };

    /// <summary>
    /// Statements declaring <c>var {result} = 2·g(2a) − 1</c> for a halved pre-activation a (the register-resident
    /// layer's form, where σ(2a) = ½ + ½·tanh(a)): tanh(a) for the sigmoid; the hard sigmoids are hard tanhs there,
    /// clip(0.8·a, −1, 1) (Keras 2) and clip(⅔·a, −1, 1) (Keras 3).
    /// </summary>
    public IEnumerable<string> GateAsTanh(TinyGru.Model.GateActivation activation, string result, string halfX) => activation switch
    {
        TinyGru.Model.GateActivation.HardSigmoidKeras2 => new[] { $"var {result} = {Clamp($"({halfX}) * {Broadcast("0.8f")}", $"-{One}", One)};" },
        TinyGru.Model.GateActivation.HardSigmoidKeras3 => new[] { $"var {result} = {Clamp($"({halfX}) * {Broadcast("(2f / 3f)")}", $"-{One}", One)};" },
        _ => Tanh(result, halfX),
    };

    /// <summary>min(max(x, lo), hi).</summary>
    public string Clamp(string x, string lo, string hi) => IsScalar
        ? $"global::System.Math.Min(global::System.Math.Max({x}, {lo}), {hi})"
        : $"{VectorClass}.Min({VectorClass}.Max({x}, {lo}), {hi})";

    /// <summary>max(x, 0): ReLU.</summary>
    public string Relu(string x) => IsScalar ? $"global::System.Math.Max({x}, 0f)" : $"{VectorClass}.Max({x}, {Zero})";

    /// <summary>The condition under which the JIT runs this path.</summary>
    public string Accelerated => VectorClass + ".IsHardwareAccelerated";
}

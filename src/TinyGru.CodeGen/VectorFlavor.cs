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
        const string V = "global::System.Runtime.Intrinsics";
        const string X86 = "global::System.Runtime.Intrinsics.X86";
        string at = offset == "0" ? reference : $"{Unsafe}.Add(ref {reference}, {offset})";
        string Bytes(string type) => $"{V}.Vector128.AsSByte({V}.Vector128.CreateScalarUnsafe({Unsafe}.ReadUnaligned<{type}>(ref {Unsafe}.As<sbyte, byte>(ref {at}))))";
        return Width switch
        {
            1 => $"(float){at}",
            16 => $"({X86}.Avx512F.IsSupported ? {X86}.Avx512F.ConvertToVector512Single({X86}.Avx512F.ConvertToVector512Int32({V}.Vector128.LoadUnsafe(ref {at}))) : Int8ToSingle512({V}.Vector128.LoadUnsafe(ref {at})))",
            8 => $"({X86}.Avx2.IsSupported ? {X86}.Avx.ConvertToVector256Single({X86}.Avx2.ConvertToVector256Int32({Bytes("long")})) : Int8ToSingle256({Bytes("long")}))",
            _ => $"({X86}.Sse41.IsSupported ? {X86}.Sse2.ConvertToVector128Single({X86}.Sse41.ConvertToVector128Int32({Bytes("int")})) : Int8ToSingle128({Bytes("int")}))",
        };
    }

    public string Broadcast(string scalar) => IsScalar ? scalar : $"{VectorClass}.Create({scalar})";

    public string MultiplyAdd(string a, string b, string c) => $"global::TinyGru.Kernels.MultiplyAdd.{KernelSuffix}({a}, {b}, {c})";

    public string Sigmoid(string x) => $"global::TinyGru.Kernels.Sigmoid.{KernelSuffix}({x})";

    public string Tanh(string x) => $"global::TinyGru.Kernels.Tanh.{KernelSuffix}({x})";

    private string KernelSuffix => IsScalar ? "Scalar" : "V" + Bits.ToString(CultureInfo.InvariantCulture);

    /// <summary>The condition under which the JIT runs this path.</summary>
    public string Accelerated => VectorClass + ".IsHardwareAccelerated";
}

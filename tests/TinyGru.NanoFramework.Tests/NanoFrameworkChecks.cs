using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;

namespace TinyGru.NanoFramework.Tests;

/// <summary>Which member references check 2 accepts (see <see cref="NanoAllowlist"/>).</summary>
public enum NanoCheckProfile
{
    /// <summary>Generated model code: math, arrays, exceptions, resources; no I/O, no threads.</summary>
    Model,
    /// <summary>A firmware application (the sample): Model plus Debug, Thread.Sleep, I2C and ESP32 pin configuration.</summary>
    Application,
}

/// <summary>One broken rule: which check found it, the rule, where (type/method), and a message for humans.</summary>
public sealed record NanoViolation(string Check, string Rule, string Location, string Message)
{
    public override string ToString() => $"[{Check}/{Rule}] {Location}: {Message}";
}

/// <summary>Result of <see cref="NanoFrameworkChecks.Check(string, string)"/>: check 1 (compile) and check 2 (IL scan).</summary>
public sealed class NanoCheckReport
{
    public required string Name { get; init; }
    /// <summary>Check 1 produced an assembly (no compile errors against the real mscorlib and the package stubs).</summary>
    public bool Compiled { get; init; }
    public IReadOnlyList<string> CompilerWarnings { get; init; } = [];
    public IReadOnlyList<NanoViolation> Violations { get; init; } = [];
    /// <summary>Sum of IL code bytes of all method bodies (the metadata processor's byte-code table holds ≤ 64 KB).</summary>
    public int IlBytes { get; init; }
    /// <summary>Bytes of array-initializer data (FieldRVA blobs; addressed with 16-bit offsets → ≤ 64 KB).</summary>
    public int InitializerBytes { get; init; }
    public int Methods { get; init; }
    public int Types { get; init; }
    public int MaxLocals { get; init; }
    public int MaxStack { get; init; }
    public bool Passed => Compiled && Violations.Count == 0;
    /// <summary>Informational findings that are legal on v1 but cost something there (struct locals, checked arithmetic).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>Methods ("Type::Name") whose IL, locals or signature use float32 (heuristic over IL; for "no floating point in Step").</summary>
    public IReadOnlySet<string> FloatingPointMethods { get; init; } = new HashSet<string>();
    /// <summary>Methods that use float64 (software arithmetic on ESP32): e.g. only at Math.Tanh(double) call sites.</summary>
    public IReadOnlySet<string> DoubleMethods { get; init; } = new HashSet<string>();

    /// <summary>Attribute constructors the assembly references (those the compiler emits on its own are exempt from the allowlist).</summary>
    public IReadOnlyList<string> AttributeConstructors { get; init; } = [];

    public bool Has(string rule) => Violations.Any(v => v.Rule == rule);

    public override string ToString()
    {
        var lines = new List<string>
        {
            $"{Name}: {(Passed ? "PASS" : "FAIL")} — IL {IlBytes} B, initializer data {InitializerBytes} B, " +
            $"{Methods} methods in {Types} types, max locals {MaxLocals}, max stack {MaxStack}",
        };
        lines.AddRange(Violations.Select(v => "  " + v));
        lines.AddRange(Notes.Select(n => "  note: " + n));
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Static nanoFramework v1 compatibility checks (issue #6). Checked statically: nothing here runs on nanoCLR or hardware.
/// Check 1: compile with Roslyn, LangVersion 9, against the real nanoFramework mscorlib (nanoFramework.CoreLibrary
/// 1.17.11 from NuGet) and stubs of the packages the feed does not serve (no .NET standard library). Check 2: scan the produced IL with System.Reflection.Metadata (<see cref="NanoIlScanner"/>).
/// </summary>
public static class NanoFrameworkChecks
{
    public const int MaxIlBytesPerAssembly = 64 * 1024;
    public const int MaxInitializerBytes = 64 * 1024;
    public const int MaxPerMethod = 255; // locals, arguments, max stack: written as one byte by the metadata processor
    public const int MaxMethodsPerType = 255;

    /// <summary>The unserved packages stubbed here, in compile order (a stub may reference the ones before it).</summary>
    public static readonly IReadOnlyList<string> StubAssemblies =
        ["System.Math", "nanoFramework.ResourceManager", "nanoFramework.Runtime.Native", "System.Device.I2c", "nanoFramework.Hardware.Esp32"];

    /// <summary>The real nanoFramework mscorlib.dll (nanoFramework.CoreLibrary from NuGet, copied beside the tests by the project).</summary>
    public static string MscorlibPath => Path.Combine(AppContext.BaseDirectory, "nanoframework", "mscorlib.dll");

    private static readonly Lazy<IReadOnlyList<(string Name, MetadataReference Reference, ImmutableArray<byte> Image)>> Assemblies = new(LoadAssemblies);

    /// <summary>What check 1 compiles against: the real mscorlib and the stubs.</summary>
    public static IReadOnlyList<MetadataReference> References => Assemblies.Value.Select(a => a.Reference).ToList();

    /// <summary>The images of the real mscorlib and the compiled stubs (for the IL scanner's enum list and for tests).</summary>
    public static IReadOnlyList<(string Name, ImmutableArray<byte> Image)> ReferenceImages => Assemblies.Value.Select(a => (a.Name, a.Image)).ToList();

    public static string StubSource(string assembly)
    {
        using var stream = typeof(NanoFrameworkChecks).Assembly.GetManifestResourceStream($"Stub.{assembly}.cs")
            ?? throw new InvalidOperationException($"stub resource for {assembly} missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Runs checks 1 and 2 on one C# file with the <see cref="NanoCheckProfile.Model"/> allowlist.</summary>
    public static NanoCheckReport Check(string source, string name) => Check([source], name, NanoCheckProfile.Model);

    /// <summary>Runs checks 1 and 2 on several files compiled together into one assembly.</summary>
    public static NanoCheckReport Check(IReadOnlyList<string> sources, string name, NanoCheckProfile profile,
        OptimizationLevel optimization = OptimizationLevel.Release)
    {
        var parse = new CSharpParseOptions(LanguageVersion.CSharp9, preprocessorSymbols: ["NANOFRAMEWORK_1_0"]);
        var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parse, path: $"{name}.{i}.cs")).ToArray();
        var options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: optimization,
            // Unsafe code is allowed at compile time on purpose so that pointers reach check 2 and are reported there
            // (nanoFramework v1 has no pointer support at all).
            allowUnsafe: true,
            nullableContextOptions: NullableContextOptions.Disable,
            deterministic: true);
        var compilation = CSharpCompilation.Create(name, trees, References, options);

        using var pe = new MemoryStream();
        var emit = compilation.Emit(pe, options: new EmitOptions(runtimeMetadataVersion: "v4.0.30319"));
        var warnings = emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        if (!emit.Success)
        {
            var errors = emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)
                .Select(d => new NanoViolation("compile", d.Id, d.Location.GetLineSpan().ToString(),
                    d.GetMessage() + Explain(d.Id, d.GetMessage())))
                .ToList();
            return new NanoCheckReport { Name = name, Compiled = false, CompilerWarnings = warnings, Violations = errors };
        }

        var scan = NanoIlScanner.Scan(pe.ToArray(), NanoAllowlist.For(profile));
        return new NanoCheckReport
        {
            Name = name,
            Compiled = true,
            CompilerWarnings = warnings,
            Violations = scan.Violations,
            IlBytes = scan.IlBytes,
            InitializerBytes = scan.InitializerBytes,
            Methods = scan.Methods,
            Types = scan.Types,
            MaxLocals = scan.MaxLocals,
            MaxStack = scan.MaxStack,
            Notes = scan.Notes,
            FloatingPointMethods = scan.FloatingPointMethods,
            DoubleMethods = scan.DoubleMethods,
            AttributeConstructors = scan.AttributeConstructors,
        };
    }

    /// <summary>
    /// Calls to System.Math methods whose argument is not already a <c>double</c> before conversion ("Tanh(float x)" etc.).
    /// nanoFramework.System.Math declares double overloads only (its float ones were [Obsolete(error: true)] before they
    /// were removed), so code meant for every package version widens the argument itself.
    /// </summary>
    public static IReadOnlyList<string> MathCallsWithNonDoubleArguments(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.CSharp9, preprocessorSymbols: ["NANOFRAMEWORK_1_0"]));
        var compilation = CSharpCompilation.Create("MathArguments", [tree], References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));
        var model = compilation.GetSemanticModel(tree);
        var found = new List<string>();
        foreach (var call in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>())
        {
            if (model.GetSymbolInfo(call).Symbol is not IMethodSymbol method || method.ContainingType.ToDisplayString() != "System.Math") continue;
            if (method.Parameters.All(p => p.Type.SpecialType != SpecialType.System_Double)) continue; // Abs(float) etc.
            foreach (var argument in call.ArgumentList.Arguments)
                if (model.GetTypeInfo(argument.Expression).Type?.SpecialType != SpecialType.System_Double)
                    found.Add($"{call} (line {call.GetLocation().GetLineSpan().StartLinePosition.Line + 1})");
        }
        return found;
    }

    // Short hints for the errors that mean "this C# needs something nanoFramework v1 does not have".
    private static string Explain(string id, string message)
    {
        if (message.Contains("'Span<", StringComparison.Ordinal) || message.Contains("'ReadOnlySpan<", StringComparison.Ordinal))
            return " (nanoFramework v1 has no Span<T>; use arrays or System.SpanByte)";
        return id switch
        {
            "CS0518" or "CS8179" => " (a type the compiler needs is not in the nanoFramework v1 API: this C# feature is unavailable there)",
            "CS0246" or "CS0234" => " (not in nanoFramework's mscorlib or the stubbed packages)",
            "CS0117" or "CS1061" or "CS1501" or "CS1503" => " (member or overload not in nanoFramework's mscorlib or the stubbed packages)",
            "CS8773" or "CS8652" or "CS9058" => " (needs a newer C# than 9, the nanoFramework project default)",
            _ => id.StartsWith("CS8", StringComparison.Ordinal) && message.Contains("C# 9", StringComparison.Ordinal)
                ? " (needs a newer C# than 9, the nanoFramework project default)" : "",
        };
    }

    private static IReadOnlyList<(string, MetadataReference, ImmutableArray<byte>)> LoadAssemblies()
    {
        if (!File.Exists(MscorlibPath))
            throw new FileNotFoundException("The real nanoFramework mscorlib.dll is restored from the nanoFramework.CoreLibrary package by the test project; build the project to copy it.", MscorlibPath);
        var mscorlib = ImmutableArray.Create(File.ReadAllBytes(MscorlibPath));
        var loaded = new List<(string, MetadataReference, ImmutableArray<byte>)> { ("mscorlib", MetadataReference.CreateFromImage(mscorlib), mscorlib) };
        foreach (var assembly in StubAssemblies)
        {
            var tree = CSharpSyntaxTree.ParseText(StubSource(assembly), new CSharpParseOptions(LanguageVersion.CSharp9), path: assembly + ".cs");
            var compilation = CSharpCompilation.Create(assembly, [tree], loaded.Select(l => l.Item2),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));
            using var pe = new MemoryStream();
            var emit = compilation.Emit(pe);
            if (!emit.Success)
                throw new InvalidOperationException($"The {assembly} stub does not compile against the real mscorlib:\n" +
                    string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
            var image = ImmutableArray.Create(pe.ToArray());
            loaded.Add((assembly, MetadataReference.CreateFromImage(image), image));
        }
        return loaded;
    }
}

/// <summary>Member references check 2 accepts, as "Namespace.Type::Member(paramTypes)".</summary>
public static class NanoAllowlist
{
    /// <summary>Safe for generated model code. Math.Exp/Tanh take double and throw NotImplementedException on
    /// firmware built without double math (RP2040 "light math"): allowed, but a model meant for such firmware
    /// must use the managed approximation instead.</summary>
    public static readonly IReadOnlySet<string> Model = new HashSet<string>(StringComparer.Ordinal)
    {
        "System.Object::.ctor()",
        "System.Object::ToString()",
        "System.Math::Tanh(double)",
        "System.Math::Exp(double)",
        "System.Math::Abs(float)", "System.Math::Abs(int)", "System.Math::Abs(double)",
        "System.Math::Max(float,float)", "System.Math::Max(int,int)", "System.Math::Max(double,double)",
        "System.Math::Min(float,float)", "System.Math::Min(int,int)", "System.Math::Min(double,double)",
        "System.Math::Clamp(float,float,float)",
        "System.Runtime.CompilerServices.RuntimeHelpers::InitializeArray(System.Array,System.RuntimeFieldHandle)",
        "System.Array::Copy(System.Array,System.Array,int)",
        "System.Array::Copy(System.Array,int,System.Array,int,int)",
        "System.Array::Clear(System.Array,int,int)",
        "System.ArgumentException::.ctor()", "System.ArgumentException::.ctor(string)", "System.ArgumentException::.ctor(string,string)",
        "System.ArgumentNullException::.ctor(string)",
        "System.ArgumentOutOfRangeException::.ctor(string)", "System.ArgumentOutOfRangeException::.ctor(string,string)",
        "System.InvalidOperationException::.ctor(string)",
        "System.NotImplementedException::.ctor(string)",
        "System.NotSupportedException::.ctor(string)",
        "System.String::Concat(string,string)", "System.String::Concat(string,string,string)",
        "System.String::Concat(string,string,string,string)",
        "System.Int32::ToString()",
        // Float weights read from a resource slice (CoreLibrary BitConverter.cs).
        "System.BitConverter::ToSingle(byte[],int)",
        // Weights as a binary resource read in slices (flash placement).
        "System.Type::GetTypeFromHandle(System.RuntimeTypeHandle)",
        "System.Type::get_Assembly()",
        "System.Resources.ResourceManager::.ctor(string,System.Reflection.Assembly)",
        "nanoFramework.Runtime.Native.ResourceUtility::GetObject(System.Resources.ResourceManager,System.Enum,int,int)",
    };

    /// <summary>Model plus what a firmware application like the sample needs.</summary>
    public static readonly IReadOnlySet<string> Application = new HashSet<string>(Model, StringComparer.Ordinal)
    {
        "System.Diagnostics.Debug::WriteLine(string)",
        "System.Threading.Thread::Sleep(int)",
        "System.Single::ToString()",
        "System.Exception::get_Message()",
        "nanoFramework.Hardware.Esp32.Configuration::SetPinFunction(int,nanoFramework.Hardware.Esp32.DeviceFunction)",
        "System.Device.I2c.I2cConnectionSettings::.ctor(int,int)",
        "System.Device.I2c.I2cConnectionSettings::.ctor(int,int,System.Device.I2c.I2cBusSpeed)",
        "System.Device.I2c.I2cDevice::.ctor(System.Device.I2c.I2cConnectionSettings)",
        "System.Device.I2c.I2cDevice::Create(System.Device.I2c.I2cConnectionSettings)",
        "System.Device.I2c.I2cDevice::Write(System.SpanByte)",
        "System.Device.I2c.I2cDevice::Read(System.SpanByte)",
        "System.Device.I2c.I2cDevice::WriteRead(System.SpanByte,System.SpanByte)",
        "System.Device.I2c.I2cDevice::ReadByte()",
        "System.Device.I2c.I2cDevice::WriteByte(byte)",
        "System.Device.I2c.I2cTransferResult::get_Status()",
        "System.SpanByte::op_Implicit(byte[])",
        "System.SpanByte::.ctor(byte[])",
    };

    public static IReadOnlySet<string> For(NanoCheckProfile profile) => profile == NanoCheckProfile.Model ? Model : Application;
}

using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace TinyGru.NanoFramework.Tests;

/// <summary>
/// Check 2: reads a compiled assembly with System.Reflection.Metadata and reports what nanoFramework v1's
/// interpreter and metadata processor cannot take (rules and sources in docs/nanoframework-checks.md).
/// </summary>
public static class NanoIlScanner
{
    public sealed record Result(
        IReadOnlyList<NanoViolation> Violations, int IlBytes, int InitializerBytes, int Methods, int Types, int MaxLocals, int MaxStack,
        IReadOnlyList<string> Notes, IReadOnlySet<string> FloatingPointMethods, IReadOnlySet<string> DoubleMethods,
        IReadOnlyList<string> AttributeConstructors);

    // Opcodes that touch float32 / float64 values (heuristic for "no floating point inside Step" and "double is software on ESP32").
    private static readonly HashSet<ushort> FloatOps =
        [(ushort)OpCodes.Ldc_R4.Value, (ushort)OpCodes.Conv_R4.Value, (ushort)OpCodes.Ldelem_R4.Value, (ushort)OpCodes.Stelem_R4.Value,
         (ushort)OpCodes.Ldind_R4.Value, (ushort)OpCodes.Stind_R4.Value];
    private static readonly HashSet<ushort> DoubleOps =
        [(ushort)OpCodes.Ldc_R8.Value, (ushort)OpCodes.Conv_R8.Value, (ushort)OpCodes.Conv_R_Un.Value, (ushort)OpCodes.Ldelem_R8.Value,
         (ushort)OpCodes.Stelem_R8.Value, (ushort)OpCodes.Ldind_R8.Value, (ushort)OpCodes.Stind_R8.Value, (ushort)OpCodes.Ckfinite.Value];
    // Checked arithmetic: compiles and runs on v1 but does not trap (no OverflowException).
    private static readonly HashSet<ushort> OverflowOps = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.Name.Contains("_Ovf", StringComparison.Ordinal)).Select(f => (ushort)((OpCode)f.GetValue(null)!).Value).ToHashSet();

    // Opcodes the nanoFramework v1 interpreter rejects (nf-interpreter, per the project's shared notes).
    private static readonly Dictionary<ushort, string> Forbidden = new()
    {
        [(ushort)OpCodes.Localloc.Value] = "localloc (stackalloc)",
        [(ushort)OpCodes.Cpblk.Value] = "cpblk",
        [(ushort)OpCodes.Initblk.Value] = "initblk",
        [(ushort)OpCodes.Calli.Value] = "calli (function pointer call)",
        [(ushort)OpCodes.Jmp.Value] = "jmp",
        [(ushort)OpCodes.Ckfinite.Value] = "ckfinite",
        [(ushort)OpCodes.Mkrefany.Value] = "mkrefany (__makeref)",
        [(ushort)OpCodes.Refanytype.Value] = "refanytype (__reftype)",
        [(ushort)OpCodes.Refanyval.Value] = "refanyval (__refvalue)",
        [(ushort)OpCodes.Readonly.Value] = "readonly. prefix",
    };

    private static readonly Dictionary<ushort, OpCode> AllOpCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => (ushort)o.Value);

    public static Result Scan(byte[] image, IReadOnlySet<string> allowlist)
    {
        using var pe = new PEReader(ImmutableArray.Create(image));
        var md = pe.GetMetadataReader();
        var violations = new List<NanoViolation>();
        void Add(string rule, string where, string message) => violations.Add(new NanoViolation("il", rule, where, message));

        // Generic definitions and instantiations anywhere in the assembly.
        for (int gpRow = 1; gpRow <= md.GetTableRowCount(TableIndex.GenericParam); gpRow++)
        {
            var p = md.GetGenericParameter(MetadataTokens.GenericParameterHandle(gpRow));
            string owner = p.Parent.Kind == HandleKind.TypeDefinition
                ? TypeName(md, (TypeDefinitionHandle)p.Parent)
                : MethodName(md, (MethodDefinitionHandle)p.Parent);
            Add("generic-definition", owner, $"generic parameter '{md.GetString(p.Name)}': nanoFramework v1 has no generics");
        }
        for (int row = 1; row <= md.GetTableRowCount(TableIndex.MethodSpec); row++)
        {
            var spec = md.GetMethodSpecification(MetadataTokens.MethodSpecificationHandle(row));
            Add("generic-instantiation", MemberName(md, spec.Method), "generic method instantiation: nanoFramework v1 has no generics");
        }
        for (int row = 1; row <= md.GetTableRowCount(TableIndex.TypeSpec); row++)
        {
            var handle = MetadataTokens.TypeSpecificationHandle(row);
            var p = new Probe();
            string t = md.GetTypeSpecification(handle).DecodeSignature(p, null);
            foreach (var problem in p.Problems) Add(problem.Rule, "type " + t, problem.Message);
        }

        // Member references: only the allowlist, and their signatures must be representable. Constructors of the
        // attributes the C# compiler puts on every assembly are exempt when they are used only as attributes.
        var attributeConstructors = md.CustomAttributes.Select(h => md.GetCustomAttribute(h).Constructor)
            .Where(c => c.Kind == HandleKind.MemberReference).Select(c => (MemberReferenceHandle)c).ToHashSet();
        var attributeKeys = new List<string>();
        for (int row = 1; row <= md.GetTableRowCount(TableIndex.MemberRef); row++)
        {
            var handle = MetadataTokens.MemberReferenceHandle(row);
            var p = new Probe();
            string key = MemberRefKey(md, handle, p);
            foreach (var problem in p.Problems) Add(problem.Rule, key, problem.Message);
            if (attributeConstructors.Contains(handle)) attributeKeys.Add(key);
            if (!allowlist.Contains(key) && !(attributeConstructors.Contains(handle) && IsToolchainAttribute(key)))
                Add("not-allowlisted", key, "reference to a member outside the allowlist of members considered safe on nanoFramework v1");
        }

        int ilBytes = 0, initBytes = 0, methods = 0, types = 0, maxLocals = 0, maxStack = 0;
        var notes = new List<string>();
        var floatMethods = new HashSet<string>(StringComparer.Ordinal);
        var doubleMethods = new HashSet<string>(StringComparer.Ordinal);
        var enums = EnumNames(md);
        foreach (var th in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(th);
            string typeName = TypeName(md, th);
            if (typeName == "<Module>") continue;
            types++;
            var typeMethods = type.GetMethods();
            if (typeMethods.Count > NanoFrameworkChecks.MaxMethodsPerType)
                Add("methods-per-type", typeName, $"{typeMethods.Count} methods in one type (limit {NanoFrameworkChecks.MaxMethodsPerType})");

            foreach (var fh in type.GetFields())
            {
                var field = md.GetFieldDefinition(fh);
                var p = new Probe();
                field.DecodeSignature(p, null);
                foreach (var problem in p.Problems) Add(problem.Rule, $"{typeName}::{md.GetString(field.Name)}", problem.Message);
                if (field.GetRelativeVirtualAddress() != 0)
                    initBytes += field.DecodeSignature(new SizeProvider(md), null);
            }

            foreach (var mh in typeMethods)
            {
                methods++;
                var method = md.GetMethodDefinition(mh);
                string name = MethodName(md, mh);
                var p = new Probe();
                var sig = method.DecodeSignature(p, null);
                var sigTypes = sig.ParameterTypes.Add(sig.ReturnType);
                if (sigTypes.Any(t => t.StartsWith("float", StringComparison.Ordinal))) floatMethods.Add(name);
                if (sigTypes.Any(t => t.StartsWith("double", StringComparison.Ordinal))) doubleMethods.Add(name);
                foreach (var problem in p.Problems) Add(problem.Rule, name, problem.Message);
                int args = sig.ParameterTypes.Length + (sig.Header.IsInstance ? 1 : 0);
                if (args > NanoFrameworkChecks.MaxPerMethod)
                    Add("arguments", name, $"{args} arguments including 'this' (limit {NanoFrameworkChecks.MaxPerMethod}, stored in one byte)");

                if (method.RelativeVirtualAddress == 0) continue;
                var body = pe.GetMethodBody(method.RelativeVirtualAddress);
                var il = body.GetILBytes() ?? [];
                ilBytes += il.Length;
                maxStack = Math.Max(maxStack, body.MaxStack);
                if (body.MaxStack > NanoFrameworkChecks.MaxPerMethod)
                    Add("max-stack", name, $"evaluation stack depth {body.MaxStack} (limit {NanoFrameworkChecks.MaxPerMethod}, stored in one byte)");
                if (!body.LocalSignature.IsNil)
                {
                    var lp = new Probe();
                    var locals = md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(lp, null);
                    foreach (var problem in lp.Problems) Add(problem.Rule, name + " (locals)", problem.Message);
                    maxLocals = Math.Max(maxLocals, locals.Length);
                    if (locals.Any(t => t.StartsWith("float", StringComparison.Ordinal))) floatMethods.Add(name);
                    if (locals.Any(t => t.StartsWith("double", StringComparison.Ordinal))) doubleMethods.Add(name);
                    foreach (var vt in lp.ValueTypes.Where(v => !enums.Contains(v)).Distinct())
                        notes.Add($"{name}: local of struct type {vt} (v1 allocates struct locals on the heap at method entry)");
                    if (locals.Length > NanoFrameworkChecks.MaxPerMethod)
                        Add("locals", name, $"{locals.Length} locals (limit {NanoFrameworkChecks.MaxPerMethod}, stored in one byte)");
                }
                var (usesFloat, usesDouble, usesOverflow) = ScanIl(il, name, Add);
                if (usesFloat) floatMethods.Add(name);
                if (usesDouble) doubleMethods.Add(name);
                if (usesOverflow) notes.Add($"{name}: checked arithmetic (*.ovf): does not trap on v1 (no OverflowException)");
            }
        }

        if (ilBytes > NanoFrameworkChecks.MaxIlBytesPerAssembly)
            Add("il-size", "assembly", $"{ilBytes} bytes of IL (the metadata processor's byte-code table holds {NanoFrameworkChecks.MaxIlBytesPerAssembly}: \"Byte code table overflow\")");
        if (initBytes > NanoFrameworkChecks.MaxInitializerBytes)
            Add("initializer-size", "assembly", $"{initBytes} bytes of array-initializer data (addressed with 16-bit offsets: limit {NanoFrameworkChecks.MaxInitializerBytes})");

        return new Result(violations, ilBytes, initBytes, methods, types, maxLocals, maxStack, notes, floatMethods, doubleMethods, attributeKeys);
    }

    private static (bool Float, bool Double, bool Overflow) ScanIl(byte[] il, string method, Action<string, string, string> add)
    {
        bool usesFloat = false, usesDouble = false, usesOverflow = false;
        int pos = 0;
        var seen = new HashSet<string>();
        while (pos < il.Length)
        {
            int start = pos;
            ushort value = il[pos++];
            if (value == 0xFE) value = (ushort)(0xFE00 | il[pos++]);
            if (!AllOpCodes.TryGetValue(value, out var op))
            {
                add("bad-il", method, $"unknown opcode 0x{value:X} at IL_{start:X4}");
                return (usesFloat, usesDouble, usesOverflow);
            }
            usesFloat |= FloatOps.Contains(value);
            usesDouble |= DoubleOps.Contains(value);
            usesOverflow |= OverflowOps.Contains(value);
            if (Forbidden.TryGetValue(value, out var what) && seen.Add(what))
                add("opcode", method, $"{what} at IL_{start:X4}: not supported by the nanoFramework v1 interpreter");
            pos += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, pos),
                _ => 4,
            };
        }
        return (usesFloat, usesDouble, usesOverflow);
    }

    // Enums of this assembly and of the references (mscorlib, stubs): value types that v1 stores as their underlying integer (no heap cost).
    private static HashSet<string> EnumNames(MetadataReader md)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Collect(MetadataReader r)
        {
            foreach (var th in r.TypeDefinitions)
            {
                var t = r.GetTypeDefinition(th);
                if (t.BaseType.IsNil) continue;
                if (t.BaseType.Kind == HandleKind.TypeReference && TypeRefName(r, (TypeReferenceHandle)t.BaseType) == "System.Enum")
                    names.Add(TypeName(r, th));
                else if (t.BaseType.Kind == HandleKind.TypeDefinition && TypeName(r, (TypeDefinitionHandle)t.BaseType) == "System.Enum")
                    names.Add(TypeName(r, th));
            }
        }
        Collect(md);
        foreach (var (_, image) in NanoFrameworkChecks.ReferenceImages)
        {
            using var reference = new PEReader(image);
            Collect(reference.GetMetadataReader());
        }
        return names;
    }

    // Attributes the C# compiler emits on its own: on every assembly (Debuggable, CompilationRelaxations,
    // RuntimeCompatibility; the real nanoFramework build compiles with the same csc, so its metadata processor takes
    // them) and for language features (System.Runtime.CompilerServices.*Attribute, e.g. Extension, IsReadOnly).
    internal static bool IsToolchainAttribute(string key) =>
        key.StartsWith("System.Diagnostics.DebuggableAttribute::.ctor(", StringComparison.Ordinal) ||
        (key.StartsWith("System.Runtime.CompilerServices.", StringComparison.Ordinal) && key.Contains("Attribute::.ctor(", StringComparison.Ordinal));

    private static string MemberRefKey(MetadataReader md, MemberReferenceHandle handle, Probe probe)
    {
        var mr = md.GetMemberReference(handle);
        string parent = mr.Parent.Kind switch
        {
            HandleKind.TypeReference => TypeRefName(md, (TypeReferenceHandle)mr.Parent),
            HandleKind.TypeDefinition => TypeName(md, (TypeDefinitionHandle)mr.Parent),
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)mr.Parent).DecodeSignature(probe, null),
            _ => mr.Parent.Kind.ToString(),
        };
        string name = md.GetString(mr.Name);
        if (mr.GetKind() == MemberReferenceKind.Field)
            return $"{parent}::{name}:{mr.DecodeFieldSignature(probe, null)}";
        var sig = mr.DecodeMethodSignature(probe, null);
        return $"{parent}::{name}({string.Join(",", sig.ParameterTypes)})";
    }

    private static string MemberName(MetadataReader md, EntityHandle h) => h.Kind switch
    {
        HandleKind.MethodDefinition => MethodName(md, (MethodDefinitionHandle)h),
        HandleKind.MemberReference => md.GetString(md.GetMemberReference((MemberReferenceHandle)h).Name),
        _ => h.Kind.ToString(),
    };

    internal static string MethodName(MetadataReader md, MethodDefinitionHandle h)
    {
        var m = md.GetMethodDefinition(h);
        return $"{TypeName(md, m.GetDeclaringType())}::{md.GetString(m.Name)}";
    }

    internal static string TypeName(MetadataReader md, TypeDefinitionHandle h)
    {
        var t = md.GetTypeDefinition(h);
        string name = md.GetString(t.Name);
        if (t.IsNested) return TypeName(md, t.GetDeclaringType()) + "/" + name;
        string ns = md.GetString(t.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    internal static string TypeRefName(MetadataReader md, TypeReferenceHandle h)
    {
        var t = md.GetTypeReference(h);
        string name = md.GetString(t.Name);
        if (t.ResolutionScope.Kind == HandleKind.TypeReference)
            return TypeRefName(md, (TypeReferenceHandle)t.ResolutionScope) + "/" + name;
        string ns = md.GetString(t.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>Decodes signatures to readable names and records what v1 cannot represent.</summary>
    private sealed class Probe : ISignatureTypeProvider<string, object?>
    {
        public List<(string Rule, string Message)> Problems { get; } = [];
        /// <summary>Value types met while decoding (rawTypeKind 0x11), to report struct locals.</summary>
        public List<string> ValueTypes { get; } = [];
        private void Flag(string rule, string message) { if (!Problems.Contains((rule, message))) Problems.Add((rule, message)); }

        public string GetPrimitiveType(PrimitiveTypeCode code)
        {
            if (code == PrimitiveTypeCode.TypedReference) Flag("typedreference", "TypedReference is not supported by nanoFramework v1");
            return code switch
            {
                PrimitiveTypeCode.Boolean => "bool", PrimitiveTypeCode.Char => "char", PrimitiveTypeCode.SByte => "sbyte",
                PrimitiveTypeCode.Byte => "byte", PrimitiveTypeCode.Int16 => "short", PrimitiveTypeCode.UInt16 => "ushort",
                PrimitiveTypeCode.Int32 => "int", PrimitiveTypeCode.UInt32 => "uint", PrimitiveTypeCode.Int64 => "long",
                PrimitiveTypeCode.UInt64 => "ulong", PrimitiveTypeCode.Single => "float", PrimitiveTypeCode.Double => "double",
                PrimitiveTypeCode.String => "string", PrimitiveTypeCode.Object => "object", PrimitiveTypeCode.Void => "void",
                PrimitiveTypeCode.IntPtr => "System.IntPtr", PrimitiveTypeCode.UIntPtr => "System.UIntPtr",
                _ => code.ToString(),
            };
        }
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => Note(TypeName(reader, handle), rawTypeKind);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => Note(TypeRefName(reader, handle), rawTypeKind);
        private string Note(string name, byte rawTypeKind)
        {
            if (rawTypeKind == (byte)SignatureTypeKind.ValueType) ValueTypes.Add(name);
            return name;
        }
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape)
        {
            string t = elementType + "[" + new string(',', shape.Rank - 1) + "]";
            Flag("multidim-array", $"multi-dimensional array {t}: nanoFramework v1 supports only single-dimensional (jagged) arrays");
            return t;
        }
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType)
        {
            Flag("pointer", $"pointer type {elementType}*: nanoFramework v1 has no pointers/unsafe code");
            return elementType + "*";
        }
        public string GetFunctionPointerType(MethodSignature<string> signature)
        {
            Flag("pointer", "function pointer: nanoFramework v1 has no pointers/unsafe code");
            return "delegate*";
        }
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments)
        {
            string t = $"{genericType}<{string.Join(",", typeArguments)}>";
            Flag("generic-instantiation", $"generic instantiation {t}: nanoFramework v1 has no generics");
            return t;
        }
        public string GetGenericMethodParameter(object? genericContext, int index) { Flag("generic-definition", "generic method parameter: nanoFramework v1 has no generics"); return "!!" + index; }
        public string GetGenericTypeParameter(object? genericContext, int index) { Flag("generic-definition", "generic type parameter: nanoFramework v1 has no generics"); return "!" + index; }
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType)
        {
            Flag("pointer", $"pinned local {elementType} (fixed): nanoFramework v1 has no pointers/unsafe code");
            return elementType + " pinned";
        }
    }

    /// <summary>Size in bytes of an RVA field's type: the compiler's __StaticArrayInitTypeSize=N structs or a primitive.</summary>
    private sealed class SizeProvider(MetadataReader md) : ISignatureTypeProvider<int, object?>
    {
        public int GetPrimitiveType(PrimitiveTypeCode code) => code switch
        {
            PrimitiveTypeCode.Boolean or PrimitiveTypeCode.SByte or PrimitiveTypeCode.Byte => 1,
            PrimitiveTypeCode.Char or PrimitiveTypeCode.Int16 or PrimitiveTypeCode.UInt16 => 2,
            PrimitiveTypeCode.Int32 or PrimitiveTypeCode.UInt32 or PrimitiveTypeCode.Single => 4,
            PrimitiveTypeCode.Int64 or PrimitiveTypeCode.UInt64 or PrimitiveTypeCode.Double => 8,
            _ => 0,
        };
        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            md.GetTypeDefinition(handle).GetLayout().Size;
        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? genericContext, int index) => 0;
        public int GetGenericTypeParameter(object? genericContext, int index) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => unmodifiedType;
        public int GetPinnedType(int elementType) => elementType;
    }
}

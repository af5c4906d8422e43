using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.NanoFramework.Tests;

/// <summary>Every rule of checks 1–2 must be able to fail, and clean v1-style code must pass.</summary>
public class CheckTests(ITestOutputHelper output)
{
    private NanoCheckReport Run(string source, string name, NanoCheckProfile profile = NanoCheckProfile.Model)
    {
        var report = NanoFrameworkChecks.Check([source], name, profile);
        output.WriteLine(report.ToString());
        return report;
    }

    private void AssertFails(NanoCheckReport report, string rule, string? messagePart = null)
    {
        Assert.False(report.Passed);
        var hit = report.Violations.Where(v => v.Rule == rule).ToList();
        Assert.True(hit.Count > 0, $"expected rule '{rule}', got:\n{report}");
        if (messagePart != null)
            Assert.Contains(hit, v => v.Message.Contains(messagePart, StringComparison.Ordinal) || v.Location.Contains(messagePart, StringComparison.Ordinal));
    }

    internal const string CleanGru = """
        namespace Demo
        {
            /// A hand-written GRU cell in the shape the nanoFramework emitter targets: float arrays, loops, Math.Tanh(double).
            public sealed class TinyGruCell
            {
                private const int I = 3, H = 4, O = 3;
                private static readonly float[] Wx = { 0.1f, -0.2f, 0.3f, 0.05f, 0.4f, -0.1f, 0.2f, 0.3f, -0.3f, 0.1f, 0.0f, 0.2f,
                                                        0.1f, -0.2f, 0.3f, 0.05f, 0.4f, -0.1f, 0.2f, 0.3f, -0.3f, 0.1f, 0.0f, 0.2f,
                                                        0.1f, -0.2f, 0.3f, 0.05f, 0.4f, -0.1f, 0.2f, 0.3f, -0.3f, 0.1f, 0.0f, 0.2f };
                private readonly float[] _h = new float[H];
                private readonly float[] _gates = new float[3 * H];

                public void Reset() { for (int i = 0; i < H; i++) _h[i] = 0f; }

                private static float Sigmoid(float x) => 0.5f * (float)System.Math.Tanh(0.5 * x) + 0.5f;

                public void Step(float[] input, float[] output)
                {
                    if (input == null || input.Length != I) throw new System.ArgumentException("input length");
                    for (int g = 0; g < 3 * H; g++)
                    {
                        float acc = 0f;
                        for (int k = 0; k < I; k++) acc += Wx[g * I + k] * input[k];
                        _gates[g] = acc;
                    }
                    for (int j = 0; j < H; j++)
                    {
                        float r = Sigmoid(_gates[j] + _h[j]);
                        float z = Sigmoid(_gates[H + j] + _h[j]);
                        float n = (float)System.Math.Tanh(_gates[2 * H + j] + r * _h[j]);
                        _h[j] = (1f - z) * n + z * _h[j];
                    }
                    for (int o = 0; o < O; o++) output[o] = _h[o] - System.Math.Abs(_h[O - o]);
                }

                public int Classify(float[] input)
                {
                    var y = new float[O];
                    Step(input, y);
                    int best = 0;
                    for (int o = 1; o < O; o++) if (y[o] > y[best]) best = o;
                    return best;
                }
            }
        }
        """;

    [Fact]
    public void Checks_compile_against_the_real_corelibrary_and_the_package_stubs()
    {
        var images = NanoFrameworkChecks.ReferenceImages;
        Assert.Equal(["mscorlib", .. NanoFrameworkChecks.StubAssemblies], images.Select(i => i.Name));
        using var pe = new System.Reflection.PortableExecutable.PEReader(images[0].Image);
        var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var assembly = md.GetAssemblyDefinition();
        // nanoFramework.CoreLibrary 1.17.11 from NuGet: mscorlib 1.17.11.0, signed with nanoFramework's key.
        Assert.Equal("mscorlib", md.GetString(assembly.Name));
        Assert.Equal(new Version(1, 17, 11, 0), assembly.Version);
        Assert.False(assembly.PublicKey.IsNil);
        Assert.True(md.TypeDefinitions.Count > 200, $"{md.TypeDefinitions.Count} types: not the real mscorlib");
    }

    [Fact]
    public void Attributes_the_compiler_puts_on_every_assembly_are_not_violations()
    {
        // Against the real mscorlib, csc emits [assembly: Debuggable(...)], CompilationRelaxations and RuntimeCompatibility
        // (the real nanoFramework build does the same): check 2 must not reject them, in Release or Debug.
        foreach (var optimization in new[] { Microsoft.CodeAnalysis.OptimizationLevel.Release, Microsoft.CodeAnalysis.OptimizationLevel.Debug })
        {
            var r = NanoFrameworkChecks.Check([CleanGru], "Attributes" + optimization, NanoCheckProfile.Model, optimization);
            output.WriteLine(r.ToString());
            Assert.True(r.Passed, r.ToString());
            Assert.Contains(r.AttributeConstructors, a => a.StartsWith("System.Diagnostics.DebuggableAttribute::.ctor(", StringComparison.Ordinal));
        }
        // The exemption covers attribute use only: calling the constructor in code is still outside the allowlist.
        var called = Run("public class U { public object F() => new System.Diagnostics.DebuggableAttribute(true, false); }", "DebuggableCalled");
        AssertFails(called, "not-allowlisted", "System.Diagnostics.DebuggableAttribute::.ctor(bool,bool)");
    }

    [Fact]
    public void Init_accessors_compile_against_the_real_mscorlib()
    {
        // The real mscorlib has IsExternalInit (the old hand-written stub wrongly rejected init accessors).
        var r = Run("public class U { public int X { get; init; } public static U Make() => new U { X = 3 }; }", "Init");
        Assert.True(r.Passed, r.ToString());
    }

    [Fact]
    public void Func_and_action_compile_but_their_instantiations_are_generic()
    {
        // The real mscorlib declares Func<>/Action<>; using them instantiates a generic type, which v1's interpreter cannot run.
        var r = Run("public class U { public int F() { System.Func<int> f = () => 1; return f(); } }", "Func");
        Assert.True(r.Compiled, r.ToString());
        AssertFails(r, "generic-instantiation");
        // The non-generic Action compiles and is no generic use (model code may still not call it: not allowlisted).
        var action = Run("public class U { public void F() { System.Action a = () => { }; a(); } }", "Action");
        Assert.True(action.Compiled, action.ToString());
        Assert.DoesNotContain(action.Violations, v => v.Rule.StartsWith("generic", StringComparison.Ordinal));
    }

    [Fact]
    public void Clean_gru_like_class_passes()
    {
        var r = Run(CleanGru, "CleanGru");
        Assert.True(r.Passed, r.ToString());
        Assert.True(r.IlBytes > 0);
        Assert.Equal(36 * 4, r.InitializerBytes);
        Assert.True(r.Methods >= 5);
    }

    [Fact]
    public void Int8_style_integer_code_passes()
    {
        var r = Run("""
            public sealed class Q
            {
                private static readonly sbyte[] W = { 1, -2, 3, 127, -128, 5, 6, 7 };
                public int Dot(sbyte[] x)
                {
                    int acc = 0;
                    for (int i = 0; i < W.Length; i++) acc += W[i] * x[i];
                    return (int)(((long)acc * 1518500250L + (1L << 30)) >> 31);
                }
            }
            """, "Int8");
        Assert.True(r.Passed, r.ToString());
        Assert.Equal(8, r.InitializerBytes);
    }

    [Fact]
    public void User_generic_type_fails_il_scan()
    {
        var r = Run("public class Box<T> { public T Value; } public class U { public int Get() { var b = new Box<int>(); b.Value = 3; return b.Value; } }", "Generic");
        Assert.True(r.Compiled);
        AssertFails(r, "generic-definition", "Box");
        AssertFails(r, "generic-instantiation");
    }

    [Fact]
    public void Generic_method_fails_il_scan()
    {
        var r = Run("public class U { static T Id<T>(T x) => x; public int F() => Id(3); }", "GenericMethod");
        AssertFails(r, "generic-definition");
        AssertFails(r, "generic-instantiation");
    }

    [Fact]
    public void Framework_generics_do_not_compile()
    {
        var r = Run("using System.Collections.Generic; public class U { List<int> l = new List<int>(); }", "List");
        Assert.False(r.Compiled);
        Assert.Contains(r.Violations, v => v.Check == "compile");
    }

    [Fact]
    public void Span_does_not_compile()
    {
        var r = Run("public class U { public int F(System.Span<int> s) => s.Length; }", "Span");
        Assert.False(r.Compiled);
        Assert.Contains(r.Violations, v => v.Message.Contains("Span", StringComparison.Ordinal));
    }

    [Fact]
    public void Stackalloc_is_localloc()
    {
        var r = Run("public unsafe class U { public int F() { int* p = stackalloc int[8]; p[0] = 1; return p[0]; } }", "Stackalloc");
        Assert.True(r.Compiled);
        AssertFails(r, "opcode", "localloc");
        // (In Release the pointer stays on the evaluation stack: no pointer-typed local to report; localloc suffices.)
    }

    [Fact]
    public void Stackalloc_to_span_does_not_compile()
    {
        var r = Run("public class U { public int F() { System.Span<int> s = stackalloc int[8]; return s[0]; } }", "StackallocSpan");
        Assert.False(r.Compiled);
    }

    [Fact]
    public void Unsafe_pointer_fails()
    {
        var r = Run("public unsafe class U { public float F(float* p) => *p; public void G(float[] a) { fixed (float* p = a) { *p = 1f; } } }", "Pointer");
        AssertFails(r, "pointer");
        Assert.Contains(r.Violations, v => v.Location.Contains("U::F", StringComparison.Ordinal));
        Assert.Contains(r.Violations, v => v.Location.Contains("U::G", StringComparison.Ordinal));
    }

    [Fact]
    public void Function_pointer_fails()
    {
        var r = Run("public unsafe class U { static int One() => 1; public int F() { delegate*<int> f = &One; return f(); } }", "FnPtr");
        AssertFails(r, "opcode", "calli");
    }

    [Fact]
    public void Typed_reference_opcodes_fail()
    {
        var r = Run("public class U { public int F() { int x = 3; System.TypedReference t = __makeref(x); return __refvalue(t, int); } }", "MakeRef");
        // Either the stub lacks TypedReference (compile error) or the scan finds mkrefany/refanyval.
        Assert.False(r.Passed);
    }

    [Fact]
    public void Three_hundred_locals_fail()
    {
        var sb = new StringBuilder("public class U { public float F(float[] a) {\n");
        for (int i = 0; i < 300; i++) sb.Append($"float v{i} = a[{i}] * a[{i + 1}];\n");
        sb.Append("for (int k = 0; k < a.Length; k++) {\n");
        for (int i = 0; i < 300; i++) sb.Append($"v{i} = v{i} * a[k] + v{(i + 1) % 300};\n");
        sb.Append("}\nfloat s = 0f;\n");
        for (int i = 0; i < 300; i++) sb.Append($"s += v{i};\n");
        sb.Append("return s; } }");
        var r = Run(sb.ToString(), "Locals300");
        Assert.True(r.Compiled);
        AssertFails(r, "locals", "U::F");
        Assert.True(r.MaxLocals > 255);
    }

    [Fact]
    public void Three_hundred_arguments_fail()
    {
        var ps = string.Join(", ", Enumerable.Range(0, 300).Select(i => $"float p{i}"));
        var r = Run($"public static class U {{ public static float F({ps}) => p0 + p299; }}", "Args300");
        AssertFails(r, "arguments", "U::F");
    }

    [Fact]
    public void Deep_evaluation_stack_fails()
    {
        // A call with 300 arguments that are each a non-trivial expression keeps 300 values on the stack.
        var ps = string.Join(", ", Enumerable.Range(0, 300).Select(i => $"float p{i}"));
        var args = string.Join(", ", Enumerable.Range(0, 300).Select(i => $"a[{i}] * 2f"));
        var r = Run($"public static class U {{ static float F({ps}) => p0; public static float G(float[] a) => F({args}); }}", "Stack300");
        AssertFails(r, "max-stack", "U::G");
    }

    [Fact]
    public void Huge_method_exceeds_il_budget()
    {
        var sb = new StringBuilder("public class U { public void F(float[] a) {\n");
        for (int i = 0; i < 4000; i++) sb.Append($"a[{i % 64}] = a[{(i + 1) % 64}] * {i}.5f + a[{(i + 7) % 64}];\n");
        sb.Append("} }");
        var r = Run(sb.ToString(), "HugeMethod");
        Assert.True(r.Compiled);
        Assert.True(r.IlBytes > 64 * 1024, r.ToString());
        AssertFails(r, "il-size");
    }

    [Fact]
    public void Huge_initializer_exceeds_budget()
    {
        var values = string.Join(",", Enumerable.Range(0, 17000).Select(i => $"{i % 97}.25f"));
        var r = Run($"public class U {{ static readonly float[] W = {{ {values} }}; public float F(int i) => W[i]; }}", "HugeInit");
        Assert.Equal(17000 * 4, r.InitializerBytes);
        AssertFails(r, "initializer-size");
    }

    [Fact]
    public void Too_many_methods_in_one_type_fail()
    {
        var sb = new StringBuilder("public class U {\n");
        for (int i = 0; i < 300; i++) sb.Append($"public int M{i}(int x) => x + {i};\n");
        sb.Append('}');
        var r = Run(sb.ToString(), "Methods300");
        AssertFails(r, "methods-per-type", "U");
    }

    [Fact]
    public void Call_outside_allowlist_fails()
    {
        var r = Run("public class U { public void F() { System.Threading.Thread.Sleep(1); System.Math.Sqrt(2.0); } }", "Allowlist");
        AssertFails(r, "not-allowlisted", "System.Threading.Thread::Sleep(int)");
        AssertFails(r, "not-allowlisted", "System.Math::Sqrt(double)");
    }

    [Fact]
    public void Application_profile_allows_sleep_and_debug()
    {
        var src = "public class U { public void F() { System.Threading.Thread.Sleep(1); System.Diagnostics.Debug.WriteLine(\"x\"); } }";
        Assert.True(Run(src, "App", NanoCheckProfile.Application).Passed);
        Assert.False(Run(src, "AppAsModel").Passed);
    }

    [Fact]
    public void Multidimensional_array_fails()
    {
        var r = Run("public class U { public double F() { var m = new double[2, 3]; m[1, 2] = 4.0; return m[1, 2]; } }", "MultiDim");
        Assert.True(r.Compiled);
        AssertFails(r, "multidim-array", "double[,]");
    }

    [Fact]
    public void Jagged_arrays_pass()
    {
        var r = Run("public class U { private readonly float[][] _w = new float[2][]; public float F() { _w[0] = new float[3]; return _w[0][1]; } }", "Jagged");
        Assert.True(r.Passed, r.ToString());
    }

    [Fact]
    public void Float_overload_of_tanh_does_not_exist()
    {
        // nanoFramework.System.Math has Tanh(double) only: a float argument binds to it after an implicit widening,
        // but MathF does not exist at all.
        var r = Run("public class U { public float F(float x) => System.MathF.Tanh(x); }", "MathF");
        Assert.False(r.Compiled);
        Assert.Contains(r.Violations, v => v.Rule == "CS0234" || v.Rule == "CS0246" || v.Rule == "CS0117");
    }

    [Fact]
    public void Math_has_double_tanh_and_exp_only()
    {
        // A float argument widens to Tanh(double); there is no float overload to bind to.
        var ok = Run("public class U { public float F(float x) => (float)System.Math.Tanh(x) + (float)System.Math.Exp(0.5 * x); }", "TanhDouble");
        Assert.True(ok.Passed, ok.ToString());
        // Float overloads that do exist: Abs, Min, Max, Clamp, Sign.
        var floats = Run("public class U { public float F(float x) => System.Math.Abs(x) + System.Math.Min(x, 1f) + System.Math.Max(x, -1f) + System.Math.Clamp(x, -2f, 2f); }", "FloatOverloads");
        Assert.True(floats.Passed, floats.ToString());
        // A float-returning Tanh does not exist: assigning without a cast is a compile error.
        var noFloat = Run("public class U { public float F(float x) { float y = System.Math.Tanh(x); return y; } }", "TanhFloat");
        Assert.False(noFloat.Compiled);
    }

    [Fact]
    public void Math_call_with_a_float_argument_is_found()
    {
        var calls = NanoFrameworkChecks.MathCallsWithNonDoubleArguments(
            "public class U { public float F(float x) => (float)System.Math.Tanh(x) + (float)System.Math.Exp((double)x) + (float)System.Math.Tanh(0.5 * x) + System.Math.Abs(x); }");
        Assert.Equal(["System.Math.Tanh(x) (line 1)"], calls);
    }

    [Fact]
    public void CSharp10_features_fail()
    {
        var fileScoped = Run("namespace N; public class U { }", "FileScoped");
        Assert.False(fileScoped.Compiled);
        Assert.Contains(fileScoped.Violations, v => v.Message.Contains("C# 9", StringComparison.Ordinal) || v.Message.Contains("10", StringComparison.Ordinal));

        var globalUsing = Run("global using System; public class U { }", "GlobalUsing");
        Assert.False(globalUsing.Compiled);
    }

    [Theory]
    [InlineData("nullable value type", "public class U { public int? F() => null; }")]
    [InlineData("tuple", "public class U { public int F() { var t = (1, 2); return t.Item1; } }")]
    [InlineData("record (IEquatable<T>, init)", "public record R(int X);")]
    [InlineData("async (Task)", "public class U { public async void F() { await System.Threading.Tasks.Task.Delay(1); } }")]
    [InlineData("decimal", "public class U { public decimal F() => 1.5m; }")]
    [InlineData("foreach over List<T>", "public class U { public int F(System.Collections.Generic.IEnumerable<int> xs) { int s = 0; foreach (var x in xs) s += x; return s; } }")]
    public void CSharp9_features_needing_types_v1_lacks_fail(string feature, string source)
    {
        var r = Run(source, feature);
        Assert.False(r.Passed, feature);
        Assert.False(r.Compiled, feature + ": expected a compile error against the v1 stub");
    }

    [Fact]
    public void Report_lists_violations_with_method_names()
    {
        var r = Run("public unsafe class U { public int F() { int* p = stackalloc int[2]; return p[0]; } }", "Names");
        Assert.All(r.Violations, v => Assert.False(string.IsNullOrEmpty(v.Location)));
        Assert.Contains("U::F", r.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>Informational output of check 2 that the emitter's tests can assert on.</summary>
public class ReportDetailTests
{
    [Fact]
    public void Integer_only_method_is_not_listed_as_floating_point()
    {
        var r = NanoFrameworkChecks.Check("""
            public sealed class M
            {
                private readonly short[] _h = new short[4];
                public void Step(sbyte[] x, int[] y) { for (int i = 0; i < 4; i++) { _h[i] = (short)(x[i] * 3); y[i] = _h[i] >> 1; } }
                public float Dequantize(int q) => q * 0.5f;
                public double Act(float v) => System.Math.Tanh(0.5 * v);
            }
            """, "IntOnly");
        Assert.True(r.Passed, r.ToString());
        Assert.DoesNotContain("M::Step", r.FloatingPointMethods);
        Assert.DoesNotContain("M::Step", r.DoubleMethods);
        Assert.Contains("M::Dequantize", r.FloatingPointMethods);
        Assert.DoesNotContain("M::Dequantize", r.DoubleMethods);
        Assert.Contains("M::Act", r.DoubleMethods);
    }

    [Fact]
    public void Struct_locals_and_checked_arithmetic_are_noted_not_failed()
    {
        var r = NanoFrameworkChecks.Check("""
            public struct P { public int A, B; }
            public sealed class M
            {
                public int F(int x) { P p; p.A = x; p.B = checked(x * 3); return p.A + p.B; }
            }
            """, "Notes");
        Assert.True(r.Passed, r.ToString());
        Assert.Contains(r.Notes, n => n.Contains("M::F", StringComparison.Ordinal) && n.Contains("struct type P", StringComparison.Ordinal));
        Assert.Contains(r.Notes, n => n.Contains("checked arithmetic", StringComparison.Ordinal));
    }
}

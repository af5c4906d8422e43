using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Tests;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// No hot generated method depends on the JIT's inliner: a generated model runs in a child process under
/// DOTNET_TieredCompilation=0 DOTNET_JitDisasm='Core* Layer* Dense* Output*' through every public Step{path} the machine
/// can run, and no listed method may call into TinyGru.Kernels, a data getter or an intrinsic helper (a call means an
/// FMA, activation or weight reference was not inlined) or be compiled with MinOpts.
/// </summary>
public class JitListingTests(ITestOutputHelper output)
{
    public static TheoryData<string, int, int, int, int, string> Cases() => new()
    {
        { "small", 6, 32, 1, 6, "float" },
        { "medium", 16, 64, 2, 10, "float" },
        { "large", 40, 128, 1, 12, "float" },
        { "small", 6, 32, 1, 6, "int8-weights" },
        { "medium", 16, 64, 2, 10, "int8-weights" },
        { "large", 40, 128, 1, 12, "int8-weights" },
    };

    private static GruModel Model(int inputs, int hidden, int layers, int outputs, string precision, HeadActivation activation = HeadActivation.None)
    {
        var model = RandomModels.Create(new Random(hidden + layers), GateConvention.ResetAfter, inputs, Enumerable.Repeat(hidden, layers).ToArray(), outputs, activation);
        return precision switch
        {
            "int8-weights" => ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights),
            "int8" => ModelQuantizer.Quantize(model, ModelPrecision.Int8, new CalibrationRange(-1, 1, 1)),
            _ => model,
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NoHotMethodCallsAKernel(string name, int inputs, int hidden, int layers, int outputs, string precision)
    {
        var calls = KernelCalls(Model(inputs, hidden, layers, outputs, precision), out int listed);
        output.WriteLine($"{name} {precision}: {listed} hot methods listed, {calls.Count} kernel calls");
        foreach (var call in calls.Take(20)) output.WriteLine(call);
        Assert.True(listed >= 3, "the JIT listing names no Core/Layer/Output method: the switches did not take effect");
        Assert.Empty(calls);
    }

    [Theory]
    [InlineData(HeadActivation.Softmax)]
    [InlineData(HeadActivation.Sigmoid)]
    [InlineData(HeadActivation.Tanh)]
    public void HeadActivationsCallNoKernel(HeadActivation activation)
    {
        var calls = KernelCalls(Model(16, 64, 1, 10, "float", activation), out int listed);
        foreach (var call in calls.Take(20)) output.WriteLine(call);
        Assert.True(listed >= 3);
        Assert.Empty(calls);
    }

    /// <summary>
    /// The grown model description: hidden dense layers (methods Dense{d}: relu, tanh, sigmoid), hard-sigmoid gates on
    /// register-resident and scratch layers, token models folded and not; float32 and int8-weights.
    /// </summary>
    public static TheoryData<int, bool> GrownShapes()
    {
        var data = new TheoryData<int, bool>();
        for (int shape = 0; shape < GeneratedCodeCases.ExtendedShapes.Length; shape++)
        {
            data.Add(shape, false);
            data.Add(shape, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GrownShapes))]
    public void GrownModelsCallNoKernel(int shape, bool int8Weights)
    {
        var (model, _) = GeneratedCodeCases.ExtendedSweep(shape, int8Weights);
        var calls = KernelCalls(model, out int listed);
        output.WriteLine($"{GeneratedCodeCases.ExtendedShapes[shape].Name} {(int8Weights ? "int8-weights" : "float")}: {listed} hot methods listed, {calls.Count} kernel calls");
        foreach (var call in calls.Take(20)) output.WriteLine(call);
        Assert.True(listed >= 3);
        Assert.Empty(calls);
    }

    /// <summary>
    /// The issue-13 fixtures as read (ONNX, TF.js), float32 and int8-weights. gru_embedding (V = 40, E = 8, H = 16) is
    /// the case that found the nested activation expressions: its 128-bit layer method was 69,657 bytes of IL and
    /// compiled with MinOpts (977 ns per step against 72 ns at 256 bits).
    /// </summary>
    [Theory]
    [InlineData("gru_mlp_head", "gru_mlp_head.onnx", false)]
    [InlineData("gru_mlp_softmax", "gru_mlp_softmax.onnx", true)]
    [InlineData("gru_embedding", "gru_embedding.onnx", false)]
    [InlineData("gru_embedding", "gru_embedding.onnx", true)]
    [InlineData("keras_gru_hard_sigmoid", "keras_gru_hard_sigmoid", false)]
    public void GrownFixturesCallNoKernel(string name, string file, bool int8Weights)
    {
        var model = int8Weights ? GeneratedCodeCases.Int8WeightsFixture(name, file).Model : GeneratedCodeCases.FloatFixture(name, file).Model;
        var calls = KernelCalls(model, out int listed);
        output.WriteLine($"{name} {(int8Weights ? "int8-weights" : "float")}: {listed} hot methods listed, {calls.Count} kernel calls");
        foreach (var call in calls.Take(20)) output.WriteLine(call);
        Assert.True(listed >= 3);
        Assert.Empty(calls);
    }

    /// <summary>
    /// Integer-only int8 (NetInt8Emitter): one Core per path calling a method per matrix pass. Before the passes were
    /// split out of Core, medium's Core128 called the multiply-add helper 267 times per step (11.7 µs against 3.2 µs).
    /// </summary>
    [Theory]
    [InlineData("tiny", 3, 8, 1, 4)]
    [InlineData("small", 6, 32, 1, 6)]
    [InlineData("medium", 16, 64, 2, 10)]
    [InlineData("large", 40, 128, 1, 12)]
    public void Int8HotMethodsCallNothingInlinable(string name, int inputs, int hidden, int layers, int outputs)
    {
        var calls = KernelCalls(Model(inputs, hidden, layers, outputs, "int8"), out int listed);
        output.WriteLine($"{name} int8: {listed} hot methods listed, {calls.Count} calls left");
        foreach (var call in calls.Take(20)) output.WriteLine(call);
        Assert.True(listed >= 3);
        Assert.Empty(calls);
    }

    [Fact]
    public void TheListingCheckFlagsCallsTheJitShouldHaveInlinedAndNotThePlannedOnes()
    {
        const string listing = """
            ; Assembly listing for method Probe.M:Layer0512(byref,byref,byref):this (FullOpts)
                   call     [Probe.M:get_Layer0FusedWeights():System.ReadOnlySpan`1[float]]
                   call     [System.Runtime.InteropServices.MemoryMarshal:GetReference[float](System.ReadOnlySpan`1[float]):byref]
                   call     [Probe.M:Madd128(System.Runtime.Intrinsics.Vector128`1[int],System.Runtime.Intrinsics.Vector128`1[short],System.Runtime.Intrinsics.Vector128`1[short]):System.Runtime.Intrinsics.Vector128`1[int]]
                   call     [TinyGru.Kernels.MultiplyAdd:V128(System.Runtime.Intrinsics.Vector128`1[float]):System.Runtime.Intrinsics.Vector128`1[float]]
                   call     [Probe.M:TanhV128(System.Runtime.Intrinsics.Vector128`1[int],byref):System.Runtime.Intrinsics.Vector128`1[int]]
            ; Assembly listing for method Probe.M:Core128(byref,byref):this (FullOpts)
                   call     [Probe.M:Layer0InputProduct128(byref,byref)]
                   call     [Probe.M:QuantizeInputs(byref,byref)]
                   call     [Probe.M:Layer0Gates128(byref,byref,byref)]
                   call     CORINFO_HELP_FAIL_FAST
            ; Assembly listing for method Probe.M:Output128(byref,byref) (MinOpts)
            ; Assembly listing for method Probe.M:Step(System.ReadOnlySpan`1[float]):this (FullOpts)
                   call     [Probe.M:get_Unlisted():System.ReadOnlySpan`1[float]]
            """;
        var calls = Parse(listing, out int listed);
        Assert.Equal(3, listed);
        Assert.Equal(6, calls.Count);
        Assert.Equal(5, calls.Count(c => c.StartsWith("Probe.M:Layer0512", StringComparison.Ordinal)));
        Assert.Contains(calls, c => c.Contains("Output128", StringComparison.Ordinal) && c.EndsWith("MinOpts", StringComparison.Ordinal));
    }

    /// <summary>Compiles the model with a probe Main to an exe on disk and runs it under the listing switches.</summary>
    private static List<string> KernelCalls(GruModel model, out int listed)
    {
        var accelerated = new Dictionary<string, bool> { ["512"] = Vector512.IsHardwareAccelerated, ["256"] = Vector256.IsHardwareAccelerated, ["128"] = Vector128.IsHardwareAccelerated, ["Scalar"] = true };
        var paths = NetModelEmitter.PathSuffixes(model).Where(p => accelerated[p]).ToList();
        string main = "var m = new Probe.M(); var x = new float[Probe.M.InputSize]; var y = new float[Probe.M.OutputSize];\n" +
                      (model.IsTokenInput ? "x[0] = 1f;\n" : "for (int i = 0; i < x.Length; i++) x[i] = System.MathF.Sin(i + 1);\n") +
                      string.Concat(paths.Select(p => $"for (int i = 0; i < 3; i++) m.Step{p}(x, y);\n"));
        string listing = "";
        RunProbe(model, main, new Dictionary<string, string>
        {
            ["DOTNET_TieredCompilation"] = "0",
            ["DOTNET_JitDisasm"] = "Core* Layer* Dense* Output*",
        }, listingFile => listing = listingFile);
        return Parse(listing, out listed);
    }

    /// <summary>
    /// Compiles the model's generated code with <paramref name="main"/> (the body of Main; the type is Probe.M) to an
    /// exe on disk, runs it under <paramref name="environment"/> (and DOTNET_JitStdOutFile) and returns its standard
    /// output; <paramref name="readListing"/> receives the JIT's listing file, if any was written.
    /// </summary>
    internal static string RunProbe(GruModel model, string main, IReadOnlyDictionary<string, string> environment, Action<string>? readListing = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "tinygru-listing-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var options = new NetEmitOptions { Namespace = "Probe", TypeName = "M", TypeKeyword = "struct", Accessibility = "public", SourceName = "listing.safetensors", SourceHash = "0" };
            string source = NetModelEmitter.Emit(model, options);
            main = "public static class Program { public static void Main() {\n" + main + "} }";
            var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
                .Append(typeof(TinyGru.IGruModel).Assembly.Location)
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
            var compilation = CSharpCompilation.Create("ListingProbe",
                new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.CSharp12)), CSharpSyntaxTree.ParseText(main) },
                references, new CSharpCompilationOptions(OutputKind.ConsoleApplication, optimizationLevel: OptimizationLevel.Release));
            var result = compilation.Emit(Path.Combine(dir, "ListingProbe.dll"));
            Assert.True(result.Success, string.Join("\n", result.Diagnostics.Take(10)));
            File.Copy(typeof(TinyGru.IGruModel).Assembly.Location, Path.Combine(dir, Path.GetFileName(typeof(TinyGru.IGruModel).Assembly.Location)));
            File.WriteAllText(Path.Combine(dir, "ListingProbe.runtimeconfig.json"),
                $"{{\"runtimeOptions\":{{\"tfm\":\"net{Environment.Version.Major}.0\",\"framework\":{{\"name\":\"Microsoft.NETCore.App\",\"version\":\"{Environment.Version}\"}}}}}}");
            string listing = Path.Combine(dir, "listing.txt");
            // The `dotnet` muxer of the framework running this test (…/shared/Microsoft.NETCore.App/<version>/ → …/dotnet).
            string muxer = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "../../../dotnet" + (OperatingSystem.IsWindows() ? ".exe" : "")));
            var start = new ProcessStartInfo(muxer)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(Path.Combine(dir, "ListingProbe.dll"));
            foreach (var (name, value) in environment) start.Environment[name] = value;
            start.Environment["DOTNET_JitStdOutFile"] = listing;
            string stdout;
            using (var process = Process.Start(start)!)
            {
                var error = process.StandardError.ReadToEndAsync();
                stdout = process.StandardOutput.ReadToEnd();
                Assert.True(process.WaitForExit(300_000), "probe timed out");
                Assert.True(process.ExitCode == 0, error.Result);
            }
            if (readListing is not null && File.Exists(listing)) readListing(File.ReadAllText(listing));
            return stdout;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Calls that mean the JIT gave up inlining: a TinyGru.Kernels operator, a weight-data property getter, the
    /// MemoryMarshal/Unsafe/intrinsics helpers, or a generated arithmetic helper (int8 multiply-add, requantization,
    /// table tanh/σ, Q15 multiply, variable shift). Calls between the planned methods
    /// (Core → Layer/Output products, gates, input quantization) and the runtime's helpers are by design.
    /// </summary>
    private static readonly Regex InlinableCall = new(
        @"\[(TinyGru\.Kernels\.|System\.Runtime\.InteropServices\.MemoryMarshal:|System\.Runtime\.CompilerServices\.Unsafe:|System\.Runtime\.Intrinsics\.|System\.Math(F)?:)|:get_|:(Madd\w*|Requantize\w*|Tanh\w*|Sigmoid\w*|Gate|GateV\w*|MultiplyQ15\w*|Clamp|Exp|ShiftRight\w*|QuantizeInput)\(",
        RegexOptions.CultureInvariant);

    /// <summary>"Method: call target" for every call the JIT should have inlined (<see cref="InlinableCall"/>) in a listed method.</summary>
    internal static List<string> Parse(string listing, out int listed)
    {
        var calls = new List<string>();
        var methods = listing.Split("; Assembly listing for method ");
        listed = 0;
        foreach (var method in methods.Skip(1))
        {
            string name = method.Substring(0, method.IndexOf('\n')).Trim();
            if (!Regex.IsMatch(name, @":(Core|Layer|Dense|Output)")) continue;
            listed++;
            // A method too big for the optimizer is compiled with MinOpts: as bad as a call per FMA.
            if (name.Contains("MinOpts", StringComparison.Ordinal)) calls.Add(name + ": compiled with MinOpts");
            foreach (var line in method.Split('\n'))
                if (Regex.IsMatch(line, @"^\s*call\b") && InlinableCall.IsMatch(line))
                    calls.Add(name + ": " + line.Trim());
        }
        return calls;
    }
}

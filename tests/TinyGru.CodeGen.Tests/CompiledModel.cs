using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinyGru.CodeGen;
using TinyGru.Model;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// Emits a model's C#, compiles it with Roslyn against the running framework and TinyGru.Runtime, and runs it on any
/// SIMD path through a small probe compiled beside it (Span parameters cannot be invoked by reflection).
/// </summary>
internal sealed class CompiledModel
{
    /// <summary>
    /// The smallest of up to three allocation measurements, stopping at 0. The runtime itself occasionally allocates on
    /// the measuring thread (on-stack replacement of the measuring loop, tier-up); code that allocates per step
    /// allocates in every measurement, so this still fails for it.
    /// </summary>
    public static long LeastOfThree(Func<long> measure)
    {
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least != 0; attempt++) least = Math.Min(least, measure());
        return least;
    }

    private readonly Action<string, float[], float[]> _run;

    private CompiledModel(Action<string, float[], float[]> run, IReadOnlyList<string> paths, string source, Type modelType, Type runner)
    {
        Runner = runner;
        ModelType = modelType;
        _run = run;
        Paths = paths;
        Source = source;
    }

    /// <summary>Path suffixes the generated type has: "512", "256", "128", "Scalar" (the widest first), plus "" for Step.</summary>
    public IReadOnlyList<string> Paths { get; }

    public string Source { get; }

    /// <summary>The probe class (Probe.Runner), with any extra probe methods passed to <see cref="Compile"/>.</summary>
    public Type Runner { get; }

    /// <summary>Calls a static probe method.</summary>
    public T Call<T>(string method, params object[] args) => (T)Runner.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args)!;

    /// <summary>The generated type, for reading its constants.</summary>
    public Type ModelType { get; }

    /// <summary>Runs a whole [T, I] sequence from a zero state on one path ("" = the dispatching Step).</summary>
    public float[] Run(string path, float[] sequence, int outputsPerStep, int inputsPerStep)
    {
        var outputs = new float[sequence.Length / inputsPerStep * outputsPerStep];
        _run(path, sequence, outputs);
        return outputs;
    }

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(TinyGru.IGruModel).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

    public static CompiledModel Compile(GruModel model, string typeKeyword = "struct", string extraProbe = "", bool allowUnsafe = false, OptimizationLevel optimization = OptimizationLevel.Release,
        bool? foldEmbedding = null)
    {
        var options = new NetEmitOptions { Namespace = "Probe", TypeName = "M", TypeKeyword = typeKeyword, Accessibility = "public", SourceName = "test.safetensors", SourceHash = "0", AllowUnsafe = allowUnsafe,
            FoldEmbedding = foldEmbedding };
        string source = NetModelEmitter.Emit(model, options);
        var paths = NetModelEmitter.PathSuffixes(model);
        string probe = "namespace Probe { public static class Runner { public static void Run(string path, float[] seq, float[] outs) {\n" +
            $"var m = new M(); int t = seq.Length / M.InputSize;\n" +
            "for (int s = 0; s < t; s++) { var x = new System.ReadOnlySpan<float>(seq, s * M.InputSize, M.InputSize); var y = new System.Span<float>(outs, s * M.OutputSize, M.OutputSize);\n" +
            "switch (path) { case \"\": m.Step(x, y); break;\n" +
            string.Concat(paths.Select(p => $"case \"{p}\": m.Step{p}(x, y); break;\n")) +
            "default: throw new System.ArgumentException(path); } } }\n" + extraProbe + " } }";
        var compilation = CSharpCompilation.Create("Generated" + Guid.NewGuid().ToString("N"),
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.CSharp12)), CSharpSyntaxTree.ParseText(probe) },
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: optimization, allowUnsafe: allowUnsafe));
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (!result.Success || problems.Count > 0)
            throw new InvalidOperationException("generated code does not compile cleanly:\n" + string.Join("\n", problems.Take(20)));
        var context = new AssemblyLoadContext(null, isCollectible: true);
        var assembly = context.LoadFromStream(new MemoryStream(pe.ToArray()));
        var method = assembly.GetType("Probe.Runner")!.GetMethod("Run", BindingFlags.Public | BindingFlags.Static)!;
        var run = method.CreateDelegate<Action<string, float[], float[]>>();
        return new CompiledModel(run, paths.Append("").ToList(), source, assembly.GetType("Probe.M")!, assembly.GetType("Probe.Runner")!);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TinyGru.CodeGen;
using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Benchmarks;

/// <summary>
/// The folded-embedding trade-off (issue 13, docs/benchmarks.md "Token models"): each token model's generated code in
/// both forms — folded (one [V, 3Hp] float32 row per id) and unfolded (E[t] then W·x) — emitted with
/// <see cref="NetEmitOptions.FoldEmbedding"/>, compiled in Release with Roslyn, and timed on every path the CPU runs,
/// interleaved round by round like <see cref="PathHarness"/>. Reports ns per step and the bytes each form embeds
/// (<see cref="NetModelPlan.EmbeddingBytes"/>). JIT only (it compiles at run time). Usage: <c>--tokens [rounds]</c>.
/// </summary>
public static class TokenEmbeddingHarness
{
    /// <summary>Token models: the gru_embedding fixture's shape, an event-id model and a small text classifier.</summary>
    public static readonly (string Name, int Vocabulary, int Embedding, int Hidden, int Outputs)[] Cases =
    {
        ("fixture", 40, 8, 16, 4),
        ("events", 128, 16, 32, 3),
        ("text", 1000, 32, 64, 5),
    };

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
        Console.WriteLine($"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, JIT, " +
            $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}, rounds {rounds}");
        Console.WriteLine("case     V/E/H          precision     planner    form       bytes      path     median ns   range ns");
        foreach (var c in Cases)
        {
            var model = Create(c.Name);
            foreach (var (precision, m) in new[] { ("float", model), ("int8-weights", ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights)) })
            {
                var bytes = NetModelPlan.EmbeddingBytes(m)!.Value;
                bool planned = NetModelPlan.Create(m).Embedding!.Folded;
                var tokens = Enumerable.Range(0, 997).Select(i => (int)((i * 7919L + 13) % c.Vocabulary)).ToArray();
                var candidates = new List<(string Form, long Bytes, string Path, Func<long, long> Ticks)>();
                foreach (bool fold in new[] { true, false })
                {
                    var probe = Compile(m, fold);
                    foreach (var path in NetModelEmitter.PathSuffixes(m).Append(""))
                    {
                        if (!Accelerated(path)) continue;
                        var time = probe.GetMethod("Time" + path, BindingFlags.Public | BindingFlags.Static)!.CreateDelegate<Func<int[], long, long>>();
                        candidates.Add((fold ? "folded" : "unfolded", fold ? bytes.Folded : bytes.Unfolded, path == "" ? "Step" : path, n => time(tokens, n)));
                    }
                }
                var steps = candidates.Select(x => Calibrate(x.Ticks)).ToArray();
                var samples = candidates.Select(_ => new List<double>()).ToArray();
                for (int r = 0; r < rounds; r++)
                    for (int i = 0; i < candidates.Count; i++)
                        samples[i].Add((double)candidates[i].Ticks(steps[i]) / Stopwatch.Frequency * 1e9 / steps[i]);
                for (int i = 0; i < candidates.Count; i++)
                {
                    var sorted = samples[i].OrderBy(v => v).ToArray();
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-8} {1,-14} {2,-13} {3,-10} {4,-10} {5,9:N0}   {6,-8} {7,9:F1}   {8:F1}–{9:F1}",
                        c.Name, $"{c.Vocabulary}/{c.Embedding}/{c.Hidden}", precision, planned ? "folds" : "unfolds", candidates[i].Form, candidates[i].Bytes,
                        candidates[i].Path, sorted[sorted.Length / 2], sorted[0], sorted[^1]));
                }
            }
        }
        return 0;
    }

    /// <summary>A token model of case <paramref name="name"/>: weights uniform in ±0.3 from a fixed seed, softmax head.</summary>
    public static GruModel Create(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var rng = new Random(c.Vocabulary * 31 + c.Hidden);
        float[] U(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 0.6 - 0.3)).ToArray();
        var layer = new GruLayerSpec(c.Embedding, c.Hidden, U(3 * c.Hidden * c.Embedding), U(3 * c.Hidden * c.Hidden), U(3 * c.Hidden), U(3 * c.Hidden));
        var head = new DenseHeadSpec(c.Hidden, c.Outputs, U(c.Outputs * c.Hidden), U(c.Outputs), HeadActivation.Softmax);
        var embedding = new TokenEmbedding(c.Vocabulary, c.Embedding, U(c.Vocabulary * c.Embedding));
        return new GruModel(GateConvention.ResetAfter, new[] { layer }, head, embedding: embedding,
            metadata: new ModelMetadata("bench_tokens_" + name, ModelTask.Unspecified, null, null));
    }

    private static bool Accelerated(string path) => path switch
    {
        "512" => Vector512.IsHardwareAccelerated,
        "256" => Vector256.IsHardwareAccelerated,
        "128" => Vector128.IsHardwareAccelerated,
        _ => true,
    };

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(TinyGru.IGruModel).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

    /// <summary>The model's code in one form plus a probe with <c>long Time{path}(int[] tokens, long steps)</c> per path.</summary>
    private static Type Compile(GruModel model, bool fold)
    {
        var options = new NetEmitOptions { Namespace = "Probe", TypeName = "M", TypeKeyword = "struct", Accessibility = "public", SourceName = "bench.safetensors", SourceHash = "0", FoldEmbedding = fold };
        string source = NetModelEmitter.Emit(model, options);
        string probe = "namespace Probe { public static class Runner {\n" + string.Concat(NetModelEmitter.PathSuffixes(model).Append("").Select(p =>
            $"public static long Time{p}(int[] tokens, long steps) {{ var m = new M(); var y = new float[M.OutputSize]; long start = System.Diagnostics.Stopwatch.GetTimestamp();\n" +
            $"for (long i = 0, t = 0; i < steps; i++) {{ m.Step{p}(tokens[t], y); if (++t == tokens.Length) t = 0; }}\n" +
            "return System.Diagnostics.Stopwatch.GetTimestamp() - start; }\n")) + "} }";
        var compilation = CSharpCompilation.Create("Tokens" + Guid.NewGuid().ToString("N"),
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.CSharp12)), CSharpSyntaxTree.ParseText(probe, new CSharpParseOptions(LanguageVersion.CSharp12)) },
            References.Value, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        if (!result.Success)
            throw new InvalidOperationException("generated code does not compile:\n" + string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        var assembly = new AssemblyLoadContext(null, isCollectible: false).LoadFromStream(new MemoryStream(pe.ToArray()));
        return assembly.GetType("Probe.Runner")!;
    }

    private static long Calibrate(Func<long, long> ticks)
    {
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 300) ticks(1000);
        long n = 1000;
        while (ticks(n) < TimeSpan.FromMilliseconds(10).Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond) n *= 2;
        return n;
    }
}

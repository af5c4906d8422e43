using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace TinyGru.Generator.Tests;

/// <summary>Runs <see cref="TinyGruGenerator"/> over C# source and model files, the way the compiler does.</summary>
internal static class GeneratorHarness
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(TinyGru.IGruModel).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

    public static CSharpCompilation Compilation(string source, LanguageVersion language = LanguageVersion.CSharp12, bool allowUnsafe = false) =>
        CSharpCompilation.Create("Consumer",
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(language), path: "Models.cs") },
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: allowUnsafe));

    /// <param name="buildProperties">MSBuild properties made visible to the generator (e.g. TinyGruTarget), without the build_property. prefix.</param>
    public static GeneratorDriver Driver(IEnumerable<string> modelPaths, LanguageVersion language = LanguageVersion.CSharp12, IReadOnlyDictionary<string, string>? buildProperties = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new TinyGruGenerator().AsSourceGenerator() },
            additionalTexts: modelPaths.Select(p => (AdditionalText)new FileAdditionalText(p)),
            parseOptions: new CSharpParseOptions(language),
            optionsProvider: new GlobalOptionsProvider((buildProperties ?? new Dictionary<string, string>()).ToDictionary(p => "build_property." + p.Key, p => p.Value)),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs once; returns the run result, the diagnostics of the generator and of the compiled output.</summary>
    public static (GeneratorDriverRunResult Run, ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compiled) Run(
        string source, IEnumerable<string> modelPaths, LanguageVersion language = LanguageVersion.CSharp12, IReadOnlyDictionary<string, string>? buildProperties = null)
    {
        var driver = Driver(modelPaths, language, buildProperties).RunGeneratorsAndUpdateCompilation(Compilation(source, language), out var output, out var diagnostics);
        var run = driver.GetRunResult();
        return (run, diagnostics, output.GetDiagnostics());
    }

    /// <summary>Global analyzer config options, as MSBuild passes CompilerVisibleProperty values.</summary>
    private sealed class GlobalOptionsProvider(Dictionary<string, string> global) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
    {
        private readonly Options _global = new(global);
        private static readonly Options Empty = new(new Dictionary<string, string>());

        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions => _global;

        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Empty;

        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Empty;

        private sealed class Options(Dictionary<string, string> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }

    /// <summary>An AdditionalText backed by a real file (the generator reads model bytes from the path).</summary>
    private sealed class FileAdditionalText(string path) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From("");
    }
}

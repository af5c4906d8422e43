using Microsoft.CodeAnalysis;
using Xunit;

namespace TinyGru.Generator.Tests;

/// <summary>
/// Issue #15: legal C# never makes the generator drop its output (CS8785), a path never binds a different model
/// silently, and a device posing as a model file is refused at once. All through the real GeneratorDriver.
/// </summary>
public class GeneratorHardeningTests
{
    private static readonly string Tiny = GeneratorHarness.Fixture("gru_tiny.safetensors");
    private static readonly string Stacked = GeneratorHarness.Fixture("gru_stacked.safetensors");

    private static void NoGeneratorException(GeneratorDriverRunResult run, IEnumerable<Diagnostic> diagnostics)
    {
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(diagnostics, d => d.Id is "CS8785" or "TGRU099");
    }

    [Fact]
    public void TypeNamesDifferingOnlyInCaseBothGenerate()
    {
        var (run, diagnostics, compiled) = GeneratorHarness.Run(
            "namespace App { [TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct Model { } [TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct model { } }",
            new[] { Tiny });
        NoGeneratorException(run, diagnostics);
        Assert.Empty(diagnostics);
        Assert.Equal(2, run.GeneratedTrees.Length);
        Assert.Equal(2, run.GeneratedTrees.Select(t => t.FilePath.ToLowerInvariant()).Distinct().Count());
        Assert.DoesNotContain(compiled, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void AttributeOnTwoPartsOfOnePartialTypeIsADiagnostic()
    {
        var (run, diagnostics, _) = GeneratorHarness.Run(
            "[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct M { }\n[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct M { }",
            new[] { Tiny });
        NoGeneratorException(run, diagnostics);
        var d = Assert.Single(diagnostics);
        Assert.Equal("TGRU022", d.Id);
        Assert.Equal(2, d.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Single(run.GeneratedTrees); // the first part still generates
    }

    [Fact]
    public void ReadonlyStructIsATgruDiagnosticNotGeneratedCodeErrors()
    {
        foreach (var decl in new[] { "public readonly partial struct M { }", "public readonly partial record struct M { }" })
        {
            var (run, diagnostics, compiled) = GeneratorHarness.Run("[TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] " + decl, new[] { Tiny });
            NoGeneratorException(run, diagnostics);
            Assert.Equal("TGRU009", Assert.Single(diagnostics).Id);
            Assert.Empty(run.GeneratedTrees);
            Assert.DoesNotContain(compiled, c => c.Id == "CS8340");
        }
    }

    /// <summary>A project folder with models/gru1.safetensors (1 layer, the only AdditionalFiles item) and other 2-layer files beside it.</summary>
    private sealed class Project : IDisposable
    {
        public Project()
        {
            Directory.CreateDirectory(Path.Combine(Dir, "models"));
            Directory.CreateDirectory(Path.Combine(Dir, "other"));
            File.Copy(Tiny, Item);
            File.Copy(Stacked, Path.Combine(Dir, "other", "gru1.safetensors"));
        }

        public string Dir { get; } = Directory.CreateTempSubdirectory("tinygru-gen-path").FullName;

        public string Item => Path.Combine(Dir, "models", "gru1.safetensors");

        public (GeneratorDriverRunResult Run, IReadOnlyList<Diagnostic> Diagnostics) Generate(string attributePath, params string[] items)
        {
            var (run, diagnostics, _) = GeneratorHarness.Run($"[TinyGru.TinyGruModel(\"{attributePath}\")] public partial struct M {{ }}",
                items.Length == 0 ? new[] { Item } : items, buildProperties: new Dictionary<string, string> { ["ProjectDir"] = Dir + "/" });
            NoGeneratorException(run, diagnostics);
            return (run, diagnostics);
        }

        public void Dispose() => Directory.Delete(Dir, true);
    }

    [Fact]
    public void ExactPathBindsWithoutDiagnostics()
    {
        using var project = new Project();
        var (run, diagnostics) = project.Generate("models/gru1.safetensors");
        Assert.Empty(diagnostics);
        Assert.Single(run.GeneratedTrees);
        (run, diagnostics) = project.Generate("./models/../models/gru1.safetensors");
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void ExistingPathThatIsNotAnItemNeverBindsItsNamesake()
    {
        using var project = new Project();
        var (run, diagnostics) = project.Generate("other/gru1.safetensors");
        var d = Assert.Single(diagnostics);
        Assert.Equal("TGRU021", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("other/gru1.safetensors", d.GetMessage());
        Assert.Contains(project.Item, d.GetMessage());
        Assert.Empty(run.GeneratedTrees);

        // A bare file name that exists in the project folder itself: the same.
        File.Copy(Stacked, Path.Combine(project.Dir, "gru1.safetensors"));
        (run, diagnostics) = project.Generate("gru1.safetensors");
        Assert.Equal("TGRU021", Assert.Single(diagnostics).Id);
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void FileNameOrCaseOnlyMatchIsAWarningNamingBothPaths()
    {
        using var project = new Project();
        foreach (var path in new[] { "gru1.safetensors", "Models/GRU1.safetensors", "elsewhere/gru1.safetensors" })
        {
            var (run, diagnostics) = project.Generate(path);
            var d = Assert.Single(diagnostics);
            Assert.Equal("TGRU020", d.Id);
            Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
            Assert.Contains(path, d.GetMessage());
            Assert.Contains(project.Item, d.GetMessage());
            Assert.Single(run.GeneratedTrees);
        }
    }

    [Fact]
    public void FileNameMatchOfSeveralItemsIsAmbiguous()
    {
        using var project = new Project();
        var second = Path.Combine(project.Dir, "other", "gru1.safetensors");
        var (run, diagnostics) = project.Generate("gru1.safetensors", project.Item, second);
        Assert.Equal("TGRU004", Assert.Single(diagnostics).Id);
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void ModelSymlinkedToDevZeroIsRefusedQuickly()
    {
        if (!File.Exists("/dev/zero")) return;
        var dir = Directory.CreateTempSubdirectory("tinygru-gen-dev");
        try
        {
            var link = Path.Combine(dir.FullName, "zero.safetensors");
            File.CreateSymbolicLink(link, "/dev/zero");
            var (run, diagnostics, _) = GeneratorHarness.Run("[TinyGru.TinyGruModel(\"zero.safetensors\")] public partial struct M { }", new[] { link });
            NoGeneratorException(run, diagnostics);
            var d = Assert.Single(diagnostics);
            Assert.Equal("TGRU003", d.Id);
            Assert.Contains("not a regular file", d.GetMessage());
            Assert.Empty(run.GeneratedTrees);
        }
        finally { dir.Delete(true); }
    }
}

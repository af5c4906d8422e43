using System.Runtime.CompilerServices;
using Xunit;

namespace TinyGru.Generator.Tests;

/// <summary>
/// The generated source for gru_tiny is reviewed as a plain file, Snapshots/GruTiny.g.cs. After an intended change to
/// the emitter, regenerate it with <c>TINYGRU_UPDATE_SNAPSHOTS=1 dotnet test tests/TinyGru.Generator.Tests --filter SnapshotTests</c>
/// and review the diff.
/// </summary>
public class SnapshotTests
{
    [Fact]
    public void GruTinyMatchesTheReviewedSnapshot()
    {
        var (run, diagnostics, _) = GeneratorHarness.Run(
            "namespace Sensors { [TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct GruTiny { } }",
            new[] { GeneratorHarness.Fixture("gru_tiny.safetensors") });
        Assert.Empty(diagnostics);
        string actual = run.GeneratedTrees.Single().ToString();
        string path = Path.Combine(SourceFolder(), "Snapshots", "GruTiny.g.cs");
        if (Environment.GetEnvironmentVariable("TINYGRU_UPDATE_SNAPSHOTS") == "1") File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"missing snapshot {path}; create it with TINYGRU_UPDATE_SNAPSHOTS=1");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    private static string SourceFolder([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}

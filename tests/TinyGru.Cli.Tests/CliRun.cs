using System.Globalization;
using TinyGru.Tests;

namespace TinyGru.Cli.Tests;

/// <summary>Runs the tinygru command line in-process and captures what it prints.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public static CliRun Of(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TinyGruCommandLine.Run(args, stdout, stderr);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>A one-line error: exit 1, a single 'tinygru: error:' line, no stack trace.</summary>
    public void AssertOneLineError(string expected)
    {
        Xunit.Assert.Equal(1, ExitCode);
        var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Xunit.Assert.Single(lines);
        Xunit.Assert.StartsWith("tinygru: error: ", lines[0]);
        Xunit.Assert.Contains(expected, lines[0]);
        Xunit.Assert.DoesNotContain("   at ", Stderr);
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tinygru-test-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);

    /// <summary>Writes the fixture's x [T, I] as a CSV with a header row.</summary>
    public string WriteFixtureInput(string fixture, out float[] y, out int outputs)
    {
        var f = ReferenceFixture.Load(fixture);
        y = f.Y;
        outputs = f.OutputSize;
        var lines = new List<string> { string.Join(",", Enumerable.Range(0, f.InputSize).Select(i => "f" + i)) };
        for (int t = 0; t < f.Steps; t++)
            lines.Add(string.Join(",", f.X.Skip(t * f.InputSize).Take(f.InputSize).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        var path = File(fixture + ".csv");
        System.IO.File.WriteAllLines(path, lines);
        return path;
    }
}

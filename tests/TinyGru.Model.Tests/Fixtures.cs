namespace TinyGru.Model.Tests;

/// <summary>Paths of the reference fixtures copied next to the test assembly (tests/fixtures).</summary>
internal static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", name);
}

using SharpFuzz;

namespace TinyGru.Fuzz;

/// <summary>Adds afl-style edge coverage to the TinyGru assemblies next to this program (idempotent per build).</summary>
internal static class Instrumenter
{
    private static readonly string[] Assemblies = { "TinyGru.Model.dll", "TinyGru.Training.dll", "tinygru.dll" };

    public static int Run()
    {
        var dir = AppContext.BaseDirectory;
        foreach (var name in Assemblies)
        {
            var path = Path.Combine(dir, name);
            var marker = path + ".instrumented";
            if (File.Exists(marker) && File.GetLastWriteTimeUtc(marker) >= File.GetLastWriteTimeUtc(path))
            {
                Console.WriteLine($"{name}: already instrumented");
                continue;
            }
            var types = Fuzzer.Instrument(path, ns => ns.StartsWith("TinyGru", StringComparison.Ordinal), SharpFuzz.Options.Value);
            File.WriteAllText(marker, "");
            Console.WriteLine($"{name}: {types.Count()} types instrumented");
        }
        return 0;
    }
}

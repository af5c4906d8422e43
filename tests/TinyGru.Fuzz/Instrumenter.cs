using SharpFuzz;

namespace TinyGru.Fuzz;

/// <summary>Adds afl-style edge coverage to the TinyGru assemblies next to this program (idempotent).</summary>
internal static class Instrumenter
{
    private static readonly string[] Assemblies = { "TinyGru.Model.dll", "TinyGru.Training.dll", "tinygru.dll" };

    public static int Run()
    {
        var dir = AppContext.BaseDirectory;
        foreach (var name in Assemblies)
        {
            var path = Path.Combine(dir, name);
            // An instrumented assembly references SharpFuzz.Common (a rebuild copies the plain one back, whatever the times).
            if (System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains("SharpFuzz.Common", StringComparison.Ordinal))
            {
                Console.WriteLine($"{name}: already instrumented");
                continue;
            }
            var types = Fuzzer.Instrument(path, ns => ns.StartsWith("TinyGru", StringComparison.Ordinal), SharpFuzz.Options.Value);
            Console.WriteLine($"{name}: {types.Count()} types instrumented");
        }
        return 0;
    }
}

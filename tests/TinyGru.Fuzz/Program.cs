using System.Diagnostics;

namespace TinyGru.Fuzz;

/// <summary>
/// Fuzz harness for TinyGru's readers (tests/TinyGru.Fuzz/README.md, docs/reliability.md). Every input must end in a valid model (or table) or in the reader's one-line
/// error; anything else — another exception, a run over the time bound, an allocation over the memory bound — is a
/// finding. Modes:
/// <list type="bullet">
/// <item><c>instrument</c>: adds SharpFuzz edge coverage to the TinyGru assemblies beside this program (run once after build).</item>
/// <item><c>afl TARGET</c>: afl++ persistent-mode target (<c>afl-fuzz -i corpus/TARGET -o out -- dotnet TinyGru.Fuzz.dll afl TARGET</c>).</item>
/// <item><c>run TARGET --corpus DIR --seconds N [--findings DIR] [--queue DIR] [--seed S]</c>: in-process coverage-guided
/// mutation (libFuzzer style, no afl++ needed); exit 1 on any finding. CI runs this bounded.</item>
/// <item><c>replay TARGET FILE|DIR...</c>: runs inputs once each and prints the outcome.</item>
/// </list>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0) return Usage();
        switch (args[0])
        {
            case "instrument":
                return Instrumenter.Run();
            case "afl" when args.Length == 2:
                return AflMode.Run(FuzzTargets.Get(args[1]));
            case "run" when args.Length >= 2:
                return InProcessFuzzer.Run(FuzzTargets.Get(args[1]), Options.Parse(args.AsSpan(2)));
            case "replay" when args.Length >= 3:
                return Replay(FuzzTargets.Get(args[1]), args.Skip(2));
            default:
                return Usage();
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: TinyGru.Fuzz instrument | afl TARGET | run TARGET --corpus DIR --seconds N [--findings DIR] [--queue DIR] [--seed S] | replay TARGET FILE|DIR...");
        Console.Error.WriteLine("targets: " + string.Join(", ", FuzzTargets.Names));
        return 2;
    }

    private static unsafe int Replay(FuzzTarget target, IEnumerable<string> paths)
    {
        // Instrumented code writes edge counts through this pointer: give it a map even when nothing reads it.
        SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
        int findings = 0;
        foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).OrderBy(f => f, StringComparer.Ordinal).ToArray() : new[] { p }))
        {
            var outcome = Execution.Run(target, File.ReadAllBytes(file));
            if (outcome.IsFinding) findings++;
            Console.WriteLine($"{file}: {outcome}");
        }
        return findings == 0 ? 0 : 1;
    }
}

/// <summary>Command-line options of the <c>run</c> mode.</summary>
internal sealed record Options(string Corpus, double Seconds, string? Findings, string? Queue, int Seed, int MaxLength)
{
    public static Options Parse(ReadOnlySpan<string> args)
    {
        string? corpus = null, findings = null, queue = null;
        double seconds = 60;
        int seed = Environment.TickCount, maxLength = 64 * 1024;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--corpus": corpus = args[i + 1]; break;
                case "--seconds": seconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--findings": findings = args[i + 1]; break;
                case "--queue": queue = args[i + 1]; break;
                case "--seed": seed = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--max-len": maxLength = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException("unknown option " + args[i]);
            }
        }
        return new Options(corpus ?? throw new ArgumentException("--corpus is required"), seconds, findings, queue, seed, maxLength);
    }
}

/// <summary>The outcome of one input.</summary>
internal readonly record struct Outcome(string Kind, string Detail, long AllocatedBytes, double Milliseconds)
{
    /// <summary>Bound on one input's run time: far above any reader's time on a 64 KiB input.</summary>
    public const double MaxMilliseconds = 2000;

    /// <summary>Bound on one input's allocation: a 64 KiB input that allocates more than this is an unbounded allocation.</summary>
    public const long MaxAllocatedBytes = 256L << 20;

    public bool IsFinding => Kind is not ("ok" or "rejected");

    public override string ToString() => $"{Kind} ({Milliseconds:F1} ms, {AllocatedBytes} B allocated){(Detail.Length > 0 ? ": " + Detail : "")}";
}

internal static class Execution
{
    /// <summary>Runs one input, classifying the result; never throws.</summary>
    public static Outcome Run(FuzzTarget target, byte[] input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        string kind, detail = "";
        try
        {
            target.Execute(input);
            kind = "ok";
        }
        catch (Exception e) when (target.IsExpectedError(e))
        {
            kind = "rejected";
            detail = e.Message;
            if (detail.Contains('\n') || detail.Contains('\r')) { kind = "multi-line-error"; }
            else if (detail.Length > 1000) { kind = "long-error"; detail = detail[..200] + "…"; }
        }
        catch (Exception e)
        {
            kind = "crash";
            detail = e.GetType().FullName + ": " + e.Message.Split('\n')[0] + " at " + (e.StackTrace ?? "").Split('\n').FirstOrDefault()?.Trim();
        }
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var ms = clock.Elapsed.TotalMilliseconds;
        if (kind is "ok" or "rejected")
        {
            if (ms > Outcome.MaxMilliseconds) kind = "slow";
            else if (allocated > Outcome.MaxAllocatedBytes) kind = "allocation";
        }
        return new Outcome(kind, detail, allocated, ms);
    }
}

using System.Diagnostics;

namespace TinyGru.Cli.Tests;

/// <summary>Runs the built tinygru command as its own process (as a user does), with a time limit and a peak-memory reading.</summary>
internal sealed record BuiltCliRun(int ExitCode, string Stdout, string Stderr, long PeakRssBytes)
{
    /// <summary>A one-line error: exit 1, a single 'tinygru: error:' line, no stack trace.</summary>
    public void AssertOneLineError(string expected) => new CliRun(ExitCode, Stdout, Stderr).AssertOneLineError(expected);
}

internal static class BuiltCli
{
    /// <summary>Runs <c>dotnet tinygru.dll ARGS</c>; kills it and fails when it is still running after <paramref name="timeout"/>.</summary>
    public static BuiltCliRun Run(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(TinyGruCommandLine).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var clock = Stopwatch.StartNew();
        while (!process.WaitForExit(50))
        {
            peak = Math.Max(peak, PeakRss(process.Id));
            if (clock.Elapsed > timeout)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new Xunit.Sdk.XunitException($"tinygru {string.Join(' ', args)} was still running after {timeout.TotalSeconds} s (peak RSS {peak >> 20} MB)");
            }
        }
        process.WaitForExit();
        return new BuiltCliRun(process.ExitCode, stdout.Result, stderr.Result, peak);
    }

    /// <summary>VmHWM (peak resident set) of a live process on Linux, else 0.</summary>
    private static long PeakRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    /// <summary>Runs a shell command line (setup: mkfifo, a writer into a FIFO) and returns the process without waiting.</summary>
    public static Process Shell(string command)
    {
        var start = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        return Process.Start(start)!;
    }

    public static bool ShellSucceeds(string command)
    {
        using var p = Shell(command);
        p.WaitForExit();
        return p.ExitCode == 0;
    }
}

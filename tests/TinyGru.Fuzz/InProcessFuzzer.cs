using System.Diagnostics;
using System.Security.Cryptography;

namespace TinyGru.Fuzz;

/// <summary>
/// libFuzzer-style in-process fuzzing: mutate an input from the queue, run it, keep it when it reaches an edge (or an
/// edge hit-count bucket) no earlier input reached. Coverage comes from the SharpFuzz instrumentation (afl's edge map
/// <c>SharpFuzz.Common.Trace.SharedMem</c>); without instrumentation it degrades to mutation of the seeds.
/// </summary>
internal static unsafe class InProcessFuzzer
{
    private const int MapSize = 1 << 16;

    public static int Run(FuzzTarget target, Options options)
    {
        var map = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(MapSize);
        SharpFuzz.Common.Trace.SharedMem = map;
        var seen = new byte[MapSize]; // union of hit-count buckets reached so far
        var random = new Random(options.Seed);
        var queue = new List<byte[]>();
        var findings = new List<(string Kind, byte[] Input, Outcome Outcome)>();
        var findingKeys = new HashSet<string>();
        long execs = 0;
        var clock = Stopwatch.StartNew();

        byte[][] seeds = Directory.Exists(options.Corpus)
            ? Directory.GetFiles(options.Corpus).OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray()
            : Array.Empty<byte[]>();
        if (seeds.Length == 0) seeds = new[] { Array.Empty<byte>() };
        foreach (var seed in seeds) Consider(seed);
        int seedCount = queue.Count;
        Console.WriteLine($"{target.Name}: {seeds.Length} seeds, {Edges()} edges from seeds, seed {options.Seed}");
        if (Edges() == 0)
        {
            Console.Error.WriteLine($"{target.Name}: no coverage: run 'TinyGru.Fuzz instrument' after building");
            return 2;
        }

        long lastReport = 0;
        while (clock.Elapsed.TotalSeconds < options.Seconds)
        {
            var parent = queue[random.Next(queue.Count)];
            var child = Mutator.Mutate(parent, queue[random.Next(queue.Count)], random, options.MaxLength);
            Consider(child);
            if (clock.ElapsedMilliseconds - lastReport >= 60_000)
            {
                lastReport = clock.ElapsedMilliseconds;
                Console.WriteLine($"{target.Name}: {clock.Elapsed.TotalSeconds:F0} s, {execs} execs ({execs / clock.Elapsed.TotalSeconds:F0}/s), {Edges()} edges, queue {queue.Count}, findings {findings.Count}");
            }
        }
        Console.WriteLine($"{target.Name}: done: {execs} execs in {clock.Elapsed.TotalSeconds:F0} s ({execs / clock.Elapsed.TotalSeconds:F0}/s), {Edges()} edges covered, queue {queue.Count} ({queue.Count - seedCount} new), findings {findings.Count}");
        foreach (var f in findings) Console.WriteLine($"  finding: {f.Outcome}");
        System.Runtime.InteropServices.NativeMemory.Free(map);
        return findings.Count == 0 ? 0 : 1;

        void Consider(byte[] input)
        {
            new Span<byte>(map, MapSize).Clear();
            SharpFuzz.Common.Trace.PrevLocation = 0;
            var outcome = Execution.Run(target, input);
            execs++;
            bool novel = false;
            for (int i = 0; i < MapSize; i++)
            {
                byte hits = map[i];
                if (hits == 0) continue;
                byte bucket = Bucket(hits);
                if ((seen[i] & bucket) == 0) { seen[i] |= bucket; novel = true; }
            }
            if (outcome.IsFinding)
            {
                // One record per kind and message shape (digits dropped: offsets differ between copies of one bug).
                if (findingKeys.Add(outcome.Kind + "|" + new string(outcome.Detail.Where(c => !char.IsAsciiDigit(c)).Take(80).ToArray())))
                {
                    findings.Add((outcome.Kind, input, outcome));
                    Save(options.Findings, outcome.Kind, input);
                    Console.WriteLine($"{target.Name}: FINDING {outcome}");
                }
                return;
            }
            if (novel || queue.Count == 0)
            {
                queue.Add(input);
                if (queue.Count > seeds.Length) Save(options.Queue, "cov", input);
            }
        }

        int Edges() => seen.Count(b => b != 0);
    }

    /// <summary>afl's hit-count buckets: 1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+.</summary>
    private static byte Bucket(byte hits) => hits switch
    {
        1 => 1, 2 => 2, 3 => 4, <= 7 => 8, <= 15 => 16, <= 31 => 32, <= 127 => 64, _ => 128,
    };

    private static void Save(string? dir, string kind, byte[] input)
    {
        if (dir is null) return;
        Directory.CreateDirectory(dir);
        var name = kind + "-" + Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant();
        File.WriteAllBytes(Path.Combine(dir, name), input);
    }
}

/// <summary>afl/libFuzzer-style byte mutations, a few stacked per child.</summary>
internal static class Mutator
{
    private static readonly long[] Interesting =
    {
        0, 1, -1, 2, 3, 4, 7, 8, 16, 32, 64, 100, 127, 128, 255, 256, 512, 1000, 1024, 4096, 32767, 32768, 65535, 65536,
        int.MaxValue, int.MinValue, uint.MaxValue, 1L << 32, 1L << 40, long.MaxValue, long.MinValue,
    };

    private static readonly byte[][] Tokens =
    {
        "\"dtype\""u8.ToArray(), "\"F32\""u8.ToArray(), "\"I8\""u8.ToArray(), "\"F16\""u8.ToArray(), "\"shape\""u8.ToArray(),
        "\"data_offsets\""u8.ToArray(), "\"__metadata__\""u8.ToArray(), "[0,0]"u8.ToArray(), "[]"u8.ToArray(), "{}"u8.ToArray(),
        "\\u0000"u8.ToArray(), "1e40"u8.ToArray(), "-0"u8.ToArray(), "NaN"u8.ToArray(), "\"\""u8.ToArray(), ","u8.ToArray(),
        "\n"u8.ToArray(), "\r\n"u8.ToArray(), "\""u8.ToArray(), ";"u8.ToArray(), "\t"u8.ToArray(), "1e-45"u8.ToArray(),
        "99999999999999999999"u8.ToArray(), "GRU"u8.ToArray(), "Gemm"u8.ToArray(), "MatMul"u8.ToArray(), "Constant"u8.ToArray(),
        "hidden_size"u8.ToArray(), "linear_before_reset"u8.ToArray(), "tinygru"u8.ToArray(),
    };

    public static byte[] Mutate(byte[] parent, byte[] other, Random random, int maxLength)
    {
        var data = new List<byte>(parent);
        int stack = 1 << random.Next(4);
        for (int s = 0; s < stack; s++) MutateOnce(data, other, random);
        if (data.Count > maxLength) data.RemoveRange(maxLength, data.Count - maxLength);
        return data.ToArray();
    }

    private static void MutateOnce(List<byte> d, byte[] other, Random r)
    {
        int n = d.Count;
        switch (r.Next(n == 0 ? 2 : 12))
        {
            case 0: // insert random bytes
            {
                int at = r.Next(n + 1), len = 1 + r.Next(8);
                var bytes = new byte[len];
                r.NextBytes(bytes);
                d.InsertRange(at, bytes);
                break;
            }
            case 1: // insert a token
                d.InsertRange(r.Next(n + 1), Tokens[r.Next(Tokens.Length)]);
                break;
            case 2: d[r.Next(n)] ^= (byte)(1 << r.Next(8)); break;
            case 3: d[r.Next(n)] = (byte)r.Next(256); break;
            case 4: d[r.Next(n)] += (byte)(r.Next(35) - 17); break;
            case 5: // interesting integer, 1/2/4/8 bytes little-endian
            {
                int width = 1 << r.Next(4);
                if (n < width) break;
                int at = r.Next(n - width + 1);
                long v = Interesting[r.Next(Interesting.Length)];
                for (int i = 0; i < width; i++) d[at + i] = (byte)(v >> (8 * i));
                break;
            }
            case 6: // interesting integer as ASCII decimal, over a run of digits or inserted
            {
                var text = System.Text.Encoding.ASCII.GetBytes(Interesting[r.Next(Interesting.Length)].ToString(System.Globalization.CultureInfo.InvariantCulture));
                int at = r.Next(n);
                int end = at;
                while (end < n && (char.IsAsciiDigit((char)d[end]) || d[end] == '-')) end++;
                d.RemoveRange(at, end - at);
                d.InsertRange(at, text);
                break;
            }
            case 7: // delete a range
            {
                int at = r.Next(n), len = 1 + r.Next(Math.Min(n - at, 64));
                d.RemoveRange(at, len);
                break;
            }
            case 8: // duplicate a range
            {
                int at = r.Next(n), len = 1 + r.Next(Math.Min(n - at, 256));
                d.InsertRange(r.Next(n + 1), d.GetRange(at, len));
                break;
            }
            case 9: // overwrite with a range from another input (splice)
            {
                if (other.Length == 0) break;
                int from = r.Next(other.Length), len = 1 + r.Next(Math.Min(other.Length - from, 128));
                int at = r.Next(n);
                for (int i = 0; i < len && at + i < n; i++) d[at + i] = other[from + i];
                break;
            }
            case 10: // truncate
            {
                int at = r.Next(n);
                d.RemoveRange(at, n - at);
                break;
            }
            default: // token overwrite
            {
                var t = Tokens[r.Next(Tokens.Length)];
                int at = r.Next(n);
                for (int i = 0; i < t.Length && at + i < n; i++) d[at + i] = t[i];
                break;
            }
        }
    }
}

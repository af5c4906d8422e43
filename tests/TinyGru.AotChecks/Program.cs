using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TinyGru;
using TinyGru.AotChecks;
using TinyGru.Runtime;
using TinyGru.Tests;
using Arm = System.Runtime.Intrinsics.Arm;
using X86 = System.Runtime.Intrinsics.X86;

// The generated-code checks of TinyGru.CodeGen.Tests on the cases they share (tests/Shared/GeneratedCodeCases.cs), as
// a NativeAOT program: every case on every path the CPU can run, against the reference engines it runs itself and, for
// fixtures, PyTorch/ONNX Runtime's outputs; allocation per step; and the case's nanoFramework code in every weight
// placement that fits. Exits 1 on any failure.
// Usage: TinyGru.AotChecks [--digests FILE] [--shard K/N] [--subset]
//   --digests FILE: one digest (GeneratedCodeCases.Digest) per case of its 128-bit path's outputs, to compare runs across machines;
//   --shard K/N: the build holds shard K of N (GeneratedCodeCases.Shard), as TinyGru.AotChecks.Emit wrote it;
//   --subset: accept a build whose cases were emitted with a name prefix (a quicker local build); otherwise every case must be compiled in.
string? digestFile = null;
bool subset = false;
(int Index, int Count) shard = (0, 1);
for (int a = 0; a < args.Length; a++)
{
    if (args[a] == "--digests" && a + 1 < args.Length) digestFile = args[++a];
    else if (args[a] == "--subset") subset = true;
    else if (args[a] == "--shard" && a + 1 < args.Length) shard = GeneratedCodeCases.ParseShard(args[++a]);
    else { Console.Error.WriteLine($"unknown argument {args[a]}; usage: TinyGru.AotChecks [--digests FILE] [--shard K/N] [--subset]"); return 2; }
}

Console.WriteLine($"TinyGru.AotChecks on {RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, " +
                  // PublishAot projects turn IsDynamicCodeSupported off under the JIT too; an assembly has no file location only under NativeAOT.
                  (typeof(object).Assembly.Location.Length > 0 ? "JIT" : "NativeAOT"));
Console.WriteLine($"ISA: Vector128 {Vector128.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector512 {Vector512.IsHardwareAccelerated}; " +
                  $"AdvSimd {Arm.AdvSimd.IsSupported}, AdvSimd.Arm64 {Arm.AdvSimd.Arm64.IsSupported}, Dp {Arm.Dp.IsSupported}, Rdm {Arm.Rdm.IsSupported}; " +
                  $"Sse2 {X86.Sse2.IsSupported}, Avx2 {X86.Avx2.IsSupported}, Fma {X86.Fma.IsSupported}, Avx512BW {X86.Avx512BW.IsSupported}, AvxVnni {X86.AvxVnni.IsSupported}");
// What Step picks: the float/int8-weights dispatcher asks VectorN.IsHardwareAccelerated; the int8 one the same, and the x86 ISA for 512/256.
string floatStep = Vector512.IsHardwareAccelerated ? "512" : Vector256.IsHardwareAccelerated ? "256" : Vector128.IsHardwareAccelerated ? "128" : "Scalar";
string int8Step = Vector512.IsHardwareAccelerated && X86.Avx512BW.IsSupported ? "512" : Vector256.IsHardwareAccelerated && X86.Avx2.IsSupported ? "256" : Vector128.IsHardwareAccelerated ? "128" : "Scalar";
Console.WriteLine($"Step dispatches to: float/int8-weights {floatStep} (where the model has that width), integer-only int8 {int8Step}");

var runners = Registry.Runners;
var names = runners.Select(r => r.Name).ToHashSet();
var all = GeneratedCodeCases.Shard(shard.Index, shard.Count).ToList();
if (shard.Count > 1) Console.WriteLine($"shard {shard.Index} of {shard.Count}");
var cases = all.Where(c => names.Contains(c.Name)).ToList();
int checks = 0, failures = 0;
var ran = new SortedDictionary<string, int>(StringComparer.Ordinal);
var digests = new List<string>();

void Fail(string message)
{
    failures++;
    Console.WriteLine("FAIL " + message);
}

if (cases.Count != runners.Length || (!subset && cases.Count != all.Count))
    Fail($"{all.Count} cases, {runners.Length} generated types, {cases.Count} matching: re-run TinyGru.AotChecks.Emit");
for (int n = 0; n < Math.Min(cases.Count, runners.Length); n++)
{
    var c = cases[n];
    var runner = runners[n];
    if (c.Name != runner.Name)
    {
        Fail($"case {n} is {c.Name}, the generated type is {runner.Name}: re-run TinyGru.AotChecks.Emit");
        continue;
    }
    int inputs = c.Model.StepInputSize, outputs = c.Model.OutputSize, steps = c.Sequence.Length / inputs;
    var expected = new float[steps * outputs];
    float[] expectedState;
    if (c.Kind == GeneratedCodeKind.Int8)
    {
        var reference = new Int8ReferenceEngine(c.Model);
        reference.Run(c.Sequence, expected);
        expectedState = c.Model.Layers.SelectMany((_, k) => reference.HiddenState(k).ToArray()).Select(v => (float)v).ToArray();
    }
    else
    {
        var reference = new GruReferenceEngine(c.Model);
        reference.Run(c.Sequence, expected);
        expectedState = c.Model.Layers.SelectMany((_, k) => reference.HiddenState(k).ToArray()).ToArray();
        if (reference.SeriesState is { } series)
        {
            // float targets' StateSize ends with the series transform state (SeriesTransformState.CopyTo's layout).
            var transformState = new float[c.Model.SeriesTransform!.StateSize];
            series.CopyTo(transformState);
            expectedState = expectedState.Concat(transformState).ToArray();
        }
    }

    foreach (var path in runner.Paths.Append(""))
    {
        // The 512- and 256-bit integer kernels are x86-only (their entry points throw PlatformNotSupportedException elsewhere).
        if (c.Kind == GeneratedCodeKind.Int8 && (path == "512" && !X86.Avx512BW.IsSupported || path == "256" && !X86.Avx2.IsSupported)) continue;
        string label = path == "" ? "Step" : path;
        var actual = new float[expected.Length];
        float[] state;
        try
        {
            state = runner.RunWithState(path, c.Sequence, actual);
        }
        catch (Exception e)
        {
            Fail($"{c.Name} path {label}: {e.GetType().Name}: {e.Message}");
            continue;
        }
        checks++;
        ran[$"{c.Kind} {label}"] = ran.GetValueOrDefault($"{c.Kind} {label}") + 1;
        if (c.Kind == GeneratedCodeKind.Int8)
        {
            int bad = Enumerable.Range(0, expected.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]), -1);
            if (bad >= 0) Fail($"{c.Name} path {label}: output {bad} (step {bad / outputs}) is {actual[bad]:R}, Int8ReferenceEngine gives {expected[bad]:R}");
            else if (!state.SequenceEqual(expectedState)) Fail($"{c.Name} path {label}: final Q0.15 state differs from Int8ReferenceEngine's");
        }
        else
        {
            // float: |Δ| / max(1, |y|) ≤ 1e-6; int8-weights: |Δ| ≤ 1e-5 (the xunit tests' bounds).
            bool isFloat = c.Kind == GeneratedCodeKind.Float;
            double bound = isFloat ? 1e-6 : 1e-5;
            double Error(float e, float a) => Math.Abs(e - a) / (isFloat ? Math.Max(1f, Math.Abs(e)) : 1f);
            double worst = expected.Select((e, i) => Error(e, actual[i])).Max();
            double worstState = isFloat ? 0 : expectedState.Select((e, i) => (double)Math.Abs(e - state[i])).DefaultIfEmpty(0).Max();
            if (!(worst <= bound)) Fail($"{c.Name} path {label}: error {worst:G3} against the reference engine exceeds {bound:G1}");
            else if (!(worstState <= bound)) Fail($"{c.Name} path {label}: final state error {worstState:G3} exceeds {bound:G1}");
        }
        if (path == "" && c.Fixture is { } fixture)
        {
            checks++;
            double worst = fixture.Y.Select((y, i) => (double)Math.Abs(y - actual[i])).Max();
            if (!(worst <= 1e-5)) Fail($"{c.Name}: error {worst:G3} against PyTorch/ONNX Runtime exceeds 1e-5");
        }
        if (path == (runner.Paths.Contains("128") ? "128" : "Scalar"))
        {
            digests.Add($"{c.Name} {label} {GeneratedCodeCases.Digest(actual)}");
        }
    }

    // The nanoFramework code, compiled for this target (desktop .NET arithmetic standing in for nanoCLR's): float and
    // int8-weights within 1e-4 of the reference engine (NanoFrameworkDesktopTests' bound), integer-only int8 bit for bit.
    if (runner.NanoVariants.Length > 0)
    {
        var nanoExpected = new float[expected.Length];
        IGruModel engine = c.Kind == GeneratedCodeKind.Int8 ? new Int8ReferenceEngine(c.Model) : new GruReferenceEngine(c.Model);
        for (int s = 0; s < steps; s++)
        {
            engine.Step(c.Sequence.AsSpan(s * inputs, inputs), nanoExpected.AsSpan(s * outputs, outputs));
            if (s == steps / 2) engine.Reset();
        }
        foreach (var variant in runner.NanoVariants)
        {
            checks++;
            string label = "nanoFramework " + variant;
            ran[$"{c.Kind} {label}"] = ran.GetValueOrDefault($"{c.Kind} {label}") + 1;
            float[] actual;
            try
            {
                actual = runner.RunNano(variant, c.Sequence);
            }
            catch (Exception e)
            {
                Fail($"{c.Name} {label}: {e.GetType().Name}: {e.Message}");
                continue;
            }
            if (c.Kind == GeneratedCodeKind.Int8)
            {
                int bad = Enumerable.Range(0, nanoExpected.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(nanoExpected[i]) != BitConverter.SingleToInt32Bits(actual[i]), -1);
                if (bad >= 0) Fail($"{c.Name} {label}: output {bad} (step {bad / outputs}) is {actual[bad]:R}, Int8ReferenceEngine gives {nanoExpected[bad]:R}");
            }
            else
            {
                double worst = nanoExpected.Select((e, i) => Math.Abs(e - actual[i]) / Math.Max(1.0, Math.Abs(e))).Max();
                if (!(worst <= 1e-4)) Fail($"{c.Name} {label}: error {worst:G3} against the reference engine exceeds 1e-4");
            }
            if (!variant.StartsWith("Resource", StringComparison.Ordinal))
            {
                checks++;
                long bytes = long.MaxValue;
                for (int attempt = 0; attempt < 3 && bytes != 0; attempt++) bytes = Math.Min(bytes, runner.NanoAllocated(variant, 200));
                if (bytes != 0) Fail($"{c.Name} {label}: Step allocated {bytes} bytes over 200 steps");
            }
        }
    }

    // Allocation per step: the least of three measurements (the runtime may allocate on the thread once), must be 0.
    checks++;
    var x = c.Sequence.AsSpan(0, inputs).ToArray();
    long allocated = long.MaxValue;
    for (int attempt = 0; attempt < 3 && allocated != 0; attempt++) allocated = Math.Min(allocated, runner.Allocated(x, 1000));
    if (allocated != 0) Fail($"{c.Name}: Step allocated {allocated} bytes over 1000 steps");
}

Console.WriteLine("paths run (kind path: cases):");
foreach (var (key, count) in ran) Console.WriteLine($"  {key}: {count}");
if (digestFile is not null) File.WriteAllLines(digestFile, digests);
Console.WriteLine($"{cases.Count} of {all.Count} cases, {checks} checks, {failures} failed");
return failures == 0 ? 0 : 1;

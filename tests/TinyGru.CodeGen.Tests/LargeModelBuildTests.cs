using System.Diagnostics;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// The largest models the .NET emitter accepts (float: 1 M embedded floats; int8-weights: 4 MiB embedded bytes) compile
/// cleanly with Roslyn and run every path within tolerance of the reference engine. Source size, compile time and the
/// compiler's allocations are written to the output (docs/benchmarks.md records them); nothing asserts a time.
/// </summary>
public class LargeModelBuildTests(ITestOutputHelper output)
{
    public static TheoryData<string, int, int, bool> Cases() => new()
    {
        { "float H=256", 64, 256, false },
        { "float H=512 (largest accepted)", 64, 512, false },
        { "int8-weights H=1024 (largest accepted)", 64, 1024, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LargestModelsBuildAndMatchTheReferenceEngine(string name, int inputs, int hidden, bool int8Weights)
    {
        var model = RandomModels.Create(new Random(hidden), GateConvention.ResetAfter, inputs, new[] { hidden }, 8, HeadActivation.None, scale: 0.1f);
        if (int8Weights) model = ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights);
        // Accepted by the emitter (it throws past its limits).
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var compiled = CompiledModel.Compile(model);
        clock.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine($"{name}: {compiled.Source.Length / 1e6:F2} M chars of C#, emit + Roslyn compile {clock.Elapsed.TotalSeconds:F1} s, " +
                         $"{allocated / 1e6:F0} MB allocated, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");

        var rng = new Random(1);
        int steps = 3;
        var seq = Enumerable.Range(0, steps * inputs).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var expected = new float[steps * model.OutputSize];
        new GruReferenceEngine(model).Run(seq, expected);
        foreach (var path in compiled.Paths)
        {
            var actual = compiled.Run(path, seq, model.OutputSize, inputs);
            float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            output.WriteLine($"  path '{path}': max |Δy| = {worst:G3}");
            Assert.True(worst <= 1e-4f, $"path '{path}': max |Δy| = {worst}");
        }
    }
}

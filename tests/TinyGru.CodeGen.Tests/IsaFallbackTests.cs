using System.Globalization;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Runtime;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.CodeGen.Tests;

/// <summary>
/// The 128-bit path as an SSE-only x64 CPU runs it (NativeAOT's default x86-64-v2): a child process with
/// DOTNET_EnableAVX2=0, where the integer-only int8 gates' per-row shifts take their SSE4.1 form (.NET 10 requires
/// SSE4.2 on x64, so the lane-by-lane form is for other Vector128 platforms only), must give Int8ReferenceEngine's
/// outputs bit for bit. On this machine the in-process tests take the AVX2 form and ARM64 the
/// AdvSimd one, so without this test the x86-64-v2 form would run nowhere in CI.
/// </summary>
public class IsaFallbackTests
{
    [Theory]
    [InlineData("DOTNET_EnableAVX2", 6, 32, 6, GateConvention.ResetAfter)]   // SSE4.1 (x86-64-v2): psrad and blends; 8 blocks of 4 units
    [InlineData("DOTNET_EnableAVX2", 5, 10, 3, GateConvention.ResetAfter)]   // 2 blocks and a scalar tail of 2 units
    [InlineData("DOTNET_EnableAVX2", 4, 12, 2, GateConvention.ResetBefore)]  // reset-before: the scalar gates, as a control
    public void Int8Step128WithoutAvx2MatchesTheReferenceBitForBit(string switchedOff, int inputs, int hidden, int outputs, GateConvention convention)
    {
        var model = ModelQuantizer.Quantize(
            RandomModels.Create(new Random(hidden * 31 + inputs), convention, inputs, new[] { hidden }, outputs, HeadActivation.None),
            ModelPrecision.Int8, new CalibrationRange(-1, 1, 1));
        const int steps = 20;
        string main =
            "System.Console.WriteLine(System.Runtime.Intrinsics.X86.Avx2.IsSupported + \" \" + System.Runtime.Intrinsics.X86.Sse41.IsSupported + \" \" + System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated);\n" +
            "var m = new Probe.M(); var x = new float[Probe.M.InputSize]; var y = new float[Probe.M.OutputSize];\n" +
            $"for (int s = 0; s < {steps}; s++) {{ for (int i = 0; i < x.Length; i++) x[i] = System.MathF.Sin(s * 7 + i);\n" +
            "  m.Step128(x, y); System.Console.WriteLine(string.Join(\",\", System.Linq.Enumerable.Select(y, v => System.BitConverter.SingleToInt32Bits(v)))); }\n";
        string stdout = JitListingTests.RunProbe(model, main, new Dictionary<string, string> { [switchedOff] = "0" });
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The child really ran without AVX2, with SSE4.1 and 128-bit SIMD.
        Assert.Equal("False True True", lines[0]);
        Assert.Equal(steps + 1, lines.Length);

        var reference = new Int8ReferenceEngine(model);
        var x = new float[inputs];
        var y = new float[outputs];
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < inputs; i++) x[i] = MathF.Sin(s * 7 + i);
            reference.Step(x, y);
            string expected = string.Join(",", y.Select(v => BitConverter.SingleToInt32Bits(v).ToString(CultureInfo.InvariantCulture)));
            Assert.True(expected == lines[s + 1], $"step {s}: expected {expected}, got {lines[s + 1]}");
        }
    }
}

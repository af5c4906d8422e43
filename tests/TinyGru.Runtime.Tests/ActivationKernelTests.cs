using System.Runtime.Intrinsics;
using TinyGru.Kernels;
using Xunit;

namespace TinyGru.Runtime.Tests;

/// <summary>Exp, Sigmoid and Tanh on every width against double-precision Math, over a dense sweep and the edges.</summary>
public class ActivationKernelTests
{
    private static IEnumerable<float> Sweep()
    {
        for (double x = -100; x <= 100; x += 0.0137) yield return (float)x;
        foreach (var x in new[] { 0f, -0f, 1e-30f, -1e-30f, 1e-7f, 87f, 88f, -87f, 88.5f, -90f, 1e30f, -1e30f, float.MaxValue, float.MinValue }) yield return x;
    }

    private delegate float Kernel(float x);

    private static readonly (string Name, Kernel Scalar, Func<Vector128<float>, Vector128<float>> V128, Func<Vector256<float>, Vector256<float>> V256, Func<Vector512<float>, Vector512<float>> V512)[] Kernels =
    {
        ("exp", Exp.Scalar, Exp.V128, Exp.V256, Exp.V512),
        ("sigmoid", Sigmoid.Scalar, Sigmoid.V128, Sigmoid.V256, Sigmoid.V512),
        ("tanh", Tanh.Scalar, Tanh.V128, Tanh.V256, Tanh.V512),
    };

    private static double Exact(string name, double x) => name switch
    {
        "exp" => Math.Exp(Math.Clamp(x, -87, 88)),
        "sigmoid" => 1 / (1 + Math.Exp(-x)),
        _ => Math.Tanh(x),
    };

    [Fact]
    public void ExpIsWithin3e7Relative()
    {
        foreach (float x in Sweep())
        {
            double exact = Exact("exp", x);
            double error = Math.Abs(Exp.Scalar(x) - exact) / exact;
            Assert.True(error <= 3e-7, $"exp({x}) = {Exp.Scalar(x)}, exact {exact}, relative error {error:G3}");
        }
    }

    [Theory]
    [InlineData("sigmoid", 2e-7)]
    [InlineData("tanh", 4e-7)]
    public void SigmoidAndTanhAreWithinAbsoluteBounds(string name, double bound)
    {
        var kernel = Kernels.Single(k => k.Name == name).Scalar;
        foreach (float x in Sweep())
        {
            double error = Math.Abs(kernel(x) - Exact(name, x));
            Assert.True(error <= bound, $"{name}({x}) = {kernel(x)}, exact {Exact(name, x)}, error {error:G3}");
        }
    }

    [Fact]
    public void EveryWidthAgreesWithScalarInEveryLane()
    {
        var xs = Sweep().ToArray();
        foreach (var k in Kernels)
        {
            for (int i = 0; i + 16 <= xs.Length; i += 16)
            {
                var lanes = xs.AsSpan(i, 16);
                var v128 = k.V128(Vector128.Create(lanes[..4]));
                var v256 = k.V256(Vector256.Create(lanes[..8]));
                var v512 = k.V512(Vector512.Create(lanes));
                for (int j = 0; j < 16; j++)
                {
                    float s = k.Scalar(lanes[j]);
                    float tolerance = 8e-7f * Math.Max(1f, Math.Abs(s)); // each within its 4e-7 bound of exact; fused vs unfused FMA
                    if (j < 4) Assert.True(Math.Abs(v128[j] - s) <= tolerance, $"{k.Name} V128 lane {j} of {lanes[j]}: {v128[j]} vs {s}");
                    if (j < 8) Assert.True(Math.Abs(v256[j] - s) <= tolerance, $"{k.Name} V256 lane {j} of {lanes[j]}: {v256[j]} vs {s}");
                    Assert.True(Math.Abs(v512[j] - s) <= tolerance, $"{k.Name} V512 lane {j} of {lanes[j]}: {v512[j]} vs {s}");
                }
            }
        }
    }

    [Fact]
    public void TanhIsOddAndSaturates()
    {
        foreach (float x in Sweep()) Assert.Equal(-Tanh.Scalar(x), Tanh.Scalar(-x));
        Assert.InRange(Tanh.Scalar(50f), 1f - 4e-7f, 1f);
        Assert.InRange(Sigmoid.Scalar(-1e30f), 0f, 2e-7f);
        Assert.InRange(Sigmoid.Scalar(1e30f), 1f - 2e-7f, 1f);
        Assert.Equal(1f, Exp.Scalar(0f));
    }
}

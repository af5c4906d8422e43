using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
namespace TinyGru.Training;

/// <summary>Which optimizer updates the parameters.</summary>
public enum OptimizerKind
{
    /// <summary>Adam; a weight decay is added to the gradient (L2, PyTorch <c>Adam(weight_decay=…)</c>).</summary>
    Adam,
    /// <summary>AdamW: decoupled weight decay (PyTorch <c>AdamW</c>).</summary>
    AdamW,
}

/// <summary>Adam and AdamW with PyTorch's defaults and update formulas (β = 0.9, 0.999; ε = 1e-8; bias-corrected).</summary>
internal sealed class AdamOptimizer
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    private readonly OptimizerKind _kind;
    private readonly float _weightDecay;
    private readonly float[] _m;
    private readonly float[] _v;
    private int _step;

    public AdamOptimizer(OptimizerKind kind, float weightDecay, int parameterCount)
    {
        _kind = kind;
        _weightDecay = weightDecay;
        _m = new float[parameterCount];
        _v = new float[parameterCount];
    }

    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradient"/> at learning rate <paramref name="lr"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(float[] parameters, float[] gradient, double lr)
    {
        _step++;
        float b1 = (float)Beta1, b2 = (float)Beta2;
        float stepSize = (float)(lr / (1 - Math.Pow(Beta1, _step)));
        float correction2 = (float)Math.Sqrt(1 - Math.Pow(Beta2, _step));
        float decay = _kind == OptimizerKind.AdamW ? 1 - (float)(lr * _weightDecay) : 1;
        float l2 = _kind == OptimizerKind.Adam ? _weightDecay : 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The same update, 8 parameters at a time.
            for (; i + 8 <= parameters.Length; i += 8)
            {
                var p = Vector256.Create(parameters.AsSpan(i, 8));
                var g = Vector256.Create(gradient.AsSpan(i, 8)) + l2 * p;
                var m = b1 * Vector256.Create(_m.AsSpan(i, 8)) + (1 - b1) * g;
                var v = b2 * Vector256.Create(_v.AsSpan(i, 8)) + (1 - b2) * g * g;
                m.CopyTo(_m.AsSpan(i, 8));
                v.CopyTo(_v.AsSpan(i, 8));
                (p * decay - stepSize * m / (Vector256.Sqrt(v) / correction2 + Vector256.Create((float)Epsilon))).CopyTo(parameters.AsSpan(i, 8));
            }
        }
        for (; i < parameters.Length; i++)
        {
            float p = parameters[i] * decay;
            float g = gradient[i] + l2 * parameters[i];
            float m = _m[i] = b1 * _m[i] + (1 - b1) * g;
            float v = _v[i] = b2 * _v[i] + (1 - b2) * g * g;
            parameters[i] = p - stepSize * m / (MathF.Sqrt(v) / correction2 + (float)Epsilon);
        }
    }
}

/// <summary>How the learning rate changes over epochs.</summary>
public enum ScheduleKind
{
    /// <summary>Constant.</summary>
    Constant,
    /// <summary>Cosine annealing from the initial rate to 0 over all epochs (PyTorch <c>CosineAnnealingLR</c>, T_max = epochs).</summary>
    Cosine,
    /// <summary>Multiplied by γ every <c>StepSize</c> epochs (PyTorch <c>StepLR</c>).</summary>
    Step,
}

/// <summary>The learning rate of an epoch.</summary>
public static class LearningRateSchedule
{
    /// <summary>The rate for 0-based <paramref name="epoch"/> of <paramref name="epochs"/>.</summary>
    public static double At(ScheduleKind kind, double lr, int epoch, int epochs, int stepSize, double gamma) => kind switch
    {
        ScheduleKind.Cosine => 0.5 * lr * (1 + Math.Cos(Math.PI * epoch / epochs)),
        ScheduleKind.Step => lr * Math.Pow(gamma, epoch / Math.Max(1, stepSize)),
        _ => lr,
    };
}

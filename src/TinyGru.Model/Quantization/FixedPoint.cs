namespace TinyGru.Model.Quantization;

/// <summary>
/// One requantization step of the integer-only scheme: an int32 accumulator → a Q.12 pre-activation,
/// <c>((clamp(acc &gt;&gt; PreShift, ±524287) · Multiplier) + 2^(Shift−1)) &gt;&gt; Shift</c>, every operation in int32.
/// </summary>
public readonly struct Requantization : IEquatable<Requantization>
{
    /// <summary>Creates a step; see <see cref="FixedPoint.TryRequantizationFor"/> for how the numbers are chosen.</summary>
    public Requantization(int preShift, int multiplier, int shift)
    {
        PreShift = preShift;
        Multiplier = multiplier;
        Shift = shift;
    }

    /// <summary>Arithmetic right shift applied to the accumulator first (0 … 31).</summary>
    public int PreShift { get; }

    /// <summary>12-bit multiplier, 2048 … 4095 (0 for an all-zero row).</summary>
    public int Multiplier { get; }

    /// <summary>Rounding right shift applied last (4 … 13).</summary>
    public int Shift { get; }

    /// <summary>The real number this step multiplies by: Multiplier · 2^−(PreShift + Shift).</summary>
    public double Value => Multiplier * Math.Pow(2, -(PreShift + Shift));

    /// <inheritdoc />
    public bool Equals(Requantization other) => PreShift == other.PreShift && Multiplier == other.Multiplier && Shift == other.Shift;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Requantization r && Equals(r);

    /// <inheritdoc />
    public override int GetHashCode() => (PreShift * 397 ^ Multiplier) * 397 ^ Shift;
}

/// <summary>
/// The integer arithmetic of TinyGru's integer-only int8 scheme, specified in docs/quantization.md. Every target
/// (the reference engine, generated .NET code, generated nanoFramework code) performs exactly these operations,
/// so all of them produce the same bits. Only int32 arithmetic is used: shifts are arithmetic (floor) and no
/// intermediate value can overflow, by the bounds stated next to each function.
/// </summary>
public static class FixedPoint
{
    /// <summary>Fraction bits of gate pre-activations and head logits (Q.12: 4096 = 1.0).</summary>
    public const int PreActivationBits = 12;

    /// <summary>Fraction bits of the hidden state and of r, z, n (Q0.15: 32768 = 1.0, values within ±32767).</summary>
    public const int StateBits = 15;

    /// <summary>1.0 in Q.12.</summary>
    public const int OneQ12 = 1 << PreActivationBits;

    /// <summary>Largest |acc &gt;&gt; PreShift| kept by <see cref="Requantize"/>: 2^19 − 1, so that · 4095 + 2^12 stays below 2^31.</summary>
    public const int PreShiftedLimit = (1 << 19) - 1;

    /// <summary>Largest |U_n·h + b_hn| (Q.12) multiplied by r in reset-after layers: 65535 · 32767 + 2^14 &lt; 2^31.</summary>
    public const int ResetProductLimit = 65535;

    /// <summary>Largest |bias| in Q.12 (2^27, i.e. ±32768.0).</summary>
    public const int BiasLimit = 1 << 27;

    /// <summary>Smallest and largest <see cref="Requantization.Shift"/>.</summary>
    public const int MinShift = 4, MaxShift = 13;

    /// <summary>
    /// Largest hidden size the integer-only scheme accepts: every accumulator of int8 weights times Q0.15 values
    /// is bounded by H·127·32767 = 2,130,641,408 &lt; 2^31 − 1 for H = 512.
    /// </summary>
    public const int MaxHiddenSize = 512;

    /// <summary>Table step: 1/64 (2^6 Q.12 units).</summary>
    public const int TableStepBits = 6;

    /// <summary>
    /// acc (int32) → Q.12: <c>t = clamp(acc &gt;&gt; PreShift, ±524287); (t · m + 2^(s−1)) &gt;&gt; s</c>.
    /// |t · m| ≤ 524287 · 4095 = 2,146,955,265 and the rounding term ≤ 2^12, so the sum stays below 2^31 − 1;
    /// the result is within ±2^27 because s ≥ 4.
    /// </summary>
    public static int Requantize(int acc, Requantization q)
    {
        int t = acc >> q.PreShift;
        if (t > PreShiftedLimit) t = PreShiftedLimit;
        else if (t < -PreShiftedLimit) t = -PreShiftedLimit;
        return (t * q.Multiplier + (1 << (q.Shift - 1))) >> q.Shift;
    }

    /// <summary>
    /// tanh of a Q.12 value (|x| &lt; 2^30) as Q0.15 in [−32767, 32767]: the 513-entry table over [0, 8] with linear
    /// interpolation, odd symmetry, 32767 beyond 8. Error ≤ 1.6 LSB (5e-5).
    /// </summary>
    public static int Tanh(int x)
    {
        int a = x < 0 ? -x : x;
        int y;
        if (a >= 8 * OneQ12) y = 32767;
        else
        {
            int i = a >> TableStepBits, f = a & ((1 << TableStepBits) - 1);
            int t0 = FixedPointTables.Tanh[i];
            y = t0 + (((FixedPointTables.Tanh[i + 1] - t0) * f + 32) >> TableStepBits);
        }
        return x < 0 ? -y : y;
    }

    /// <summary>
    /// σ of a Q.12 value as Q0.15 in [0, 32767]: σ(x) = ½ + ½·tanh(x/2), i.e. (Tanh(x &gt;&gt; 1) + 32768) &gt;&gt; 1.
    /// Error ≤ 3 LSB (9e-5), most of it from dropping x's lowest bit.
    /// </summary>
    public static int Sigmoid(int x) => (Tanh(x >> 1) + 32768) >> 1;

    /// <summary>
    /// |pre| beyond which both hard sigmoids are saturated, in Q.12 (±4.0): Keras 2 saturates at ±2.5, Keras 3 at ±3.
    /// Clamping the pre-activation here first keeps the product below 2^31 (16384 · 52429 &lt; 2^30).
    /// </summary>
    public const int HardSigmoidInputLimit = 1 << 14;

    /// <summary>
    /// The hard sigmoid's slope from Q.12 to Q0.15 in Q.15: Keras 2's 0.2 · 8 = 1.6 → 52429 (1.6000061),
    /// Keras 3's 8/6 → 43691 (1.3333435). 0 for the logistic sigmoid, which is not piecewise linear.
    /// </summary>
    public static int HardSigmoidSlope(GateActivation activation) => activation switch
    {
        GateActivation.HardSigmoidKeras2 => 52429,
        GateActivation.HardSigmoidKeras3 => 43691,
        _ => 0,
    };

    /// <summary>
    /// A hard-sigmoid gate of a Q.12 pre-activation as Q0.15 in [0, 32767]:
    /// <c>p = clamp(pre, ±16384); y = clamp(16384 + ((p · slope + 2^14) &gt;&gt; 15), 0, 32767)</c> with slope
    /// <see cref="HardSigmoidSlope"/> (Keras 2: clip(0.2x + 0.5, 0, 1); Keras 3: clip(x/6 + 0.5, 0, 1)). The product is
    /// rounded half up; the result is within 0.7 LSB (2e-5) of the exact function of the Q.12 input.
    /// </summary>
    public static int HardSigmoid(int pre, int slope)
    {
        int p = pre > HardSigmoidInputLimit ? HardSigmoidInputLimit : pre < -HardSigmoidInputLimit ? -HardSigmoidInputLimit : pre;
        int y = (1 << 14) + ((p * slope + (1 << 14)) >> 15);
        return y > 32767 ? 32767 : y < 0 ? 0 : y;
    }

    /// <summary>
    /// The reset/update gate on a Q.12 pre-activation, as Q0.15: the sigmoid for <paramref name="slope"/> 0, else the
    /// hard sigmoid of that <see cref="HardSigmoidSlope"/>.
    /// </summary>
    public static int Gate(int pre, int slope) => slope == 0 ? Sigmoid(pre) : HardSigmoid(pre, slope);

    /// <summary>Largest |value| of a relu/none hidden dense layer's output (int16 range, so it feeds the int8 kernels like a Q0.15 state).</summary>
    public const int DenseOutputLimit = 32767;

    /// <summary>
    /// A relu/none hidden dense layer's output from its requantized accumulator plus bias: saturated to ±32767 (relu:
    /// 0 … 32767). The layer's scale comes from a bound on its inputs and weights, so the saturation only guards the
    /// few units of rounding above that bound (docs/quantization.md).
    /// </summary>
    public static int DenseOutput(int pre, bool relu)
    {
        int lower = relu ? 0 : -DenseOutputLimit;
        return pre > DenseOutputLimit ? DenseOutputLimit : pre < lower ? lower : pre;
    }

    /// <summary>exp of a Q.12 value x ≤ 0 as Q0.15 in [0, 32767]: table over [−8, 0], 0 below −8 (exp(−8) = 3.4e-4).</summary>
    public static int Exp(int x)
    {
        int a = -x;
        if (a >= 8 * OneQ12) return 0;
        int i = a >> TableStepBits, f = a & ((1 << TableStepBits) - 1);
        int t0 = FixedPointTables.Exp[i];
        return t0 + (((FixedPointTables.Exp[i + 1] - t0) * f + 32) >> TableStepBits);
    }

    /// <summary>(a · b + 2^14) &gt;&gt; 15: the product of two Q0.15 values, or of Q0.15 and Q.12 (|a · b| &lt; 2^31 − 2^14).</summary>
    public static int MultiplyQ15(int a, int b) => (a * b + (1 << 14)) >> 15;

    /// <summary>Saturates <paramref name="x"/> to ±<paramref name="limit"/>.</summary>
    public static int Clamp(int x, int limit) => x > limit ? limit : x < -limit ? -limit : x;

    /// <summary>
    /// Quantizes one normalized input value u (already multiplied by 1/scale) to int8: round half away from zero,
    /// add the zero point, saturate to [−128, 127]. NaN maps to −128. Pure float32 comparisons, additions and a
    /// truncating conversion, which every IEEE target computes identically.
    /// </summary>
    public static int QuantizeInput(float u, int zeroPoint)
    {
        if (!(u > -255f)) u = -255f;
        if (u > 255f) u = 255f;
        int q = u >= 0f ? (int)(u + 0.5f) : -(int)(0.5f - u);
        q += zeroPoint;
        return q > 127 ? 127 : q < -128 ? -128 : q;
    }

    /// <summary>
    /// The requantization step for a real multiplier M = weight scale · input scale · 4096: M = m · 2^−e with
    /// m ∈ [2048, 4096) rounded to an integer, s = min(e, 13) and PreShift = e − s. s ≤ 13 keeps at least ±32.0 of
    /// pre-activation range before the clamp; PreShift only drops accumulator bits finer than that range needs.
    /// Returns false when M is too large (e &lt; 4), which needs weight · input scales ≥ 1/16.
    /// </summary>
    public static bool TryRequantizationFor(double multiplier, out Requantization result)
    {
        result = new Requantization(0, 0, MinShift);
        if (multiplier == 0) return true;
        if (!(multiplier > 0) || double.IsInfinity(multiplier)) return false;
        int e = 0;
        double m = multiplier;
        while (m < 2048) { m *= 2; e++; }
        while (m >= 4096) { m /= 2; e--; }
        int mi = (int)Math.Round(m, MidpointRounding.AwayFromZero);
        if (mi == 4096) { mi = 2048; e--; }
        if (e < MinShift) return false;
        int s = Math.Min(e, MaxShift), pre = e - s;
        if (pre > 31) return true; // contributes less than 2^-19 of one Q.12 unit: a zero row in effect
        result = new Requantization(pre, mi, s);
        return true;
    }

    /// <summary>Bias in Q.12, rounded half away from zero; false when |b| ≥ 32768.</summary>
    public static bool TryBiasQ12(double bias, out int result)
    {
        double v = Math.Round(bias * OneQ12, MidpointRounding.AwayFromZero);
        if (!(Math.Abs(v) < BiasLimit)) { result = 0; return false; }
        result = (int)v;
        return true;
    }
}

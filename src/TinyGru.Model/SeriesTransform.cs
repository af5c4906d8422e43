using System.Globalization;

namespace TinyGru.Model;

/// <summary>
/// How a forecasting model turns raw series values into what its network sees and back (format version 3,
/// docs/forecasting.md). Differenced inputs: the network sees x_t − x_{t−1} for those features, so the previous
/// raw input is part of the recurrent state (TinyGru.Runtime's SeriesTransformState); the first step after a reset has no
/// previous value and sees a change of 0. Residual outputs: the network forecasts the change of a target, and the
/// model returns that change plus the target's raw value at the current step (the last observed value). Input
/// normalization then applies to the changes and output scaling to the predicted change.
/// </summary>
public sealed class SeriesTransform
{
    /// <summary>
    /// Creates a transform. <paramref name="differencedInputs"/> [I]: true for features fed as changes.
    /// <paramref name="residualInputs"/> [O]: for each output, the input feature whose raw value at the current step is
    /// added to it, or −1 for an output returned as is. Arrays are owned afterwards and must not be changed.
    /// </summary>
    public SeriesTransform(bool[] differencedInputs, int[] residualInputs)
    {
        DifferencedInputs = differencedInputs ?? throw new ArgumentNullException(nameof(differencedInputs));
        ResidualInputs = residualInputs ?? throw new ArgumentNullException(nameof(residualInputs));
    }

    /// <summary>[I] true for the features the network sees as changes from the previous step.</summary>
    public bool[] DifferencedInputs { get; }

    /// <summary>[O] the input feature added back to each output (residual forecast), or −1.</summary>
    public int[] ResidualInputs { get; }

    /// <summary>True when any input is differenced (the transform then carries state).</summary>
    public bool DifferencesInputs => Array.IndexOf(DifferencedInputs, true) >= 0;

    /// <summary>True when any output is a residual forecast.</summary>
    public bool IsResidual => ResidualInputs.Any(i => i >= 0);

    /// <summary>Floats of transform state: the previous raw input [I] and a has-previous flag, when inputs are differenced.</summary>
    public int StateSize => DifferencesInputs ? DifferencedInputs.Length + 1 : 0;

    /// <summary>The usual transform for forecasting targets that are also features: every input differenced, every output the change of its target feature.</summary>
    public static SeriesTransform Difference(int inputSize, int[] targetFeatures) =>
        new(Enumerable.Repeat(true, inputSize).ToArray(), (int[])targetFeatures.Clone());

    /// <summary>Throws <see cref="ModelFormatException"/> unless the transform fits a model of <paramref name="inputs"/> inputs and <paramref name="outputs"/> outputs.</summary>
    public void Validate(int inputs, int outputs)
    {
        if (DifferencedInputs.Length != inputs)
            throw new ModelFormatException(null, "series transform", $"{DifferencedInputs.Length} differenced-input flags for a model of {inputs} inputs");
        if (ResidualInputs.Length != outputs)
            throw new ModelFormatException(null, "series transform", $"{ResidualInputs.Length} residual entries for a model of {outputs} outputs");
        foreach (int r in ResidualInputs)
            if (r < -1 || r >= inputs)
                throw new ModelFormatException(null, "series transform", $"residual input {r} is not a feature index below {inputs} (or −1)");
        if (!DifferencesInputs && !IsResidual) throw new ModelFormatException(null, "series transform", "neither differences inputs nor adds back a target; leave it out");
    }

    /// <summary>Metadata text of <see cref="DifferencedInputs"/>: the 0-based differenced feature indices, comma-separated.</summary>
    public string DifferencedText() => string.Join(",", DifferencedInputs.Select((d, i) => (d, i)).Where(p => p.d).Select(p => p.i.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Metadata text of <see cref="ResidualInputs"/>: one feature index (or −1) per output, comma-separated.</summary>
    public string ResidualText() => string.Join(",", ResidualInputs.Select(i => i.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A short description for inspect and training output.</summary>
    public string Describe() =>
        (DifferencesInputs ? "inputs differenced (x_t − x_{t−1})" : "levels in") + ", " +
        (IsResidual ? "forecast = last value + predicted change" : "levels out");

    /// <summary>Parses the two metadata texts; null and an error message when they are malformed.</summary>
    public static SeriesTransform? Parse(string? differenced, string? residual, int inputs, int outputs, out string? error)
    {
        error = null;
        var flags = new bool[inputs];
        foreach (var part in (differenced ?? "").Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int i) || i >= inputs)
            {
                error = $"differenced input '{part.Trim()}' is not a feature index below {inputs}";
                return null;
            }
            flags[i] = true;
        }
        var adds = Enumerable.Repeat(-1, outputs).ToArray();
        if (residual is not null)
        {
            var parts = residual.Split(',');
            if (parts.Length != outputs)
            {
                error = $"has {parts.Length} residual entries; expected one per output ({outputs})";
                return null;
            }
            for (int o = 0; o < outputs; o++)
                if (!int.TryParse(parts[o].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out adds[o]) || adds[o] < -1 || adds[o] >= inputs)
                {
                    error = $"residual entry '{parts[o].Trim()}' is not −1 or a feature index below {inputs}";
                    return null;
                }
        }
        return new SeriesTransform(flags, adds);
    }
}

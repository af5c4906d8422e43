using System.Globalization;

namespace TinyGru.Model;

/// <summary>
/// How a forecasting model turns raw series values into what its network sees and back (format version 3; a
/// <see cref="Season"/> is version 4; docs/forecasting.md). Differenced inputs: the network sees x_t − x_{t−1} for those
/// features, or with a season of m steps the change minus the same change one season before,
/// (x_t − x_{t−1}) − (x_{t−m} − x_{t−m−1}); the raw inputs this needs (the previous one, or the last m + 1) are part of
/// the recurrent state (TinyGru.Runtime's SeriesTransformState), and a step with fewer of them since a reset sees a
/// change of 0. Residual outputs: the network forecasts the change of a target from a base, and the model returns that
/// change plus the base: the target's raw value at the current step y_t (the last observed value), or with a season
/// y_t + y_{t−k} − y_{t−m} with k = <see cref="ResidualDelay"/> (= m − h: the last value plus the change over the
/// same h steps one season before). Input normalization then applies to the changes and output scaling to the predicted change.
/// </summary>
public sealed class SeriesTransform
{
    /// <summary>
    /// Creates a transform. <paramref name="differencedInputs"/> [I]: true for features fed as changes.
    /// <paramref name="residualInputs"/> [O]: for each output, the input feature whose raw value at the current step is
    /// added to it, or −1 for an output returned as is. Arrays are owned afterwards and must not be changed.
    /// </summary>
    /// <param name="differencedInputs">[I] true for features fed as changes.</param>
    /// <param name="residualInputs">[O] the feature added back to each output, or −1.</param>
    /// <param name="season">m ≥ 2 for seasonal differencing (the change minus the change one season before), 0 for plain differencing.</param>
    /// <param name="residualDelay">k, 0 … m − 1 (m − h for a forecast h steps ahead): with a season, the base added back is y_t + y_{t−k} − y_{t−m}; 0 without one.</param>
    public SeriesTransform(bool[] differencedInputs, int[] residualInputs, int season = 0, int residualDelay = 0)
    {
        DifferencedInputs = differencedInputs ?? throw new ArgumentNullException(nameof(differencedInputs));
        ResidualInputs = residualInputs ?? throw new ArgumentNullException(nameof(residualInputs));
        Season = season;
        ResidualDelay = residualDelay;
    }

    /// <summary>The longest season a transform may have (two years of hourly data).</summary>
    public const int MaxSeason = 24 * 366 * 2;

    /// <summary>m: the season length in steps for seasonal differencing, or 0.</summary>
    public int Season { get; }

    /// <summary>k: with a season, the residual base is y_t + y_{t−k} − y_{t−m}; 0 without one.</summary>
    public int ResidualDelay { get; }

    /// <summary>True for seasonal differencing (format version 4).</summary>
    public bool IsSeasonal => Season != 0;

    /// <summary>Raw inputs the state keeps: 1 (the previous one), or m + 1 with a season; 0 when it keeps none.</summary>
    public int History => !(DifferencesInputs || (IsResidual && IsSeasonal)) ? 0 : IsSeasonal ? Season + 1 : 1;

    /// <summary>[I] true for the features the network sees as changes from the previous step.</summary>
    public bool[] DifferencedInputs { get; }

    /// <summary>[O] the input feature added back to each output (residual forecast), or −1.</summary>
    public int[] ResidualInputs { get; }

    /// <summary>True when any input is differenced (the transform then carries state).</summary>
    public bool DifferencesInputs => Array.IndexOf(DifferencedInputs, true) >= 0;

    /// <summary>True when any output is a residual forecast.</summary>
    public bool IsResidual => ResidualInputs.Any(i => i >= 0);

    /// <summary>
    /// Floats of transform state: the last <see cref="History"/> raw inputs [History, I], most recent first, and how many
    /// of them are filled (for plain differencing: [previous input, has-previous 1 or 0]); 0 without history.
    /// </summary>
    public int StateSize => History == 0 ? 0 : History * DifferencedInputs.Length + 1;

    /// <summary>The usual transform for forecasting targets that are also features: every input differenced, every output the change of its target feature.</summary>
    public static SeriesTransform Difference(int inputSize, int[] targetFeatures) =>
        new(Enumerable.Repeat(true, inputSize).ToArray(), (int[])targetFeatures.Clone());

    /// <summary>
    /// Seasonal differencing for a season of <paramref name="season"/> steps: every input (x_t − x_{t−1}) − (x_{t−m} − x_{t−m−1}),
    /// and every target that is a feature forecast <paramref name="horizon"/> steps ahead from the base
    /// y_t + y_{t+h−m} − y_{t−m} (the last value plus the change over the same h steps one season before). Needs h &lt; m.
    /// </summary>
    public static SeriesTransform Seasonal(int inputSize, int[] targetFeatures, int season, int horizon) =>
        new(Enumerable.Repeat(true, inputSize).ToArray(), (int[])targetFeatures.Clone(), season, season - horizon);

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
        if (Season != 0 && (Season < 2 || Season > MaxSeason)) throw new ModelFormatException(null, "series transform", $"season {Season} is not 0 (none) or from 2 to {MaxSeason}");
        if (Season == 0 ? ResidualDelay != 0 : ResidualDelay < 0 || ResidualDelay >= Season)
            throw new ModelFormatException(null, "series transform", Season == 0
                ? $"residual delay {ResidualDelay} without a season; it must be 0"
                : $"residual delay {ResidualDelay} is not from 0 to {Season - 1} (the season {Season} less 1)");
    }

    /// <summary>Metadata text of <see cref="DifferencedInputs"/>: the 0-based differenced feature indices, comma-separated.</summary>
    public string DifferencedText() => string.Join(",", DifferencedInputs.Select((d, i) => (d, i)).Where(p => p.d).Select(p => p.i.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Metadata text of <see cref="ResidualInputs"/>: one feature index (or −1) per output, comma-separated.</summary>
    public string ResidualText() => string.Join(",", ResidualInputs.Select(i => i.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A short description for inspect and training output.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        string m = Season.ToString(inv), m1 = (Season + 1).ToString(inv), k = ResidualDelay.ToString(inv);
        string inputs = !DifferencesInputs ? "levels in" : IsSeasonal ? $"inputs seasonally differenced ((x_t − x_{{t−1}}) − (x_{{t−{m}}} − x_{{t−{m1}}}))" : "inputs differenced (x_t − x_{t−1})";
        string outputs = !IsResidual ? "levels out" : IsSeasonal ? $"forecast = y_t + y_{{t−{k}}} − y_{{t−{m}}} + predicted change" : "forecast = last value + predicted change";
        return inputs + ", " + outputs;
    }

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

using TinyGru.Model;

namespace TinyGru.Runtime;

/// <summary>
/// The running state of a <see cref="SeriesTransform"/>: the previous raw input of the differenced features. Every
/// engine and the trainer's data path use this one implementation, so they feed the network the same values.
/// </summary>
public sealed class SeriesTransformState
{
    private readonly SeriesTransform _transform;
    private readonly float[] _previous;
    private bool _hasPrevious;

    /// <summary>A state after a reset.</summary>
    public SeriesTransformState(SeriesTransform transform)
    {
        _transform = transform ?? throw new ArgumentNullException(nameof(transform));
        _previous = new float[transform.DifferencedInputs.Length];
    }

    /// <summary>Forgets the previous input: the next step sees a change of 0.</summary>
    public void Reset()
    {
        Array.Clear(_previous);
        _hasPrevious = false;
    }

    /// <summary>
    /// What the network sees for <paramref name="raw"/> [I] (before input normalization): changes for differenced
    /// features (0 on the first step after a reset), the raw value otherwise; remembers <paramref name="raw"/>.
    /// </summary>
    public void Apply(ReadOnlySpan<float> raw, Span<float> network)
    {
        var d = _transform.DifferencedInputs;
        for (int i = 0; i < d.Length; i++)
            network[i] = !d[i] ? raw[i] : _hasPrevious ? raw[i] - _previous[i] : 0f;
        raw.CopyTo(_previous);
        _hasPrevious = true;
    }

    /// <summary>Adds the current step's raw target values to the residual outputs (in the user's units).</summary>
    public void AddBack(ReadOnlySpan<float> raw, Span<float> output)
    {
        var r = _transform.ResidualInputs;
        for (int o = 0; o < r.Length; o++)
            if (r[o] >= 0) output[o] += raw[r[o]];
    }

    /// <summary>Writes the state ([I] previous raw input, then 1 or 0 for has-previous) to <paramref name="destination"/> [<see cref="SeriesTransform.StateSize"/>].</summary>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length != _transform.StateSize) throw new ArgumentException($"expected {_transform.StateSize} floats of transform state, got {destination.Length}");
        if (destination.Length == 0) return;
        _previous.CopyTo(destination);
        destination[_previous.Length] = _hasPrevious ? 1 : 0;
    }

    /// <summary>Restores a state written by <see cref="CopyTo"/>.</summary>
    public void SetFrom(ReadOnlySpan<float> source)
    {
        if (source.Length != _transform.StateSize) throw new ArgumentException($"expected {_transform.StateSize} floats of transform state, got {source.Length}");
        if (source.Length == 0) return;
        source[.._previous.Length].CopyTo(_previous);
        _hasPrevious = source[_previous.Length] != 0;
    }
}

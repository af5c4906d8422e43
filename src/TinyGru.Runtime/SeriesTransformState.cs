using TinyGru.Model;

namespace TinyGru.Runtime;

/// <summary>
/// The running state of a <see cref="SeriesTransform"/>: the last <see cref="SeriesTransform.History"/> raw inputs (the
/// previous one for plain differencing, the last m + 1 for a season of m). Every engine and the trainer's data path use
/// this one implementation, so they feed the network the same values.
/// </summary>
public sealed class SeriesTransformState
{
    private readonly SeriesTransform _transform;
    private readonly int _inputs;
    private readonly int _depth;
    // Ring of the last _depth raw inputs [depth, I]: slot _newest holds the most recent, slot (_newest + j) mod depth the one j steps earlier.
    private readonly float[] _history;
    private int _newest;
    private int _filled;

    /// <summary>A state after a reset.</summary>
    public SeriesTransformState(SeriesTransform transform)
    {
        _transform = transform ?? throw new ArgumentNullException(nameof(transform));
        _inputs = transform.DifferencedInputs.Length;
        _depth = Math.Max(1, transform.History);
        _history = new float[_depth * _inputs];
    }

    /// <summary>Forgets the earlier inputs: the next steps see changes of 0 until enough of them are known again.</summary>
    public void Reset()
    {
        Array.Clear(_history);
        _newest = 0;
        _filled = 0;
    }

    /// <summary>The raw input <paramref name="j"/> steps before the newest remembered one (j &lt; filled).</summary>
    private ReadOnlySpan<float> Earlier(int j) => _history.AsSpan((_newest + j) % _depth * _inputs, _inputs);

    /// <summary>
    /// What the network sees for <paramref name="raw"/> [I] (before input normalization): for differenced features the
    /// change x_t − x_{t−1}, or with a season m (x_t − x_{t−1}) − (x_{t−m} − x_{t−m−1}) — 0 while fewer earlier steps are
    /// known; the raw value otherwise. Remembers <paramref name="raw"/> as the most recent input.
    /// </summary>
    public void Apply(ReadOnlySpan<float> raw, Span<float> network)
    {
        var d = _transform.DifferencedInputs;
        int m = _transform.Season;
        bool ready = _filled == _depth;        // every earlier input the change needs is known
        for (int i = 0; i < d.Length; i++)
        {
            if (!d[i]) network[i] = raw[i];
            else if (!ready) network[i] = 0f;
            else network[i] = m == 0 ? raw[i] - Earlier(0)[i] : (raw[i] - Earlier(0)[i]) - (Earlier(m - 1)[i] - Earlier(m)[i]);
        }
        // The new input replaces the oldest slot.
        _newest = (_newest + _depth - 1) % _depth;
        raw.CopyTo(_history.AsSpan(_newest * _inputs, _inputs));
        if (_filled < _depth) _filled++;
    }

    /// <summary>
    /// Adds each residual output's base to it (in the user's units): the current raw target value y_t
    /// (<paramref name="raw"/>), or with a season y_t + y_{t−k} − y_{t−m} once m earlier steps are known (y_t before).
    /// Call after <see cref="Apply"/> of the same step.
    /// </summary>
    public void AddBack(ReadOnlySpan<float> raw, Span<float> output)
    {
        var r = _transform.ResidualInputs;
        int m = _transform.Season, k = _transform.ResidualDelay;
        bool seasonal = m != 0 && _filled > m;
        for (int o = 0; o < r.Length; o++)
        {
            int f = r[o];
            if (f < 0) continue;
            output[o] += seasonal ? raw[f] + (Earlier(k)[f] - Earlier(m)[f]) : raw[f];
        }
    }

    /// <summary>
    /// Writes the state to <paramref name="destination"/> [<see cref="SeriesTransform.StateSize"/>]: the remembered raw
    /// inputs, most recent first, then how many of them are filled (plain differencing: [previous input, has-previous 1 or 0]).
    /// </summary>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length != _transform.StateSize) throw new ArgumentException($"expected {_transform.StateSize} floats of transform state, got {destination.Length}");
        if (destination.Length == 0) return;
        for (int j = 0; j < _depth; j++)
            _history.AsSpan((_newest + j) % _depth * _inputs, _inputs).CopyTo(destination.Slice(j * _inputs, _inputs));
        destination[_depth * _inputs] = _filled;
    }

    /// <summary>Restores a state written by <see cref="CopyTo"/>.</summary>
    public void SetFrom(ReadOnlySpan<float> source)
    {
        if (source.Length != _transform.StateSize) throw new ArgumentException($"expected {_transform.StateSize} floats of transform state, got {source.Length}");
        if (source.Length == 0) return;
        float filled = source[_depth * _inputs];
        if (!(filled >= 0 && filled <= _depth) || filled != MathF.Floor(filled))
            throw new ArgumentException($"the filled count {filled} of the transform state is not a whole number from 0 to {_depth}");
        source[..(_depth * _inputs)].CopyTo(_history);
        _newest = 0;
        _filled = (int)filled;
    }
}

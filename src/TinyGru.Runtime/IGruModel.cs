namespace TinyGru;

/// <summary>
/// A streaming GRU model: generated models and <see cref="Runtime.GruReferenceEngine"/> implement it, so code can be
/// written once for any of them (as a generic constraint, which avoids boxing generated structs).
/// </summary>
public interface IGruModel
{
    /// <summary>Advances one timestep: <paramref name="input"/> [I] → <paramref name="output"/> [O].</summary>
    void Step(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>Sets the recurrent state to zero.</summary>
    void Reset();

    /// <summary>Runs a [T, I] sequence from the current state into [T, O] outputs.</summary>
    void Run(ReadOnlySpan<float> sequence, Span<float> outputs);
}

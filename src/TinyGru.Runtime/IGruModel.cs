namespace TinyGru;

/// <summary>
/// A streaming GRU model: generated models and the reference engines implement it, so code can be written once for
/// any of them (as a generic constraint, which avoids boxing generated structs).
/// </summary>
public interface IGruModel
{
    /// <summary>Input features per step (I): the length <see cref="Step"/> expects of its input.</summary>
    int InputSize { get; }

    /// <summary>Outputs per step (O): the length <see cref="Step"/> expects of its output.</summary>
    int OutputSize { get; }

    /// <summary>Advances one timestep: <paramref name="input"/> [I] → <paramref name="output"/> [O].</summary>
    void Step(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>Sets the recurrent state to zero.</summary>
    void Reset();

    /// <summary>Runs a [T, I] sequence from the current state into [T, O] outputs.</summary>
    void Run(ReadOnlySpan<float> sequence, Span<float> outputs);
}

namespace TinyGru.Training;

/// <summary>Which timesteps carry a target.</summary>
public enum TargetTiming
{
    /// <summary>Sequence-to-one: one target per sequence, for the last step's output.</summary>
    LastStep,
    /// <summary>Sequence-to-sequence: one target per timestep.</summary>
    EveryStep,
}

/// <summary>
/// Training examples in the network's (normalized) units: N sequences of T steps of I features, and their
/// targets — real values [N, T?, O] for MSE and BCE, or class indices [N, T?] for cross-entropy.
/// </summary>
public sealed class SequenceSet
{
    /// <summary>Creates a set; exactly one of <paramref name="targets"/> and <paramref name="labels"/> is given.</summary>
    public SequenceSet(int steps, int inputSize, float[] inputs, TargetTiming timing, int outputSize, float[]? targets, int[]? labels)
    {
        if (steps < 1 || inputSize < 1 || outputSize < 1) throw new ArgumentOutOfRangeException(nameof(steps), "steps, input size and output size must be at least 1");
        if (inputs is null || inputs.Length % (steps * inputSize) != 0)
            throw new ArgumentException($"inputs must hold N·{steps}·{inputSize} values", nameof(inputs));
        if ((targets is null) == (labels is null)) throw new ArgumentException("give either real-valued targets or class labels");
        Steps = steps;
        InputSize = inputSize;
        Inputs = inputs;
        Timing = timing;
        OutputSize = outputSize;
        Targets = targets;
        Labels = labels;
        Count = inputs.Length / (steps * inputSize);
        int perSequence = TargetsPerSequence;
        if (targets is not null && targets.Length != Count * perSequence * outputSize)
            throw new ArgumentException($"targets must hold {Count}·{perSequence}·{outputSize} values, got {targets.Length}", nameof(targets));
        if (labels is not null)
        {
            if (labels.Length != Count * perSequence)
                throw new ArgumentException($"labels must hold {Count}·{perSequence} values, got {labels.Length}", nameof(labels));
            foreach (int l in labels)
                if (l < 0 || l >= outputSize) throw new ArgumentOutOfRangeException(nameof(labels), $"label {l} is not a class index below {outputSize}");
        }
    }

    /// <summary>Number of sequences N.</summary>
    public int Count { get; }

    /// <summary>Timesteps per sequence T.</summary>
    public int Steps { get; }

    /// <summary>Features per timestep I.</summary>
    public int InputSize { get; }

    /// <summary>[N, T, I] sequence-major.</summary>
    public float[] Inputs { get; }

    /// <summary>Which steps carry targets.</summary>
    public TargetTiming Timing { get; }

    /// <summary>Network outputs O (the number of classes for cross-entropy).</summary>
    public int OutputSize { get; }

    /// <summary>[N, T?, O] real targets, or null when <see cref="Labels"/> is used.</summary>
    public float[]? Targets { get; }

    /// <summary>[N, T?] class indices, or null.</summary>
    public int[]? Labels { get; }

    /// <summary>1 for sequence-to-one, T for sequence-to-sequence.</summary>
    public int TargetsPerSequence => Timing == TargetTiming.LastStep ? 1 : Steps;
}

namespace TinyGru.AotChecks;

/// <summary>One case's generated type, driven through its entry points (written by TinyGru.AotChecks.Emit).</summary>
internal interface ICaseRunner
{
    /// <summary>The case name, matched against GeneratedCodeCases.All() in order.</summary>
    string Name { get; }

    /// <summary>The type's path suffixes ("512", "256", "128", "Scalar").</summary>
    string[] Paths { get; }

    /// <summary>Runs a [T, I] sequence from a zero state on one path ("" = Step) and returns the final state as floats (int8: the Q0.15 values).</summary>
    float[] RunWithState(string path, float[] seq, float[] outs);

    /// <summary>Bytes allocated by <paramref name="steps"/> Steps after 200 warm-up steps.</summary>
    long Allocated(float[] x, int steps);
}

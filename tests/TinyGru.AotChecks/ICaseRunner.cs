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

    /// <summary>The case's nanoFramework code variants: weight placements that fit ("Inline", "Arrays", "Resource") and "ArraysManaged" (float, managed activations).</summary>
    string[] NanoVariants { get; }

    /// <summary>Runs a [T, I] sequence through a nanoFramework variant from a new model, with a Reset after step T/2.</summary>
    float[] RunNano(string variant, float[] seq);

    /// <summary>Bytes a nanoFramework variant's Step allocates over <paramref name="steps"/> steps after 20 warm-up steps.</summary>
    long NanoAllocated(string variant, int steps);
}

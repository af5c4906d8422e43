namespace TinyGru.CodeGen;

/// <summary>Where and how the generated model type is declared.</summary>
public sealed class NetEmitOptions
{
    /// <summary>Namespace of the type, or null for the global namespace.</summary>
    public string? Namespace { get; set; }

    /// <summary>Type name (without type parameters: generic model types are not supported).</summary>
    public string TypeName { get; set; } = "GruModel";

    /// <summary>"struct", "class", "record struct" or "record".</summary>
    public string TypeKeyword { get; set; } = "struct";

    /// <summary>Accessibility to write ("public", "internal"), or null to leave it to the user's own partial declaration.</summary>
    public string? Accessibility { get; set; }

    /// <summary>Declarations of containing types, outermost first, e.g. "partial class Outer".</summary>
    public IReadOnlyList<string> ContainingTypes { get; set; } = Array.Empty<string>();

    /// <summary>Model file name shown in the documentation (no folders: output must not depend on the machine).</summary>
    public string SourceName { get; set; } = "model";

    /// <summary>SHA-256 of the model file, lower-case hex.</summary>
    public string SourceHash { get; set; } = "";

    /// <summary>Adds [SkipLocalsInit] to the step methods (needs AllowUnsafeBlocks in the consuming project).</summary>
    public bool SkipLocalsInit { get; set; }

    /// <summary>
    /// The consuming project allows unsafe code: int8 models then get 256-bit gate updates on their SIMD paths, whose
    /// table lookups are AVX2 gathers (which take pointers).
    /// </summary>
    public bool AllowUnsafe { get; set; }

    /// <summary>
    /// For a token model: fold layer 0's input projection into a [V, 3H] table (true) or compute it from the embedding
    /// row (false); null (the default) lets the planner decide by size (<see cref="KernelPlanner.FoldsEmbedding"/>).
    /// </summary>
    public bool? FoldEmbedding { get; set; }

    /// <summary>True for a struct-like type (struct or record struct).</summary>
    public bool IsValueType => TypeKeyword.EndsWith("struct", StringComparison.Ordinal);
}

using System.Text.RegularExpressions;

namespace TinyGru.Model;

/// <summary>
/// What a reader cannot learn from a file and the user supplies (<c>tinygru convert --head-activations … --ignore-tensor …</c>).
/// The default is to supply nothing.
/// </summary>
public sealed class ImportOptions
{
    /// <summary>Nothing supplied.</summary>
    public static readonly ImportOptions None = new(null, null);

    /// <summary>Creates options.</summary>
    /// <param name="denseActivations">One activation per dense layer of the head, first to last (a state_dict does not record them); null when not given.</param>
    /// <param name="ignoredTensors">Tensor names to skip, exact or with <c>*</c> wildcards (scaler buffers and other extras).</param>
    public ImportOptions(IReadOnlyList<HeadActivation>? denseActivations, IReadOnlyList<string>? ignoredTensors)
    {
        DenseActivations = denseActivations?.ToArray();
        IgnoredTensors = ignoredTensors?.ToArray() ?? Array.Empty<string>();
    }

    /// <summary>One activation per dense layer, first to last, or null when not given.</summary>
    public IReadOnlyList<HeadActivation>? DenseActivations { get; }

    /// <summary>Tensor names or <c>*</c> patterns to skip.</summary>
    public IReadOnlyList<string> IgnoredTensors { get; }

    /// <summary>True when <paramref name="tensor"/> matches one of <see cref="IgnoredTensors"/>.</summary>
    public bool Ignores(string tensor)
    {
        foreach (var pattern in IgnoredTensors)
        {
            if (pattern == tensor) return true;
            if (pattern.IndexOf('*') >= 0
                && Regex.IsMatch(tensor, "^" + Regex.Escape(pattern).Replace("\\*", ".*") + "$", RegexOptions.CultureInvariant))
                return true;
        }
        return false;
    }
}

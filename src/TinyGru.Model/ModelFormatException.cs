namespace TinyGru.Model;

/// <summary>
/// A model file or model description is malformed or unsupported. The message always names the
/// file (when there is one) and the tensor, node, attribute or key at fault, and says what was expected.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The file name or other description of where the model came from; may be null.</param>
    /// <param name="location">The tensor, node, attribute or key at fault; may be null.</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    public ModelFormatException(string? source, string? location, string problem)
        : base(Compose(source, location, problem))
    {
        FileName = source;
        Location = location;
        Problem = problem;
    }

    /// <summary>The file (or other source) the model came from, or null.</summary>
    public string? FileName { get; }

    /// <summary>The tensor, node, attribute or key at fault, or null.</summary>
    public string? Location { get; }

    /// <summary>The problem, without the file and location prefix.</summary>
    public string Problem { get; }

    /// <summary>Returns a copy whose message names <paramref name="source"/> as the file.</summary>
    public ModelFormatException WithSource(string source) => new(source, Location, Problem);

    /// <summary>Longest message: names and values from a hostile file are echoed, never a file's worth of them.</summary>
    public const int MaxMessageLength = 1000;

    private static string Compose(string? source, string? location, string problem)
    {
        var prefix = source is null ? "" : source + ": ";
        return OneLine(location is null ? prefix + problem : prefix + location + ": " + problem);
    }

    /// <summary>Escapes line breaks and other control characters (they come from the file) and caps the length.</summary>
    private static string OneLine(string message)
    {
        var sb = new System.Text.StringBuilder(Math.Min(message.Length, MaxMessageLength + 16));
        foreach (char c in message)
        {
            if (sb.Length >= MaxMessageLength) { sb.Append('…'); break; }
            if (c < 0x20 || c == 0x7f || c == '\u0085' || c == '\u2028' || c == '\u2029')
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

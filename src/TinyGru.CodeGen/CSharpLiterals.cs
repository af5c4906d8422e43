using System.Globalization;
using System.Text;

namespace TinyGru.CodeGen;

/// <summary>Deterministic C# literals: invariant culture, round-trip floats.</summary>
public static class CSharpLiterals
{
    /// <summary>A float literal that parses back to exactly <paramref name="value"/> ("0.1f", "-0f", "1E-07f").</summary>
    public static string Float(float value)
    {
        // "R" round-trips on every runtime TinyGru supports; netstandard2.0 prints up to 9 significant digits.
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        if (float.Parse(s, CultureInfo.InvariantCulture) != value || (value == 0 && 1 / value < 0 && !s.StartsWith("-", StringComparison.Ordinal)))
            s = value.ToString("G9", CultureInfo.InvariantCulture);
        return s + "f";
    }

    /// <summary>An int literal.</summary>
    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A C# string literal.</summary>
    public static string String(string value)
    {
        var sb = new StringBuilder();
        TinyGru.Model.Safetensors.JsonValue.WriteString(sb, value);
        return sb.ToString();
    }

    /// <summary>Text safe inside an XML doc comment line.</summary>
    public static string XmlText(string value) =>
        value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\r", " ").Replace("\n", " ");

    /// <summary>
    /// <paramref name="values"/> cut into rows of <paramref name="perRow"/> for an array initializer, in one pass.
    /// <c>Skip(i).Take(n)</c> per row rescans from the start on .NET Framework, which hosts the compiler in Visual
    /// Studio: quadratic in the array's length, minutes for a model of a million weights.
    /// </summary>
    public static IEnumerable<IReadOnlyList<T>> Rows<T>(IReadOnlyList<T> values, int perRow)
    {
        for (int start = 0; start < values.Count; start += perRow)
        {
            var row = new List<T>(perRow);
            for (int i = start; i < Math.Min(values.Count, start + perRow); i++) row.Add(values[i]);
            yield return row;
        }
    }
}

using System.Globalization;
using System.Text;

namespace TinyGru.Training;

/// <summary>
/// A CSV file as text cells: a header row (a first row with any non-numeric cell; otherwise columns are named
/// 1, 2, …) and rectangular data rows. Cells are parsed by the layouts that use them, so a label column may hold
/// text. Errors name the file and the 1-based line.
/// </summary>
public sealed class CsvTable
{
    private CsvTable(string source, string[] header, bool hasHeader, List<string[]> rows, List<int> lines)
    {
        Source = source;
        Header = header;
        HasHeader = hasHeader;
        Rows = rows;
        LineNumbers = lines;
    }

    /// <summary>The file name used in messages.</summary>
    public string Source { get; }

    /// <summary>Column names (1-based numbers as text when the file has no header).</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>True when the first row was a header.</summary>
    public bool HasHeader { get; }

    /// <summary>Data rows, each with <see cref="Header"/>.Count cells.</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>The 1-based file line of each data row.</summary>
    public IReadOnlyList<int> LineNumbers { get; }

    /// <summary>Reads a CSV file.</summary>
    public static CsvTable Read(string path)
    {
        if (!File.Exists(path)) throw new TrainingException($"{path}: file not found");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new TrainingException($"{path}: cannot read the file: {e.Message}"); }
        return Parse(text, path);
    }

    /// <summary>Parses CSV text; <paramref name="source"/> names it in messages.</summary>
    public static CsvTable Parse(string text, string source)
    {
        string[]? header = null;
        bool hasHeader = false;
        var rows = new List<string[]>();
        var lines = new List<int>();
        int lineNumber = 0;
        using var reader = new StringReader(text);
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            var cells = SplitLine(line, source, lineNumber);
            for (int c = 0; c < cells.Length; c++) cells[c] = cells[c].Trim();
            if (header is null)
            {
                hasHeader = cells.Any(c => !IsNumber(c));
                header = hasHeader ? cells : Enumerable.Range(1, cells.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
                if (hasHeader) continue;
            }
            if (cells.Length != header.Length)
                throw new TrainingException($"{source}: line {lineNumber} has {cells.Length} columns; expected {header.Length} like the {(hasHeader ? "header" : "first row")}");
            rows.Add(cells);
            lines.Add(lineNumber);
        }
        if (header is null) throw new TrainingException($"{source}: the file is empty");
        if (rows.Count == 0) throw new TrainingException($"{source}: the file has a header but no data rows");
        return new CsvTable(source, header, hasHeader, rows, lines);
    }

    /// <summary>The index of a column given by header name or 1-based number; <paramref name="option"/> names the flag in the error.</summary>
    public int Column(string nameOrNumber, string option)
    {
        for (int c = 0; c < Header.Count; c++)
            if (string.Equals(Header[c], nameOrNumber, StringComparison.Ordinal)) return c;
        for (int c = 0; c < Header.Count; c++)
            if (string.Equals(Header[c], nameOrNumber, StringComparison.OrdinalIgnoreCase)) return c;
        if (int.TryParse(nameOrNumber, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number >= 1 && number <= Header.Count)
            return number - 1;
        throw new TrainingException($"{Source}: {option}: there is no column '{nameOrNumber}' (columns: {Describe(Header)})");
    }

    /// <summary>"line L, column C ('name')" for messages.</summary>
    public string Where(int row, int column) =>
        $"line {LineNumbers[row]}, column {column + 1}" + (HasHeader ? $" ('{Header[column]}')" : "");

    /// <summary>True for a cell that parses as a finite number.</summary>
    public static bool TryNumber(string cell, out float value) =>
        float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    /// <summary>True for a cell that parses as a number (any, including NaN).</summary>
    private static bool IsNumber(string cell) => float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>Splits one line on commas, honouring RFC 4180 double quotes.</summary>
    public static string[] SplitLine(string line, string source, int lineNumber)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cell.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        if (quoted) throw new TrainingException($"{source}: line {lineNumber}: a quoted cell is not closed");
        cells.Add(cell.ToString());
        return cells.ToArray();
    }

    private static string Describe(IReadOnlyList<string> header) =>
        header.Count <= 12 ? string.Join(", ", header) : string.Join(", ", header.Take(10)) + $", … ({header.Count} in all)";
}

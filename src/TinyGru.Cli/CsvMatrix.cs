using System.Globalization;

namespace TinyGru.Cli;

/// <summary>
/// A numeric CSV table: an optional header (a first row with any non-numeric cell) and rows of finite numbers.
/// Errors name the file, the 1-based line and column, and what was expected.
/// </summary>
internal sealed class CsvMatrix
{
    private CsvMatrix(string[]? header, int columns, float[] values)
    {
        Header = header;
        Columns = columns;
        Values = values;
    }

    public string[]? Header { get; }
    public int Columns { get; }
    public int Rows => Columns == 0 ? 0 : Values.Length / Columns;

    /// <summary>Row-major values [Rows, Columns].</summary>
    public float[] Values { get; }

    public static CsvMatrix Read(string path, int? expectedColumns = null)
    {
        if (!File.Exists(path)) throw new CliException($"{path}: file not found");
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"{path}: cannot read the file: {e.Message}"); }

        string[]? header = null;
        int columns = -1;
        var values = new List<float>();
        for (int li = 0; li < lines.Length; li++)
        {
            string line = lines[li];
            if (line.Trim().Length == 0) continue;
            var cells = Split(line, path, li + 1);
            bool firstRow = header is null && columns < 0;
            if (firstRow && cells.Any(c => !TryParse(c, out _)))
            {
                header = cells.Select(c => c.Trim()).ToArray();
                columns = cells.Length;
                continue;
            }
            if (columns < 0) columns = cells.Length;
            if (cells.Length != columns)
                throw new CliException($"{path}: line {li + 1} has {cells.Length} columns; expected {columns} like the {(header is null ? "first row" : "header")}");
            for (int c = 0; c < cells.Length; c++)
            {
                if (!TryParse(cells[c], out float v))
                    throw new CliException($"{path}: line {li + 1}, column {c + 1}{ColumnName(header, c)}: '{cells[c].Trim()}' is not a number");
                if (!float.IsFinite(v))
                    throw new CliException($"{path}: line {li + 1}, column {c + 1}{ColumnName(header, c)}: '{cells[c].Trim()}' is not a finite number");
                values.Add(v);
            }
        }
        if (values.Count == 0) throw new CliException($"{path}: the file has no data rows");
        if (expectedColumns is int want && columns != want)
            throw new CliException($"{path}: rows have {columns} columns; the model expects {want} input features per row");
        return new CsvMatrix(header, columns, values.ToArray());
    }

    private static string ColumnName(string[]? header, int c) => header is null ? "" : $" ('{header[c]}')";

    private static bool TryParse(string cell, out float value) =>
        float.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>Splits one line on commas, honouring RFC 4180 double quotes (the trainer's CSV reader does the same).</summary>
    private static string[] Split(string line, string path, int lineNumber) => TinyGru.Training.CsvTable.SplitLine(line, path, lineNumber);
}

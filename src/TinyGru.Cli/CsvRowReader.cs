using System.Globalization;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>
/// Streams the numeric rows of a CSV file, one at a time into one reused buffer: memory stays constant however many
/// rows there are, and every line is bounded (<see cref="CsvTable.MaxLineChars"/>). An optional header (a first row
/// with any non-numeric cell) names the columns; <c>--features</c> picks input columns by name or 1-based number and
/// leaves the others (a timestamp, a label) unparsed. Errors name the file, the line and column, and what was expected.
/// </summary>
internal sealed class CsvRowReader
{
    private readonly IEnumerator<(string Line, int Number)> _lines;
    private readonly string _source;
    private readonly int[] _columns;
    private readonly int _cellsPerRow;
    private readonly string[]? _header;
    private (string Line, int Number)? _pending;

    /// <summary>Reads the first row (header or data) and resolves <paramref name="features"/> (column names or 1-based numbers, in model input order; null: every column).</summary>
    public CsvRowReader(TextReader reader, string source, int inputSize, IReadOnlyList<string>? features)
    {
        _source = source;
        _lines = CsvTable.ReadLines(reader, source).GetEnumerator();
        if (!NextNonBlank(out var first)) throw new CliException($"{source}: the file has no data rows");
        var cells = CsvTable.SplitLine(first.Line, source, first.Number);
        CsvTable.CheckDelimiter(first.Line, cells.Length, source, first.Number);
        _cellsPerRow = cells.Length;
        if (cells.Any(c => !TryParse(c, out _))) _header = cells.Select(c => c.Trim()).ToArray();
        else _pending = first;

        if (features is null)
        {
            if (_cellsPerRow != inputSize)
                throw new CliException($"{source}: rows have {_cellsPerRow} columns; the model expects {inputSize} input features per row" +
                                       (_header is null ? "" : " (--features picks columns by name)"));
            _columns = Enumerable.Range(0, _cellsPerRow).ToArray();
        }
        else
        {
            _columns = features.Select(Column).ToArray();
            if (_columns.Length != inputSize)
                throw new CliException($"--features names {_columns.Length} columns; the model expects {inputSize} input features per row");
        }
        Values = new float[inputSize];
    }

    /// <summary>The file name used in messages.</summary>
    public string Source => _source;

    /// <summary>The header's cells, or null when the first row holds numbers.</summary>
    public IReadOnlyList<string>? Header => _header;

    /// <summary>The current row's model inputs, valid until the next <see cref="Read"/>.</summary>
    public float[] Values { get; }

    /// <summary>Reads the next data row into <see cref="Values"/>; false at the end of the file.</summary>
    public bool Read()
    {
        (string Line, int Number) row;
        if (_pending is { } p) { row = p; _pending = null; }
        else if (!NextNonBlank(out row)) return false;
        var cells = CsvTable.SplitLine(row.Line, _source, row.Number);
        if (cells.Length != _cellsPerRow)
            throw new CliException($"{_source}: line {row.Number} has {cells.Length} columns; expected {_cellsPerRow} like the {(_header is null ? "first row" : "header")}");
        for (int i = 0; i < _columns.Length; i++)
        {
            int c = _columns[i];
            if (!TryParse(cells[c], out float v))
                throw new CliException($"{_source}: line {row.Number}, column {c + 1}{ColumnName(c)}: '{CsvTable.Echo(cells[c].Trim())}' is not a number");
            if (!float.IsFinite(v))
                throw new CliException($"{_source}: line {row.Number}, column {c + 1}{ColumnName(c)}: '{CsvTable.Echo(cells[c].Trim())}' is not a finite number");
            Values[i] = v;
        }
        return true;
    }

    private int Column(string nameOrNumber)
    {
        if (_header is not null)
        {
            for (int c = 0; c < _header.Length; c++)
                if (string.Equals(_header[c], nameOrNumber, StringComparison.Ordinal)) return c;
            for (int c = 0; c < _header.Length; c++)
                if (string.Equals(_header[c], nameOrNumber, StringComparison.OrdinalIgnoreCase)) return c;
        }
        if (int.TryParse(nameOrNumber, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number >= 1 && number <= _cellsPerRow)
            return number - 1;
        string columns = _header is null
            ? $"the file has no header row, so columns are numbered 1 to {_cellsPerRow}"
            : "columns: " + (_header.Length <= 12 ? string.Join(", ", _header.Select(CsvTable.Echo)) : string.Join(", ", _header.Take(10).Select(CsvTable.Echo)) + $", … ({_header.Length} in all)");
        throw new CliException($"{_source}: --features: there is no column '{CsvTable.Echo(nameOrNumber)}' ({columns})");
    }

    private bool NextNonBlank(out (string Line, int Number) line)
    {
        while (_lines.MoveNext())
        {
            if (_lines.Current.Line.Trim().Length == 0) continue;
            line = _lines.Current;
            return true;
        }
        line = default;
        return false;
    }

    private string ColumnName(int c) => _header is null ? "" : $" ('{CsvTable.Echo(_header[c])}')";

    private static bool TryParse(string cell, out float value) =>
        float.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}

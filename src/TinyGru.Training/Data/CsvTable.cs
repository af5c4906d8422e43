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

    /// <summary>Largest CSV file <see cref="Read"/> accepts (train, eval, quantize and finetune hold the data set in memory).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>Most data rows a whole table holds: parsed cells take many times the file's bytes, so rows are bounded too.</summary>
    public const int MaxRows = 1_000_000;

    /// <summary>Longest line, in characters, any CSV reader accepts; also bounds what one streamed row can cost.</summary>
    public const int MaxLineChars = 1 << 20;

    /// <summary>
    /// Reads a CSV file whole, reading at most <see cref="MaxFileBytes"/> whatever length the file system reports (a
    /// pipe or device reports 0), so /dev/zero or an endless FIFO ends in an error, not in exhausted memory.
    /// </summary>
    public static CsvTable Read(string path)
    {
        using var reader = OpenText(path);
        return Parse(reader, path);
    }

    /// <summary>Opens a CSV file for reading; file not found, a folder and unreadable files are one-line errors.</summary>
    public static TextReader OpenText(string path, long maxBytes = MaxFileBytes)
    {
        if (Directory.Exists(path)) throw new TrainingException($"{path}: is a folder; expected a CSV file");
        if (!File.Exists(path)) throw new TrainingException($"{path}: file not found");
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return new StreamReader(new BoundedStream(stream, maxBytes, path), new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new TrainingException($"{path}: cannot read the file: {e.Message}"); }
    }

    /// <summary>Parses CSV text; <paramref name="source"/> names it in messages.</summary>
    public static CsvTable Parse(string text, string source)
    {
        using var reader = new StringReader(text);
        return Parse(reader, source);
    }

    /// <summary>Parses CSV from a reader; <paramref name="source"/> names it in messages.</summary>
    public static CsvTable Parse(TextReader reader, string source)
    {
        string[]? header = null;
        bool hasHeader = false;
        var rows = new List<string[]>();
        var lines = new List<int>();
        foreach (var (line, lineNumber) in ReadLines(reader, source))
        {
            if (line.Trim().Length == 0) continue;
            var cells = SplitLine(line, source, lineNumber);
            for (int c = 0; c < cells.Length; c++) cells[c] = cells[c].Trim();
            if (header is null)
            {
                CheckDelimiter(line, cells.Length, source, lineNumber);
                hasHeader = cells.Any(c => !IsNumber(c));
                header = hasHeader ? cells : Enumerable.Range(1, cells.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
                if (hasHeader) continue;
            }
            if (cells.Length != header.Length)
                throw new TrainingException($"{source}: line {lineNumber} has {cells.Length} columns; expected {header.Length} like the {(hasHeader ? "header" : "first row")}");
            if (rows.Count == MaxRows)
                throw new TrainingException($"{source}: more than {MaxRows} data rows; train, eval, quantize and finetune hold the data set in memory and read at most {MaxRows} rows ({MaxFileBytes >> 20} MiB)");
            rows.Add(cells);
            lines.Add(lineNumber);
        }
        if (header is null) throw new TrainingException($"{source}: the file is empty");
        if (rows.Count == 0) throw new TrainingException($"{source}: the file has a header but no data rows");
        return new CsvTable(source, header, hasHeader, rows, lines);
    }

    /// <summary>
    /// The lines of a CSV text with their 1-based numbers. A line longer than <see cref="MaxLineChars"/> or holding a
    /// NUL character (binary data, /dev/zero) is an error as soon as it is seen, before it is held whole.
    /// </summary>
    public static IEnumerable<(string Line, int Number)> ReadLines(TextReader reader, string source)
    {
        var line = new StringBuilder();
        var buffer = new char[1 << 14];
        int number = 1;
        bool lastWasCr = false;
        while (true)
        {
            int n;
            try { n = reader.Read(buffer, 0, buffer.Length); }
            catch (IOException e) { throw new TrainingException(e is DataLimitException ? e.Message : $"{source}: cannot read the file: {e.Message}"); }
            if (n == 0) break;
            int start = 0;
            for (int i = 0; i < n; i++)
            {
                char ch = buffer[i];
                if (ch == '\n' && lastWasCr) { lastWasCr = false; start = i + 1; continue; }
                lastWasCr = ch == '\r';
                if (ch == '\n' || ch == '\r')
                {
                    Append(line, buffer, start, i - start, source, number);
                    yield return (line.ToString(), number++);
                    line.Clear();
                    start = i + 1;
                }
                else if (ch == '\0')
                {
                    throw new TrainingException($"{source}: line {number} contains a NUL character; expected a text CSV file");
                }
            }
            Append(line, buffer, start, n - start, source, number);
        }
        if (line.Length > 0) yield return (line.ToString(), number);
    }

    private static void Append(StringBuilder line, char[] buffer, int start, int count, string source, int number)
    {
        if (line.Length + count > MaxLineChars)
            throw new TrainingException($"{source}: line {number} is longer than {MaxLineChars} characters; expected CSV rows");
        line.Append(buffer, start, count);
    }

    /// <summary>A first row that is one cell with semicolons or tabs in it: the file uses another delimiter.</summary>
    public static void CheckDelimiter(string line, int cells, string source, int lineNumber)
    {
        if (cells != 1) return;
        int semicolons = line.Count(c => c == ';'), tabs = line.Count(c => c == '\t');
        if (semicolons == 0 && tabs == 0) return;
        string found = semicolons >= tabs ? $"semicolons (;)" : "tabs";
        throw new TrainingException($"{source}: line {lineNumber} has no commas but is separated by {found}; TinyGru reads comma-separated CSV (replace the separators with commas)");
    }

    /// <summary>A cell as echoed in messages: at most 40 characters, so a huge cell cannot make a huge message.</summary>
    public static string Echo(string cell) =>
        cell.Length <= 40 ? cell : cell.Substring(0, 32) + $"… ({cell.Length} characters)";

    /// <summary>The index of a column given by header name or 1-based number; <paramref name="option"/> names the flag in the error.</summary>
    public int Column(string nameOrNumber, string option)
    {
        for (int c = 0; c < Header.Count; c++)
            if (string.Equals(Header[c], nameOrNumber, StringComparison.Ordinal)) return c;
        for (int c = 0; c < Header.Count; c++)
            if (string.Equals(Header[c], nameOrNumber, StringComparison.OrdinalIgnoreCase)) return c;
        if (int.TryParse(nameOrNumber, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number >= 1 && number <= Header.Count)
            return number - 1;
        throw new TrainingException($"{Source}: {option}: there is no column '{Echo(nameOrNumber)}' (columns: {Describe(Header)})");
    }

    /// <summary>"line L, column C ('name')" for messages.</summary>
    public string Where(int row, int column) =>
        $"line {LineNumbers[row]}, column {column + 1}" + (HasHeader ? $" ('{Echo(Header[column])}')" : "");

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
        header.Count <= 12 ? string.Join(", ", header.Select(Echo)) : string.Join(", ", header.Take(10).Select(Echo)) + $", … ({header.Count} in all)";
}

/// <summary>A read stream that fails once more than a set number of bytes has come through it.</summary>
internal sealed class BoundedStream(Stream inner, long maxBytes, string source) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        _read += n;
        if (_read > maxBytes)
            throw new DataLimitException($"{source}: the file is larger than {maxBytes >> 20} MiB, the most TinyGru reads into memory; use a smaller data set");
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The data limit of <see cref="BoundedStream"/>, surfaced as a one-line <see cref="TrainingException"/>.</summary>
internal sealed class DataLimitException(string message) : IOException(message);

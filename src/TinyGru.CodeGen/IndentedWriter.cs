using System.Text;

namespace TinyGru.CodeGen;

/// <summary>Writes lines of source with the current indentation; <see cref="Block"/> opens a brace block.</summary>
public sealed class IndentedWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    /// <summary>Writes one line (an empty string writes an empty line without indentation).</summary>
    public IndentedWriter Line(string text = "")
    {
        if (text.Length > 0) _sb.Append(' ', 4 * _indent).Append(text);
        _sb.Append('\n');
        return this;
    }

    /// <summary>Increases indentation.</summary>
    public void Indent() => _indent++;

    /// <summary>Decreases indentation.</summary>
    public void Outdent() => _indent--;

    /// <summary>Writes <paramref name="header"/> (if any) and '{', indents, and returns a scope that writes '}'.</summary>
    public Scope Block(string? header = null, string close = "}")
    {
        if (header is not null) Line(header);
        Line("{");
        _indent++;
        return new Scope(this, close);
    }

    /// <inheritdoc />
    public override string ToString() => _sb.ToString();

    /// <summary>Closes a <see cref="Block"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly IndentedWriter _writer;
        private readonly string _close;

        internal Scope(IndentedWriter writer, string close)
        {
            _writer = writer;
            _close = close;
        }

        /// <summary>Outdents and writes the closing brace.</summary>
        public void Dispose()
        {
            _writer._indent--;
            _writer.Line(_close);
        }
    }
}

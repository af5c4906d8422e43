using System.Globalization;
using System.Text;

namespace TinyGru.Model.Safetensors;

/// <summary>Kinds of <see cref="JsonValue"/>.</summary>
public enum JsonKind
{
    /// <summary>An object; members in file order.</summary>
    Object,
    /// <summary>An array.</summary>
    Array,
    /// <summary>A string.</summary>
    String,
    /// <summary>A number, kept as its text.</summary>
    Number,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>null.</summary>
    Null,
}

/// <summary>
/// A parsed JSON value. This small strict parser exists because TinyGru.Model must not depend on packages
/// (it runs inside the C# compiler); it reads safetensors headers and metadata values, nothing bigger.
/// </summary>
public sealed class JsonValue
{
    private JsonValue(JsonKind kind, string? text, IReadOnlyList<JsonValue>? items, IReadOnlyList<KeyValuePair<string, JsonValue>>? members)
    {
        Kind = kind;
        Text = text;
        Items = items ?? System.Array.Empty<JsonValue>();
        Members = members ?? System.Array.Empty<KeyValuePair<string, JsonValue>>();
    }

    /// <summary>The kind of value.</summary>
    public JsonKind Kind { get; }

    /// <summary>String contents, number text, "true"/"false", or null.</summary>
    public string? Text { get; }

    /// <summary>Array items (empty unless an array).</summary>
    public IReadOnlyList<JsonValue> Items { get; }

    /// <summary>Object members in file order (empty unless an object). Keys are unique.</summary>
    public IReadOnlyList<KeyValuePair<string, JsonValue>> Members { get; }

    /// <summary>Short kind name for messages ("an object", "a string", ...).</summary>
    public string Describe() => Kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => "a string",
        JsonKind.Number => "the number " + Text,
        JsonKind.Boolean => Text!,
        _ => "null",
    };

    /// <summary>Reads a non-negative integer number exactly, or returns false.</summary>
    public bool TryGetUInt64(out ulong value)
    {
        value = 0;
        return Kind == JsonKind.Number && Text!.Length > 0 && Text.All(c => c >= '0' && c <= '9')
            && ulong.TryParse(Text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Parses UTF-8 JSON text. Throws <see cref="FormatException"/> with the byte offset on error.</summary>
    public static JsonValue Parse(byte[] utf8, int offset, int count)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(utf8, offset, count);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException("not valid UTF-8");
        }
        return Parse(text);
    }

    /// <summary>Parses JSON text. Throws <see cref="FormatException"/> with the character offset on error.</summary>
    public static JsonValue Parse(string text)
    {
        var parser = new Parser(text);
        var value = parser.ParseValue(0);
        parser.SkipWhitespace();
        if (!parser.AtEnd) throw parser.Error("unexpected text after the JSON value");
        return value;
    }

    /// <summary>
    /// Writes a JSON string literal. The escapes used (\", \\, \n, \r, \t, \uXXXX for control characters and the
    /// line separators U+0085, U+2028, U+2029) mean the same in C#, so generated C# string literals use this too.
    /// </summary>
    public static void WriteString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == '\u0085' || c == '\u2028' || c == '\u2029') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    private sealed class Parser
    {
        private const int MaxDepth = 64;
        private readonly string _s;
        private int _pos;

        public Parser(string s) => _s = s;

        public bool AtEnd => _pos >= _s.Length;

        public FormatException Error(string message) => new($"{message} at character {_pos}");

        public void SkipWhitespace()
        {
            while (_pos < _s.Length && (_s[_pos] == ' ' || _s[_pos] == '\t' || _s[_pos] == '\n' || _s[_pos] == '\r')) _pos++;
        }

        public JsonValue ParseValue(int depth)
        {
            if (depth > MaxDepth) throw Error($"nesting deeper than {MaxDepth}");
            SkipWhitespace();
            if (AtEnd) throw Error("unexpected end of JSON");
            char c = _s[_pos];
            switch (c)
            {
                case '{': return ParseObject(depth);
                case '[': return ParseArray(depth);
                case '"': return new JsonValue(JsonKind.String, ParseString(), null, null);
                case 't': Expect("true"); return new JsonValue(JsonKind.Boolean, "true", null, null);
                case 'f': Expect("false"); return new JsonValue(JsonKind.Boolean, "false", null, null);
                case 'n': Expect("null"); return new JsonValue(JsonKind.Null, null, null, null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
                    throw Error($"unexpected character '{c}'");
            }
        }

        private void Expect(string word)
        {
            if (string.CompareOrdinal(_s, _pos, word, 0, word.Length) != 0) throw Error($"expected '{word}'");
            _pos += word.Length;
        }

        private JsonValue ParseObject(int depth)
        {
            _pos++; // {
            var members = new List<KeyValuePair<string, JsonValue>>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            SkipWhitespace();
            if (!AtEnd && _s[_pos] == '}') { _pos++; return new JsonValue(JsonKind.Object, null, null, members); }
            while (true)
            {
                SkipWhitespace();
                if (AtEnd || _s[_pos] != '"') throw Error("expected a string key");
                string key = ParseString();
                if (!keys.Add(key)) throw Error($"duplicate key \"{key}\"");
                SkipWhitespace();
                if (AtEnd || _s[_pos] != ':') throw Error("expected ':'");
                _pos++;
                members.Add(new KeyValuePair<string, JsonValue>(key, ParseValue(depth + 1)));
                SkipWhitespace();
                if (AtEnd) throw Error("unexpected end of JSON in an object");
                if (_s[_pos] == ',') { _pos++; continue; }
                if (_s[_pos] == '}') { _pos++; return new JsonValue(JsonKind.Object, null, null, members); }
                throw Error("expected ',' or '}'");
            }
        }

        private JsonValue ParseArray(int depth)
        {
            _pos++; // [
            var items = new List<JsonValue>();
            SkipWhitespace();
            if (!AtEnd && _s[_pos] == ']') { _pos++; return new JsonValue(JsonKind.Array, null, items, null); }
            while (true)
            {
                items.Add(ParseValue(depth + 1));
                SkipWhitespace();
                if (AtEnd) throw Error("unexpected end of JSON in an array");
                if (_s[_pos] == ',') { _pos++; continue; }
                if (_s[_pos] == ']') { _pos++; return new JsonValue(JsonKind.Array, null, items, null); }
                throw Error("expected ',' or ']'");
            }
        }

        private string ParseString()
        {
            _pos++; // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd) throw Error("unterminated string");
                char c = _s[_pos++];
                if (c == '"') return sb.ToString();
                if (c < 0x20) throw Error("control character in a string");
                if (c != '\\') { sb.Append(c); continue; }
                if (AtEnd) throw Error("unterminated escape");
                char e = _s[_pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (_pos + 4 > _s.Length
                            || !int.TryParse(_s.Substring(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                            throw Error("bad \\u escape");
                        sb.Append((char)code);
                        _pos += 4;
                        break;
                    default: throw Error($"bad escape '\\{e}'");
                }
            }
        }

        private JsonValue ParseNumber()
        {
            int start = _pos;
            if (_s[_pos] == '-') _pos++;
            int digits = _pos;
            while (!AtEnd && _s[_pos] >= '0' && _s[_pos] <= '9') _pos++;
            if (_pos == digits) throw Error("expected digits");
            if (!AtEnd && _s[_pos] == '.')
            {
                _pos++;
                int frac = _pos;
                while (!AtEnd && _s[_pos] >= '0' && _s[_pos] <= '9') _pos++;
                if (_pos == frac) throw Error("expected digits after '.'");
            }
            if (!AtEnd && (_s[_pos] == 'e' || _s[_pos] == 'E'))
            {
                _pos++;
                if (!AtEnd && (_s[_pos] == '+' || _s[_pos] == '-')) _pos++;
                int exp = _pos;
                while (!AtEnd && _s[_pos] >= '0' && _s[_pos] <= '9') _pos++;
                if (_pos == exp) throw Error("expected exponent digits");
            }
            return new JsonValue(JsonKind.Number, _s.Substring(start, _pos - start), null, null);
        }
    }
}

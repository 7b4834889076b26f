using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmProxy.Http.Body;

/// <summary>
/// Replaces the value of the top-level <c>"model"</c> of a JSON object with another name, every other byte as it was
/// (docs/upstreams.md, Aliases): unknown fields, their order, spacing, escapes and numbers reach the upstream exactly
/// as the client wrote them, as they do without an alias. One <see cref="Utf8JsonReader"/> pass finds the value's
/// bytes; the copy is the bytes before, the new string, the bytes after. A body that names <c>model</c> more than once
/// gets every one replaced (JSON parsers differ on which duplicate wins; none of them may see the alias).
/// </summary>
internal static class JsonModelSplice
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>
    /// The body with <paramref name="model"/> as its model, or null when it has no top-level string <c>model</c> (or
    /// is not a JSON object) and so nothing to replace.
    /// </summary>
    public static byte[]? Replace(ReadOnlySpan<byte> json, string model)
    {
        // The ranges of every top-level "model" string token, quotes included. Bodies name it once: no list needed.
        Span<(int Start, int Length)> found = stackalloc (int, int)[4];
        var count = 0;
        List<(int, int)>? more = null;
        try
        {
            var reader = new Utf8JsonReader(json, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                reader.Read();
                if (isModel && reader.TokenType == JsonTokenType.String)
                {
                    // ValueSpan is the raw value between the quotes (still escaped): the token is 2 bytes longer.
                    var range = ((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2);
                    if (count < found.Length)
                    {
                        found[count] = range;
                    }
                    else
                    {
                        (more ??= []).Add(range);
                    }
                    count++;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        if (count == 0)
        {
            return null;
        }

        // Relaxed escaping keeps non-ASCII as UTF-8 (valid JSON, RFC 8259 §8.1); quotes, backslashes and controls are escaped.
        var value = JsonEncodedText.Encode(model, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes;
        (int Start, int Length)[] ranges = more is null ? found[..count].ToArray() : [.. found.ToArray(), .. more];
        var length = json.Length;
        foreach (var (_, oldLength) in ranges)
        {
            length += value.Length + 2 - oldLength;
        }
        var result = new byte[length];
        var writer = new SpanWriter(result);
        var from = 0;
        foreach (var (start, oldLength) in ranges)
        {
            writer.Write(json[from..start]);
            writer.Write("\""u8);
            writer.Write(value);
            writer.Write("\""u8);
            from = start + oldLength;
        }
        writer.Write(json[from..]);
        return result;
    }

    private ref struct SpanWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _written;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination[_written..]);
            _written += bytes.Length;
        }
    }
}

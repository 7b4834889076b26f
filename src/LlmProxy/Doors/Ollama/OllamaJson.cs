using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// The few <see cref="Utf8JsonReader"/>/<see cref="Utf8JsonWriter"/> moves every Ollama translator needs, made safe for
/// any input. Two BCL facts shape them: the reader does not validate UTF-8 inside strings, and
/// <c>GetString</c>, <c>CopyString</c> and <c>ValueTextEquals</c> throw <see cref="InvalidOperationException"/> on a
/// lone surrogate escape such as <c>"\ud800"</c> (valid JSON by RFC 8259 §7, which Ollama's Go decoder turns into
/// U+FFFD). Strings that are only carried over are copied as their raw token bytes (no unescape and re-escape);
/// strings the door must look into are unescaped here with lone surrogates replaced.
/// </summary>
internal static class OllamaJson
{
    /// <summary>Reader settings for every body and event: the default depth limit, nothing lenient.</summary>
    public static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Writer settings for request and response bodies. Relaxed escaping keeps non-ASCII text as UTF-8 (3 bytes for a
    /// CJK character rather than a 6-byte <c>\uXXXX</c>); these bodies are JSON for programs, never inlined into HTML.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The same for NDJSON lines written per streamed event, where the translator's own tests prove the structure.</summary>
    public static readonly JsonWriterOptions LineWriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Whether the current property name or string equals <paramref name="utf8"/>; false, not a throw, on a lone surrogate.</summary>
    public static bool TextEquals(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan.SequenceEqual(utf8);
        }
        try
        {
            return reader.ValueTextEquals(utf8);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// The raw bytes of the current value: a string with its quotes, a whole object or array (the reader is left on its
    /// end token), or a number or literal. Only for readers over one contiguous span, which every translator uses.
    /// </summary>
    public static ReadOnlySpan<byte> RawValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> input)
    {
        var start = checked((int)reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return input.Slice(start, reader.ValueSpan.Length + 2);
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                reader.Skip();
                return input[start..checked((int)reader.BytesConsumed)];
            default:
                return input.Slice(start, reader.ValueSpan.Length);
        }
    }

    /// <summary>
    /// Writes the current string token as a value. Valid UTF-8 is copied as the raw token (its escapes are valid JSON
    /// already, a lone surrogate escape included); invalid UTF-8 goes through the writer, which replaces it with U+FFFD.
    /// </summary>
    public static void CopyString(Utf8JsonWriter writer, ref Utf8JsonReader reader, ReadOnlySpan<byte> input) =>
        CopyStringToken(writer, RawValue(ref reader, input));

    /// <summary><see cref="CopyString"/> for a raw string token (quotes included) the reader accepted earlier.</summary>
    public static void CopyStringToken(Utf8JsonWriter writer, ReadOnlySpan<byte> token)
    {
        if (Utf8.IsValid(token))
        {
            writer.WriteRawValue(token, skipInputValidation: true);
            return;
        }
        var reader = new Utf8JsonReader(token, ReaderOptions);
        reader.Read();
        var scratch = new ArrayBufferWriter<byte>(token.Length + 1);
        AppendUnescaped(ref reader, token, scratch);
        writer.WriteStringValue(scratch.WrittenSpan);
    }

    /// <summary>
    /// The current string's unescaped UTF-8 appended to <paramref name="into"/>. An unescaped value is copied as it is;
    /// an escaped one the BCL refuses (a lone surrogate escape, or invalid UTF-8 beside an escape) is repaired first:
    /// both become U+FFFD.
    /// </summary>
    public static void AppendUnescaped(ref Utf8JsonReader reader, ReadOnlySpan<byte> input, IBufferWriter<byte> into)
    {
        var value = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            into.Write(value);
            return;
        }
        try
        {
            into.Advance(reader.CopyString(into.GetSpan(value.Length)));
            return;
        }
        catch (InvalidOperationException)
        {
            // Repaired below; a rare path, so it may allocate.
        }
        var raw = RawValue(ref reader, input);
        var repaired = Utf8.IsValid(raw) ? raw.ToArray() : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(raw));
        ReplaceLoneSurrogateEscapes(repaired);
        var reread = new Utf8JsonReader(repaired, ReaderOptions);
        reread.Read();
        into.Advance(reread.CopyString(into.GetSpan(repaired.Length)));
    }

    /// <summary>The current string as a .NET string, never throwing (lone surrogates and invalid UTF-8 become U+FFFD).</summary>
    public static string GetString(ref Utf8JsonReader reader, ReadOnlySpan<byte> input)
    {
        if (!reader.ValueIsEscaped)
        {
            return Encoding.UTF8.GetString(reader.ValueSpan);
        }
        var scratch = new ArrayBufferWriter<byte>(reader.ValueSpan.Length + 1);
        AppendUnescaped(ref reader, input, scratch);
        return Encoding.UTF8.GetString(scratch.WrittenSpan);
    }

    /// <summary>
    /// True when <paramref name="json"/> is exactly one JSON object (whitespace around it allowed) with valid UTF-8:
    /// the check before such bytes are written raw.
    /// </summary>
    public static bool IsObject(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            reader.Skip();
            // Trailing data after the object is a JsonException here.
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes already-validated JSON as a raw value with the whitespace between tokens removed. Needed where a model's
    /// pretty-printed tool arguments would otherwise put a newline into an NDJSON line and split it in two.
    /// </summary>
    public static void WriteMinifiedRaw(Utf8JsonWriter writer, ReadOnlySpan<byte> validJson)
    {
        var rented = ArrayPool<byte>.Shared.Rent(validJson.Length);
        try
        {
            var length = 0;
            var inString = false;
            for (var i = 0; i < validJson.Length; i++)
            {
                var b = validJson[i];
                if (inString)
                {
                    rented[length++] = b;
                    if (b == (byte)'\\')
                    {
                        rented[length++] = validJson[++i];
                    }
                    else if (b == (byte)'"')
                    {
                        inString = false;
                    }
                }
                else if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    rented[length++] = b;
                    inString = b == (byte)'"';
                }
            }
            writer.WriteRawValue(rented.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Appends one line feed: the NDJSON record separator.</summary>
    public static void WriteNewLine(IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    /// <summary>
    /// Overwrites every <c>\uD800</c>–<c>\uDFFF</c> escape that is not part of a high+low pair with <c>\uFFFD</c> (same
    /// length), so the BCL can unescape the token. Input is one raw string token that the reader already accepted.
    /// </summary>
    private static void ReplaceLoneSurrogateEscapes(Span<byte> token)
    {
        for (var i = 0; i < token.Length; i++)
        {
            if (token[i] != (byte)'\\')
            {
                continue;
            }
            if (token[i + 1] != (byte)'u')
            {
                i++;
                continue;
            }
            var unit = Hex(token.Slice(i + 2, 4));
            if (unit is >= 0xD800 and <= 0xDBFF && IsLowSurrogateEscapeAt(token, i + 6))
            {
                i += 11;
                continue;
            }
            if (unit is >= 0xD800 and <= 0xDFFF)
            {
                "FFFD"u8.CopyTo(token.Slice(i + 2, 4));
            }
            i += 5;
        }
    }

    private static bool IsLowSurrogateEscapeAt(ReadOnlySpan<byte> token, int at) =>
        at + 6 <= token.Length && token[at] == (byte)'\\' && token[at + 1] == (byte)'u' && Hex(token.Slice(at + 2, 4)) is >= 0xDC00 and <= 0xDFFF;

    private static int Hex(ReadOnlySpan<byte> four)
    {
        var value = 0;
        foreach (var b in four)
        {
            value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        }
        return value;
    }
}

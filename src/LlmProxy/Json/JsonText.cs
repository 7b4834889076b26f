using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace LlmProxy.Json;

/// <summary>
/// Total versions of the System.Text.Json calls that throw on text a JSON grammar allows (docs/security.md, No input
/// makes a 500). A string may hold a lone surrogate escape such as <c>"\ud800"</c> — valid JSON (RFC 8259 §7; §8.2
/// calls its meaning unpredictable) but no valid Unicode text — and an upstream's body may hold invalid UTF-8 inside a
/// string. <c>GetString</c>, <c>ValueTextEquals</c>, <c>TryGetProperty</c> (for an escaped name) and <c>GetRawText</c>
/// then throw <see cref="InvalidOperationException"/>, which no <c>catch (JsonException)</c> sees. Every read of a
/// client's or an upstream's JSON goes through these or catches that exception at its boundary.
/// </summary>
internal static class JsonText
{
    /// <summary>
    /// Whether the current property name or string equals <paramref name="utf8"/> (an ASCII name). A name holding a lone
    /// surrogate escape is never equal to one: false, not a throw. An unescaped name (nearly all) is compared as bytes.
    /// </summary>
    public static bool Is(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
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
    /// The value of the object's property named <paramref name="utf8Name"/> (an ASCII name; the last one when it occurs
    /// more than once, as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> finds it). A name holding a
    /// lone surrogate escape is just another name: skipped, never a throw.
    /// </summary>
    public static bool TryGetProperty(JsonElement obj, ReadOnlySpan<byte> utf8Name, out JsonElement value)
    {
        value = default;
        var found = false;
        foreach (var property in obj.EnumerateObject())
        {
            if (NameIs(property, utf8Name))
            {
                value = property.Value;
                found = true;
            }
        }
        return found;
    }

    private static bool NameIs(JsonProperty property, ReadOnlySpan<byte> utf8Name)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return raw.SequenceEqual(utf8Name);
        }
        try
        {
            return property.NameEquals(utf8Name);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether a string token's raw (still escaped) bytes hold a <c>\uD800</c>–<c>\uDFFF</c> escape that is not half of
    /// a high-low pair: the one way a JSON string over valid UTF-8 can fail to be Unicode text. Checked on the bytes,
    /// so a long text is never decoded just to be validated.
    /// </summary>
    public static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> raw)
    {
        var i = raw.IndexOf((byte)'\\');
        while (i >= 0 && i + 1 < raw.Length)
        {
            if (raw[i + 1] != (byte)'u')
            {
                // Any other escape is two bytes (\n, \", \\ ...): skip both, so "\\u" is not read as \u.
                i = Next(raw, i + 2);
                continue;
            }
            if (!TryHex4(raw, i + 2, out var unit))
            {
                return false; // the reader validated escapes; not reachable for its tokens
            }
            if (char.IsHighSurrogate(unit))
            {
                if (i + 12 <= raw.Length && raw[i + 6] == (byte)'\\' && raw[i + 7] == (byte)'u' && TryHex4(raw, i + 8, out var low) && char.IsLowSurrogate(low))
                {
                    i = Next(raw, i + 12);
                    continue;
                }
                return true;
            }
            if (char.IsLowSurrogate(unit))
            {
                return true;
            }
            i = Next(raw, i + 6);
        }
        return false;

        static int Next(ReadOnlySpan<byte> raw, int from) => from >= raw.Length ? -1 : raw[from..].IndexOf((byte)'\\') is var at and >= 0 ? from + at : -1;
    }

    private static bool TryHex4(ReadOnlySpan<byte> raw, int start, out char unit)
    {
        unit = '\0';
        if (start + 4 > raw.Length)
        {
            return false;
        }
        var ok = ushort.TryParse(raw.Slice(start, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var value);
        unit = (char)value;
        return ok;
    }

    /// <summary>The current string token as text, or null when it is not valid Unicode text.</summary>
    public static string? TryGetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A string element as text; false when it is not valid Unicode text.</summary>
    public static bool TryGetString(JsonElement element, out string value)
    {
        try
        {
            value = element.GetString() ?? "";
            return true;
        }
        catch (InvalidOperationException)
        {
            value = "";
            return false;
        }
    }

    /// <summary>
    /// A string element as text, with each lone surrogate and each invalid UTF-8 sequence replaced by U+FFFD, as Go's
    /// decoder (Ollama) and the WHATWG TextDecoder do: for text that is shown or relayed, never compared.
    /// </summary>
    public static string GetStringLenient(JsonElement element)
    {
        if (TryGetString(element, out var value))
        {
            return value;
        }
        // The token's raw bytes, quotes included; not GetRawText, which throws on invalid UTF-8 too.
        var raw = JsonMarshal.GetRawUtf8Value(element);
        return UnescapeLenient(Encoding.UTF8.GetString(raw[1..^1]));
    }

    /// <summary>Decodes the escapes of a JSON string's body (RFC 8259 §7), replacing unpaired surrogates by U+FFFD.</summary>
    internal static string UnescapeLenient(string escaped)
    {
        var text = new StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            var c = escaped[i];
            if (c != '\\' || i + 1 >= escaped.Length)
            {
                // Decoded from UTF-8, unescaped characters are well-formed UTF-16 (pairs included).
                text.Append(c);
                continue;
            }
            var next = escaped[++i];
            if (next != 'u')
            {
                text.Append(next switch { 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', _ => next });
                continue;
            }
            if (!TryHex4(escaped, i + 1, out var unit))
            {
                text.Append('\uFFFD');
                continue;
            }
            i += 4;
            if (char.IsHighSurrogate(unit) && i + 2 < escaped.Length && escaped[i + 1] == '\\' && escaped[i + 2] == 'u'
                && TryHex4(escaped, i + 3, out var low) && char.IsLowSurrogate(low))
            {
                text.Append(unit).Append(low);
                i += 6;
                continue;
            }
            text.Append(char.IsSurrogate(unit) ? '\uFFFD' : unit);
        }
        return text.ToString();
    }

    private static bool TryHex4(string text, int start, out char unit)
    {
        unit = '\0';
        if (start + 4 > text.Length)
        {
            return false;
        }
        var ok = ushort.TryParse(text.AsSpan(start, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var value);
        unit = (char)value;
        return ok;
    }
}

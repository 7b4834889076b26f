namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// The one check <see cref="System.Text.Json.Utf8JsonReader"/> leaves to its caller: an escaped string may spell a lone
/// UTF-16 surrogate (<c>"\ud800"</c>), which is valid JSON text (RFC 8259, section 8.2) but no Unicode text. Forwarded
/// upstream it makes Python servers fail with an unhelpful 500 and cannot be transcoded to UTF-8, so the Anthropic door
/// refuses it with a 400 instead.
/// </summary>
internal static class JsonEscapes
{
    /// <summary>True when the raw (escaped) string content has a high surrogate not followed by a low one, or a low one alone.</summary>
    public static bool HasLoneSurrogate(ReadOnlySpan<byte> escaped)
    {
        var i = escaped.IndexOf((byte)'\\');
        while (i >= 0 && i + 1 < escaped.Length)
        {
            if (escaped[i + 1] != (byte)'u')
            {
                // \n, \", \\ and the like: two bytes, never a surrogate.
                i += 2;
            }
            else
            {
                var unit = Hex4(escaped, i + 2);
                i += 6;
                if (unit is >= 0xDC00 and <= 0xDFFF)
                {
                    return true;
                }
                if (unit is >= 0xD800 and <= 0xDBFF)
                {
                    var low = i + 1 < escaped.Length && escaped[i] == (byte)'\\' && escaped[i + 1] == (byte)'u' ? Hex4(escaped, i + 2) : -1;
                    if (low is < 0xDC00 or > 0xDFFF)
                    {
                        return true;
                    }
                    i += 6;
                }
            }
            if (i >= escaped.Length)
            {
                return false;
            }
            var next = escaped[i..].IndexOf((byte)'\\');
            i = next < 0 ? -1 : i + next;
        }
        return false;
    }

    /// <summary>The value of four hex digits at <paramref name="start"/>, or -1 (the reader has validated escapes already).</summary>
    private static int Hex4(ReadOnlySpan<byte> text, int start)
    {
        if (start + 4 > text.Length)
        {
            return -1;
        }
        var value = 0;
        for (var k = start; k < start + 4; k++)
        {
            var digit = HexValue(text[k]);
            if (digit < 0)
            {
                return -1;
            }
            value = (value << 4) | digit;
        }
        return value;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}

using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Where one JSON value sits in a request body, kept while the rest of its object is read: Ollama's fields can come in
/// any order (<c>images</c> after <c>content</c>, <c>system</c> after <c>prompt</c>), and the OpenAI output needs them
/// together. The value is read again from the body when it is written, so nothing is copied in between.
/// </summary>
internal readonly record struct OllamaSegment(int Start, int Length, JsonTokenType Type)
{
    public bool IsPresent => Length > 0 && Type != JsonTokenType.Null;

    /// <summary>The current value's segment; the reader is left on its last token (objects and arrays are skipped).</summary>
    public static OllamaSegment Of(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        var type = reader.TokenType;
        var start = checked((int)reader.TokenStartIndex);
        return new OllamaSegment(start, OllamaJson.RawValue(ref reader, body).Length, type);
    }

    /// <summary>A reader positioned on this value (its first token already read).</summary>
    public Utf8JsonReader Reader(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body.Slice(Start, Length), OllamaJson.ReaderOptions);
        reader.Read();
        return reader;
    }

    /// <summary>True for a string segment holding "" (its raw token is just the two quotes).</summary>
    public bool IsEmptyString => Type == JsonTokenType.String && Length == 2;

    /// <summary>The unescaped text of a string segment, or null for any other value (or none).</summary>
    public string? String(ReadOnlySpan<byte> body)
    {
        if (Type != JsonTokenType.String)
        {
            return null;
        }
        var reader = Reader(body);
        return OllamaJson.GetString(ref reader, Bytes(body));
    }

    /// <summary>The raw bytes of the value.</summary>
    public ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> body) => body.Slice(Start, Length);
}

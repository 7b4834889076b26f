using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// The top-level fields /api/chat, /api/generate and the embedding routes share: <c>model</c>, <c>stream</c>,
/// <c>keep_alive</c>, <c>options</c> and <c>format</c>. One instance per translated request.
/// </summary>
internal ref struct OllamaCommonFields
{
    public string? Model;

    /// <summary>Ollama streams unless told not to: an absent <c>stream</c> means true (docs/ollama.md, "Streaming").</summary>
    public bool Stream = true;

    public bool KeepAliveZero;

    public OllamaCommonFields()
    {
    }

    /// <summary>
    /// Handles the property the reader is on when it is a shared one: true with <paramref name="problem"/> set on a bad
    /// value, true when handled, false when the caller should look at it. <c>options</c> and <c>format</c> are written to
    /// <paramref name="writer"/> as OpenAI fields unless it is null (the embedding routes drop them).
    /// </summary>
    public bool TryHandle(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter? writer, out string? problem)
    {
        problem = null;
        if (OllamaJson.TextEquals(ref reader, "model"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                Model = OllamaJson.GetString(ref reader, body);
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                problem = "model must be a string";
            }
            return true;
        }
        if (OllamaJson.TextEquals(ref reader, "stream"u8))
        {
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.True or JsonTokenType.Null:
                    Stream = true;
                    break;
                case JsonTokenType.False:
                    Stream = false;
                    break;
                default:
                    problem = "stream must be a boolean";
                    break;
            }
            return true;
        }
        if (OllamaJson.TextEquals(ref reader, "keep_alive"u8))
        {
            reader.Read();
            KeepAliveZero = IsZeroDuration(ref reader);
            reader.Skip();
            return true;
        }
        if (OllamaJson.TextEquals(ref reader, "options"u8))
        {
            reader.Read();
            if (writer is null)
            {
                reader.Skip();
                return true;
            }
            problem = OllamaOptionsTranslator.WriteOptions(ref reader, body, writer);
            return true;
        }
        if (OllamaJson.TextEquals(ref reader, "format"u8))
        {
            reader.Read();
            if (writer is null)
            {
                reader.Skip();
                return true;
            }
            problem = OllamaOptionsTranslator.WriteFormat(ref reader, body, writer);
            return true;
        }
        return false;
    }

    /// <summary>The model, or the problem Ollama itself answers when it is missing.</summary>
    public readonly string? ModelProblem => string.IsNullOrWhiteSpace(Model) ? "model is required" : null;

    /// <summary>
    /// <c>keep_alive</c> is a number of seconds or a Go duration string ("5m", "0", "0s"); only "zero" matters here:
    /// it turns a load call into an unload call. Any number or duration whose digits are all zero is zero.
    /// </summary>
    private static bool IsZeroDuration(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.TryGetDouble(out var seconds) && seconds == 0;
        }
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
        {
            return false;
        }
        var text = reader.ValueSpan;
        var digits = 0;
        var i = 0;
        for (; i < text.Length && text[i] is (byte)'0' or (byte)'.'; i++)
        {
            digits += text[i] == (byte)'0' ? 1 : 0;
        }
        for (; i < text.Length; i++)
        {
            if (!char.IsAsciiLetterLower((char)text[i]))
            {
                return false;
            }
        }
        return digits > 0;
    }
}

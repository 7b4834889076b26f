using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Ollama's response property names, encoded once: writing a <see cref="JsonEncodedText"/> is a copy, with no escaping
/// check per streamed line.
/// </summary>
internal static class OllamaWire
{
    public static readonly JsonEncodedText Model = JsonEncodedText.Encode("model"u8);
    public static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("created_at"u8);
    public static readonly JsonEncodedText Message = JsonEncodedText.Encode("message"u8);
    public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role"u8);
    public static readonly JsonEncodedText Assistant = JsonEncodedText.Encode("assistant"u8);
    public static readonly JsonEncodedText Content = JsonEncodedText.Encode("content"u8);
    public static readonly JsonEncodedText Thinking = JsonEncodedText.Encode("thinking"u8);
    public static readonly JsonEncodedText Response = JsonEncodedText.Encode("response"u8);
    public static readonly JsonEncodedText ToolCalls = JsonEncodedText.Encode("tool_calls"u8);
    public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id"u8);
    public static readonly JsonEncodedText Function = JsonEncodedText.Encode("function"u8);
    public static readonly JsonEncodedText Index = JsonEncodedText.Encode("index"u8);
    public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name"u8);
    public static readonly JsonEncodedText Arguments = JsonEncodedText.Encode("arguments"u8);
    public static readonly JsonEncodedText Done = JsonEncodedText.Encode("done"u8);
    public static readonly JsonEncodedText DoneReason = JsonEncodedText.Encode("done_reason"u8);
    public static readonly JsonEncodedText TotalDuration = JsonEncodedText.Encode("total_duration"u8);
    public static readonly JsonEncodedText LoadDuration = JsonEncodedText.Encode("load_duration"u8);
    public static readonly JsonEncodedText PromptEvalCount = JsonEncodedText.Encode("prompt_eval_count"u8);
    public static readonly JsonEncodedText PromptEvalDuration = JsonEncodedText.Encode("prompt_eval_duration"u8);
    public static readonly JsonEncodedText EvalCount = JsonEncodedText.Encode("eval_count"u8);
    public static readonly JsonEncodedText EvalDuration = JsonEncodedText.Encode("eval_duration"u8);
    public static readonly JsonEncodedText Error = JsonEncodedText.Encode("error"u8);
    public static readonly JsonEncodedText Stop = JsonEncodedText.Encode("stop"u8);
    public static readonly JsonEncodedText Length = JsonEncodedText.Encode("length"u8);
    public static readonly JsonEncodedText Load = JsonEncodedText.Encode("load"u8);
    public static readonly JsonEncodedText Unload = JsonEncodedText.Encode("unload"u8);

    /// <summary>The NDJSON content type of Ollama's streams.</summary>
    public const string NdjsonContentType = "application/x-ndjson";

    /// <summary>
    /// Ollama's <c>done_reason</c> for an OpenAI <c>finish_reason</c>: "length" stays, everything else (stop,
    /// tool_calls, content_filter, none) is "stop" — Ollama ends a tool call turn with "stop" too.
    /// </summary>
    public static JsonEncodedText DoneReasonFor(bool length) => length ? Length : Stop;

    public static readonly JsonEncodedText ModifiedAt = JsonEncodedText.Encode("modified_at"u8);
    public static readonly JsonEncodedText ExpiresAt = JsonEncodedText.Encode("expires_at"u8);

    /// <summary>Writes <c>"created_at"</c>: see <see cref="WriteTime"/>.</summary>
    public static void WriteCreatedAt(Utf8JsonWriter writer, DateTimeOffset at) => WriteTime(writer, CreatedAt, at);

    /// <summary>
    /// Writes a time as RFC 3339 in UTC with seven fraction digits ("2024-05-01T12:00:00.1234567Z"), which Go's
    /// time.Time, Python and JavaScript all parse (Ollama itself writes Go's nanosecond form).
    /// </summary>
    public static void WriteTime(Utf8JsonWriter writer, JsonEncodedText name, DateTimeOffset at)
    {
        Span<byte> text = stackalloc byte[40];
        at.UtcDateTime.TryFormat(text, out var written, "O", System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteString(name, text[..written]);
    }
}

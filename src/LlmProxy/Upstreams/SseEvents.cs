using System.Text.Json;
using LlmProxy.Json;

namespace LlmProxy.Upstreams;

/// <summary>
/// The little of SSE framing the relay needs (WHATWG HTML, "server-sent events"): where an event ends (a blank line,
/// LF or CRLF), which field carries its payload, and whether it is [DONE], an error or carries usage. Names are compared
/// with <see cref="JsonText.Is"/>: an upstream event with a lone surrogate escape in a name must not end the relay.
/// </summary>
internal static class SseEvents
{
    /// <summary>Finds the end of the first complete event: its length and the length of the blank-line separator.</summary>
    public static bool TryFindEnd(ReadOnlySpan<byte> data, out int eventLength, out int separatorLength)
    {
        var lf = data.IndexOf("\n\n"u8);
        var crlf = data.IndexOf("\r\n\r\n"u8);
        if (crlf >= 0 && (lf < 0 || crlf < lf))
        {
            eventLength = crlf;
            separatorLength = 4;
            return true;
        }
        if (lf >= 0)
        {
            // "…\r\n\n" (a CRLF line then a bare LF) still ends the event; keep the CR out of the event.
            eventLength = lf > 0 && data[lf - 1] == (byte)'\r' ? lf - 1 : lf;
            separatorLength = lf + 2 - eventLength;
            return true;
        }
        eventLength = separatorLength = 0;
        return false;
    }

    public static bool IsBlank(ReadOnlySpan<byte> data) => data.Trim(" \r\n\t"u8).IsEmpty;

    /// <summary>Classifies an event and gives the range of its payload (the value of its first data or error field).</summary>
    public static SseEventKind Classify(ReadOnlySpan<byte> sseEvent, out Range payload)
    {
        payload = default;
        var offset = 0;
        foreach (var line in new LineEnumerable(sseEvent))
        {
            var isData = line.StartsWith("data:"u8);
            // llama.cpp's server reports a failure as an `error:` field, not as data.
            var isError = !isData && line.StartsWith("error:"u8);
            if (isData || isError)
            {
                var valueStart = isData ? 5 : 6;
                if (valueStart < line.Length && line[valueStart] == (byte)' ')
                {
                    valueStart++;
                }
                var value = line[valueStart..].TrimEnd("\r"u8);
                payload = new Range(offset + valueStart, offset + valueStart + value.Length);
                if (isError)
                {
                    return SseEventKind.Error;
                }
                if (value.Trim(" \t"u8).SequenceEqual("[DONE]"u8))
                {
                    return SseEventKind.Done;
                }
                return value.IndexOf("\"error\""u8) >= 0 && IsErrorObject(value) ? SseEventKind.Error : SseEventKind.Data;
            }
            offset += line.Length + 1;
        }
        return SseEventKind.Data;
    }

    /// <summary>True for <c>{"error":...}</c> and vLLM's flat <c>{"object":"error",...}</c> (a top-level look only).</summary>
    public static bool IsErrorObject(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (JsonText.Is(ref reader, "error"u8))
                {
                    reader.Read();
                    return reader.TokenType is JsonTokenType.StartObject or JsonTokenType.String;
                }
                if (JsonText.Is(ref reader, "object"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && JsonText.Is(ref reader, "error"u8))
                    {
                        return true;
                    }
                    continue;
                }
                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return false;
    }

    /// <summary>Reads a top-level <c>usage</c> object's token counts (the include_usage chunk, a non-streaming body).</summary>
    public static bool TryReadUsage(ReadOnlySpan<byte> json, out int promptTokens, out int completionTokens)
    {
        promptTokens = completionTokens = 0;
        if (json.IndexOf("\"usage\""u8) < 0)
        {
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!TrySeekTopLevel(ref reader, "usage"u8) || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            var found = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isPrompt = JsonText.Is(ref reader, "prompt_tokens"u8);
                var isCompletion = JsonText.Is(ref reader, "completion_tokens"u8);
                reader.Read();
                if (isPrompt && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var p))
                {
                    promptTokens = p;
                    found = true;
                }
                else if (isCompletion && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var c))
                {
                    completionTokens = c;
                    found = true;
                }
                else
                {
                    reader.Skip();
                }
            }
            return found;
        }
        catch (JsonException)
        {
        }
        return false;
    }

    /// <summary>
    /// True for the chunk that <c>stream_options.include_usage</c> adds at the end of a stream: a top-level
    /// <c>usage</c> object and no choices (<c>"choices":[]</c>, as OpenAI, vLLM and Ollama send it, or none at all).
    /// A chunk that carries content or a finish reason besides its usage is not one.
    /// </summary>
    public static bool IsUsageOnlyChunk(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\"usage\""u8) < 0)
        {
            return false;
        }
        var usage = false;
        var choicesEmpty = true;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUsage = reader.ValueTextEquals("usage"u8);
                var isChoices = !isUsage && reader.ValueTextEquals("choices"u8);
                reader.Read();
                if (isUsage)
                {
                    usage = reader.TokenType == JsonTokenType.StartObject;
                }
                else if (isChoices)
                {
                    choicesEmpty = reader.TokenType == JsonTokenType.StartArray && reader.Read() && reader.TokenType == JsonTokenType.EndArray;
                    if (!choicesEmpty)
                    {
                        return false;
                    }
                    continue;
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return false;
        }
        return usage && choicesEmpty;
    }

    /// <summary>
    /// Reads the top-level <c>model</c> string of an answer or a chunk: the model the upstream says answered, for the
    /// attempt span's <c>gen_ai.response.model</c>. Called only while a span records, once per call.
    /// </summary>
    public static bool TryReadModel(ReadOnlySpan<byte> json, out string? model)
    {
        model = null;
        if (json.IndexOf("\"model\""u8) < 0)
        {
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(json);
            if (TrySeekTopLevel(ref reader, "model"u8) && reader.TokenType == JsonTokenType.String)
            {
                model = reader.GetString();
                return model is not null;
            }
        }
        catch (JsonException)
        {
        }
        catch (InvalidOperationException)
        {
            // A string the reader cannot transcode (a lone surrogate escape): no model to report.
        }
        return false;
    }

    /// <summary>
    /// Moves <paramref name="reader"/> onto the value of the first top-level property called <paramref name="name"/>;
    /// false when the text is not an object or has no such property. Throws <see cref="JsonException"/> on malformed
    /// JSON, as the reader does: the callers catch it.
    /// </summary>
    private static bool TrySeekTopLevel(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = JsonText.Is(ref reader, name);
            reader.Read();
            if (match)
            {
                return true;
            }
            reader.Skip();
        }
        return false;
    }

    /// <summary>Lines of an event split on LF (a trailing CR is trimmed by the caller), without allocating.</summary>
    private readonly ref struct LineEnumerable(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public LineEnumerator GetEnumerator() => new(_data);
    }

    private ref struct LineEnumerator(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;
        private bool _done;

        public ReadOnlySpan<byte> Current { get; private set; }

        public bool MoveNext()
        {
            if (_done)
            {
                return false;
            }
            var lf = _rest.IndexOf((byte)'\n');
            if (lf < 0)
            {
                Current = _rest;
                _done = true;
                return true;
            }
            Current = _rest[..lf];
            _rest = _rest[(lf + 1)..];
            return true;
        }
    }
}

/// <summary>What the relay needs to know about an upstream event.</summary>
internal enum SseEventKind
{
    /// <summary>An ordinary event (a chunk, a comment): delivered to the door's sink.</summary>
    Data,

    /// <summary><c>data: [DONE]</c>.</summary>
    Done,

    /// <summary><c>data: {"error":...}</c>, vLLM's <c>data: {"object":"error",...}</c>, or llama.cpp's <c>error: {...}</c> field.</summary>
    Error,
}

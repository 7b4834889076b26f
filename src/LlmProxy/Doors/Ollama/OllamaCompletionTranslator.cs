using System.Buffers;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// A whole OpenAI <c>chat.completion</c> → Ollama's non-streaming answer of /api/chat
/// (<c>{"model","created_at","message":{...},"done":true,...}</c>) or /api/generate (<c>"response"</c> instead of
/// <c>"message"</c>), in one <see cref="Utf8JsonReader"/> pass. The first choice is the answer (Ollama has no <c>n</c>);
/// <c>reasoning_content</c> (vLLM, llama.cpp, LM Studio) or <c>reasoning</c> becomes <c>thinking</c>; <c>usage</c>
/// becomes <c>prompt_eval_count</c> and <c>eval_count</c>, left out when the upstream sent none (as Ollama leaves out
/// zero counts). docs/ollama.md, "Responses".
/// </summary>
internal static class OllamaCompletionTranslator
{
    public static OllamaAnswer WriteChat(ReadOnlySpan<byte> completion, string model, DateTimeOffset createdAt, OllamaTimings timings, IBufferWriter<byte> output) =>
        Write(completion, model, createdAt, timings, output, chat: true);

    public static OllamaAnswer WriteGenerate(ReadOnlySpan<byte> completion, string model, DateTimeOffset createdAt, OllamaTimings timings, IBufferWriter<byte> output) =>
        Write(completion, model, createdAt, timings, output, chat: false);

    private static OllamaAnswer Write(ReadOnlySpan<byte> completion, string model, DateTimeOffset createdAt, OllamaTimings timings, IBufferWriter<byte> output, bool chat)
    {
        Parts parts;
        try
        {
            if (!TryRead(completion, out parts))
            {
                return OllamaAnswer.NotTranslated;
            }
        }
        catch (JsonException)
        {
            return OllamaAnswer.NotTranslated;
        }
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Model, model);
        OllamaWire.WriteCreatedAt(writer, createdAt);
        if (chat)
        {
            writer.WritePropertyName(OllamaWire.Message);
            writer.WriteStartObject();
            writer.WriteString(OllamaWire.Role, OllamaWire.Assistant);
            WriteText(writer, OllamaWire.Content, completion, parts.Content);
            if (parts.Reasoning.IsPresent)
            {
                WriteText(writer, OllamaWire.Thinking, completion, parts.Reasoning);
            }
            if (parts.ToolCalls.IsPresent)
            {
                var reader = parts.ToolCalls.Reader(completion);
                OllamaToolCallOutput.WriteFromOpenAi(writer, ref reader, parts.ToolCalls.Bytes(completion));
            }
            writer.WriteEndObject();
        }
        else
        {
            WriteText(writer, OllamaWire.Response, completion, parts.Content);
            if (parts.Reasoning.IsPresent)
            {
                WriteText(writer, OllamaWire.Thinking, completion, parts.Reasoning);
            }
        }
        writer.WriteBoolean(OllamaWire.Done, true);
        writer.WriteString(OllamaWire.DoneReason, OllamaWire.DoneReasonFor(parts.Length));
        WriteMetrics(writer, timings, parts.PromptTokens, parts.CompletionTokens);
        writer.WriteEndObject();
        writer.Flush();
        return new OllamaAnswer(true, parts.PromptTokens, parts.CompletionTokens);
    }

    /// <summary>The durations and counts of Ollama's last object; a count the upstream did not send is left out.</summary>
    internal static void WriteMetrics(Utf8JsonWriter writer, OllamaTimings timings, long? promptTokens, long? completionTokens)
    {
        writer.WriteNumber(OllamaWire.TotalDuration, timings.TotalNs);
        writer.WriteNumber(OllamaWire.LoadDuration, timings.LoadNs);
        if (promptTokens is { } prompt)
        {
            writer.WriteNumber(OllamaWire.PromptEvalCount, prompt);
        }
        writer.WriteNumber(OllamaWire.PromptEvalDuration, timings.PromptEvalNs);
        if (completionTokens is { } eval)
        {
            writer.WriteNumber(OllamaWire.EvalCount, eval);
        }
        writer.WriteNumber(OllamaWire.EvalDuration, timings.EvalNs);
    }

    private static void WriteText(Utf8JsonWriter writer, JsonEncodedText name, ReadOnlySpan<byte> completion, OllamaSegment text)
    {
        writer.WritePropertyName(name);
        if (!text.IsPresent)
        {
            writer.WriteStringValue(""u8);
            return;
        }
        var reader = text.Reader(completion);
        OllamaJson.CopyString(writer, ref reader, text.Bytes(completion));
    }

    private static bool TryRead(ReadOnlySpan<byte> completion, out Parts parts)
    {
        parts = default;
        var reader = new Utf8JsonReader(completion, OllamaJson.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        var sawChoices = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (OllamaJson.TextEquals(ref reader, "choices"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }
                sawChoices = true;
                ReadFirstChoice(ref reader, completion, ref parts);
            }
            else if (OllamaJson.TextEquals(ref reader, "usage"u8))
            {
                reader.Read();
                OllamaUsage.Read(ref reader, out parts.PromptTokens, out parts.CompletionTokens);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return sawChoices;
    }

    private static void ReadFirstChoice(ref Utf8JsonReader reader, ReadOnlySpan<byte> completion, ref Parts parts)
    {
        var first = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!first || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            first = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (OllamaJson.TextEquals(ref reader, "message"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadMessage(ref reader, completion, ref parts);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (OllamaJson.TextEquals(ref reader, "finish_reason"u8))
                {
                    reader.Read();
                    parts.Length = reader.TokenType == JsonTokenType.String && OllamaJson.TextEquals(ref reader, "length"u8);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private static void ReadMessage(ref Utf8JsonReader reader, ReadOnlySpan<byte> completion, ref Parts parts)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (OllamaJson.TextEquals(ref reader, "content"u8))
            {
                parts.Content = StringOrNone(ref reader, completion);
            }
            else if (OllamaJson.TextEquals(ref reader, "reasoning_content"u8) || OllamaJson.TextEquals(ref reader, "reasoning"u8))
            {
                var reasoning = StringOrNone(ref reader, completion);
                if (reasoning.IsPresent && !reasoning.IsEmptyString)
                {
                    parts.Reasoning = reasoning;
                }
            }
            else if (OllamaJson.TextEquals(ref reader, "tool_calls"u8))
            {
                reader.Read();
                parts.ToolCalls = reader.TokenType == JsonTokenType.StartArray ? OllamaSegment.Of(ref reader, completion) : Skipped(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static OllamaSegment StringOrNone(ref Utf8JsonReader reader, ReadOnlySpan<byte> completion)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.String ? OllamaSegment.Of(ref reader, completion) : Skipped(ref reader);
    }

    private static OllamaSegment Skipped(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return default;
    }

    private struct Parts
    {
        public OllamaSegment Content;
        public OllamaSegment Reasoning;
        public OllamaSegment ToolCalls;
        public bool Length;
        public long? PromptTokens;
        public long? CompletionTokens;
    }
}

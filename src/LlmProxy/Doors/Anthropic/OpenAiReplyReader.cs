using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// One forward <see cref="Utf8JsonReader"/> pass over an OpenAI answer or stream chunk into an <see cref="OpenAiReply"/>:
/// only the first choice's <c>message</c>/<c>delta</c> (the door never asks for n &gt; 1), its finish reason, the usage
/// and an error object are looked at; everything else is skipped without being materialised.
/// </summary>
internal static class OpenAiReplyReader
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>Fills <paramref name="reply"/> (reset by the caller). Malformed JSON throws <see cref="JsonException"/>.</summary>
    public static void Read(ReadOnlySpan<byte> json, OpenAiReply reply)
    {
        try
        {
            ReadObject(json, reply);
        }
        catch (InvalidOperationException e)
        {
            // ValueTextEquals unescapes to compare and throws on a lone surrogate escape (a name or a finish_reason).
            throw new JsonException("The answer has an invalid escape", e);
        }
    }

    private static void ReadObject(ReadOnlySpan<byte> json, OpenAiReply reply)
    {
        var reader = new Utf8JsonReader(json, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The answer is not a JSON object");
        }
        var flatError = false;
        JsonSlice flatMessage = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                ReadChoices(ref reader, reply);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                ReadUsage(ref reader, reply);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                ReadError(ref reader, reply);
            }
            else if (reader.ValueTextEquals("object"u8))
            {
                // vLLM's flat error body: {"object":"error","message":"...","type":"...","code":400}.
                reader.Read();
                flatError |= reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("error"u8);
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                flatMessage = reader.TokenType == JsonTokenType.String ? StringSlice(ref reader) : flatMessage;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (flatError)
        {
            reply.IsError = true;
            reply.ErrorMessage = flatMessage;
        }
    }

    private static void ReadChoices(ref Utf8JsonReader reader, OpenAiReply reply)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reply.HasChoice || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            reply.HasChoice = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    ReadMessage(ref reader, reply);
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    var finish = AnthropicStopReason.Classify(ref reader);
                    reply.Finish = finish == FinishReason.None ? reply.Finish : finish;
                }
                else if (reader.ValueTextEquals("stop_reason"u8))
                {
                    // vLLM: the matched stop string, or a stop token id (a number), or null at end of sequence.
                    reader.Read();
                    reply.StopSequence = reader.TokenType == JsonTokenType.String ? StringSlice(ref reader) : reply.StopSequence;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private static void ReadMessage(ref Utf8JsonReader reader, OpenAiReply reply)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                reply.Content = reader.TokenType == JsonTokenType.String ? StringSlice(ref reader) : reply.Content;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8))
            {
                // DeepSeek, Qwen and older vLLM say reasoning_content; newer vLLM, Ollama and LM Studio say reasoning.
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                {
                    reply.Reasoning = StringSlice(ref reader);
                }
                reader.Skip();
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                ReadToolCalls(ref reader, reply);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void ReadToolCalls(ref Utf8JsonReader reader, OpenAiReply reply)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            var piece = new ToolCallPiece { Index = -1 };
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    piece.Index = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var index) && index >= 0 ? index : -1;
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    piece.Id = reader.TokenType == JsonTokenType.String ? StringSlice(ref reader) : default;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    ReadFunction(ref reader, ref piece);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            reply.AddToolCall(piece);
        }
    }

    private static void ReadFunction(ref Utf8JsonReader reader, ref ToolCallPiece piece)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                piece.Name = reader.TokenType == JsonTokenType.String ? StringSlice(ref reader) : default;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                reader.Read();
                piece.ArgumentsKind = reader.TokenType;
                var start = (int)reader.TokenStartIndex;
                if (reader.TokenType == JsonTokenType.String)
                {
                    piece.Arguments = StringSlice(ref reader);
                }
                else if (reader.TokenType == JsonTokenType.StartObject)
                {
                    // Not OpenAI's shape (arguments are a string there), but Ollama's native one: taken as the input.
                    reader.Skip();
                    piece.Arguments = new JsonSlice(start, (int)reader.BytesConsumed - start);
                }
                else
                {
                    piece.ArgumentsKind = JsonTokenType.None;
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void ReadUsage(ref Utf8JsonReader reader, OpenAiReply reply)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
            var isCompletion = !isPrompt && reader.ValueTextEquals("completion_tokens"u8);
            reader.Read();
            if ((isPrompt || isCompletion) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var count) && count >= 0)
            {
                if (isPrompt)
                {
                    reply.PromptTokens = count;
                }
                else
                {
                    reply.CompletionTokens = count;
                }
            }
            reader.Skip();
        }
    }

    /// <summary><c>"error": {"message": ...}</c> (OpenAI, llama.cpp) or <c>"error": "..."</c> (Ollama); null is no error.</summary>
    private static void ReadError(ref Utf8JsonReader reader, OpenAiReply reply)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return;
            case JsonTokenType.String:
                reply.IsError = true;
                reply.ErrorMessage = StringSlice(ref reader);
                return;
            case JsonTokenType.StartObject:
                reply.IsError = true;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isMessage = reader.ValueTextEquals("message"u8);
                    reader.Read();
                    if (isMessage && reader.TokenType == JsonTokenType.String)
                    {
                        reply.ErrorMessage = StringSlice(ref reader);
                    }
                    reader.Skip();
                }
                return;
            default:
                reply.IsError = true;
                reader.Skip();
                return;
        }
    }

    /// <summary>The string token the reader is on, quotes included.</summary>
    private static JsonSlice StringSlice(ref Utf8JsonReader reader) =>
        new((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2);
}

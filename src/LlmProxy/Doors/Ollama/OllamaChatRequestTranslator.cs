using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// <c>POST /api/chat</c> body → OpenAI <c>/v1/chat/completions</c> body, in one <see cref="Utf8JsonReader"/> pass
/// over the request with a <see cref="Utf8JsonWriter"/> writing the output (docs/ollama.md, "/api/chat").
/// Carried: model, messages (images, tool calls and tool results translated), tools, format, the sampling options
/// and stream (true when absent, as in Ollama; a stream also asks for the usage chunk). Dropped: keep_alive, think,
/// a message's thinking and every field OpenAI has no form for. Never throws: a body it cannot carry is a 400.
/// </summary>
internal static class OllamaChatRequestTranslator
{
    /// <summary>
    /// Translates <paramref name="body"/> into <paramref name="output"/>. <paramref name="upstreamModel"/> maps the
    /// client's model name to the one sent upstream (aliases); the model is written last, after routing could see it.
    /// </summary>
    public static OllamaRequest Translate(ReadOnlySpan<byte> body, IBufferWriter<byte> output, Func<string, string>? upstreamModel = null) =>
        OllamaBodyTranslation.Run(body, output, upstreamModel, Translate);

    private static OllamaRequest Translate(ReadOnlySpan<byte> body, Utf8JsonWriter writer, Func<string, string>? upstreamModel)
    {
        var reader = new Utf8JsonReader(body, OllamaJson.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return OllamaRequest.Invalid("request body must be a JSON object");
        }
        var common = new OllamaCommonFields();
        var messageCount = 0;
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (common.TryHandle(ref reader, body, writer, out var problem))
            {
                // A field all Ollama routes share: handled.
            }
            else if (OllamaJson.TextEquals(ref reader, "messages"u8))
            {
                reader.Read();
                problem = reader.TokenType switch
                {
                    JsonTokenType.Null => null,
                    JsonTokenType.StartArray => WriteMessages(ref reader, body, writer, out messageCount),
                    _ => "messages must be a list",
                };
            }
            else if (OllamaJson.TextEquals(ref reader, "tools"u8))
            {
                reader.Read();
                problem = WriteTools(ref reader, body, writer);
            }
            else
            {
                reader.Read();
                reader.Skip();
                problem = null;
            }
            if (problem is not null)
            {
                return OllamaRequest.Invalid(problem);
            }
        }
        // A well-formed object has nothing left; trailing data is a JsonException here.
        while (reader.Read())
        {
        }
        if (common.ModelProblem is { } modelProblem)
        {
            return OllamaRequest.Invalid(modelProblem);
        }
        var model = common.Model!;
        if (messageCount == 0)
        {
            return new OllamaRequest(common.KeepAliveZero ? OllamaRequestKind.Unload : OllamaRequestKind.Load, model, common.Stream, null);
        }
        WriteTail(writer, model, common.Stream, upstreamModel);
        return new OllamaRequest(OllamaRequestKind.Upstream, model, common.Stream, null);
    }

    /// <summary>The fields written after the body was read: stream, the usage request, model; then the closing brace.</summary>
    internal static void WriteTail(Utf8JsonWriter writer, string model, bool stream, Func<string, string>? upstreamModel)
    {
        writer.WriteBoolean("stream"u8, stream);
        if (stream)
        {
            // Ollama's last line carries the token counts; OpenAI servers send usage in a stream only when asked.
            writer.WritePropertyName("stream_options"u8);
            writer.WriteStartObject();
            writer.WriteBoolean("include_usage"u8, true);
            writer.WriteEndObject();
        }
        writer.WriteString("model"u8, upstreamModel?.Invoke(model) ?? model);
        writer.WriteEndObject();
        writer.Flush();
    }

    private static string? WriteMessages(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer, out int count)
    {
        count = 0;
        OllamaToolCallIds? ids = null;
        writer.WritePropertyName("messages"u8);
        writer.WriteStartArray();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return string.Create(CultureInfo.InvariantCulture, $"messages[{count}] must be an object");
            }
            var problem = OllamaChatMessage.Read(ref reader, body, out var message);
            problem ??= WriteMessage(message, body, writer, ref ids, count);
            if (problem is not null)
            {
                return Field(count, problem);
            }
            count++;
        }
        writer.WriteEndArray();
        return null;
    }

    private static string? WriteMessage(in OllamaChatMessage message, ReadOnlySpan<byte> body, Utf8JsonWriter writer, ref OllamaToolCallIds? ids, int index)
    {
        var roleReader = message.Role.Reader(body);
        var isAssistant = OllamaJson.TextEquals(ref roleReader, "assistant"u8);
        var isTool = OllamaJson.TextEquals(ref roleReader, "tool"u8);
        writer.WriteStartObject();
        writer.WritePropertyName("role"u8);
        OllamaJson.CopyString(writer, ref roleReader, message.Role.Bytes(body));
        writer.WritePropertyName("content"u8);
        if (OllamaImages.HasAny(body, message.Images))
        {
            var imageProblem = OllamaImages.WriteContentParts(writer, body, message.Content, message.Images, out var bad);
            if (imageProblem != OllamaImageProblem.None)
            {
                return string.Create(CultureInfo.InvariantCulture, $"images[{bad}] {ImageProblemText(imageProblem)}");
            }
        }
        else if (message.Content.IsPresent)
        {
            var content = message.Content.Reader(body);
            OllamaJson.CopyString(writer, ref content, message.Content.Bytes(body));
        }
        else
        {
            writer.WriteStringValue(""u8);
        }
        if (isAssistant && message.ToolCalls.IsPresent)
        {
            ids ??= new OllamaToolCallIds();
            var problem = OllamaToolCallWriter.WriteAssistantCalls(writer, body, message.ToolCalls, ids);
            if (problem is not null)
            {
                return problem;
            }
        }
        if (isTool)
        {
            ids ??= new OllamaToolCallIds();
            writer.WriteString("tool_call_id"u8, ids.Answer(message.ToolCallId.String(body), message.ToolName.String(body)));
        }
        writer.WriteEndObject();
        return null;
    }

    private static string? WriteTools(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return "tools must be a list";
        }
        var scan = reader;
        var count = 0;
        while (scan.Read() && scan.TokenType != JsonTokenType.EndArray)
        {
            if (scan.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return $"tools[{count.ToString(CultureInfo.InvariantCulture)}] must be an object";
            }
            scan.Skip();
            count++;
        }
        if (count == 0)
        {
            // OpenAI rejects an empty tools list; Ollama treats it as "no tools".
            reader.Skip();
            return null;
        }
        // Ollama's tool definitions are OpenAI's ({"type":"function","function":{name, description, parameters}}).
        writer.WritePropertyName("tools"u8);
        writer.WriteRawValue(OllamaJson.RawValue(ref reader, body), skipInputValidation: true);
        return null;
    }

    internal static string ImageProblemText(OllamaImageProblem problem) => problem switch
    {
        OllamaImageProblem.NotAString => "must be a base64 string",
        OllamaImageProblem.NotBase64 => "is not valid base64",
        _ => "is not a PNG, JPEG, GIF or WebP image",
    };

    private static string Field(int index, string problem) =>
        string.Create(CultureInfo.InvariantCulture, $"messages[{index}].{problem}");
}

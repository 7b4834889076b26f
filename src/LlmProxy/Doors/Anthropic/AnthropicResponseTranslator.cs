using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Turns an OpenAI <c>chat.completion</c> body into an Anthropic <c>message</c> (docs/anthropic.md, "Response"): the
/// first choice's reasoning (as a thinking block, only when the client enabled thinking), text and tool calls become
/// content blocks, <c>finish_reason</c> the stop reason, <c>usage</c> the usage. Text, ids and names are copied as the
/// upstream escaped them; a tool call's arguments string is parsed back into the <c>input</c> object.
/// </summary>
internal static class AnthropicResponseTranslator
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonReaderOptions ArgumentsOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Writes the message. False, with <paramref name="problem"/> set, when the body is not a chat completion (not JSON,
    /// no choices, or an error object in a 200 answer): the door answers 502 <c>api_error</c> then.
    /// </summary>
    public static bool TryTranslate(ReadOnlySpan<byte> completion, AnthropicReplyOptions reply, IBufferWriter<byte> output, out TokenUsage usage, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(reply);
        usage = default;
        problem = null;
        var answer = new OpenAiReply();
        try
        {
            OpenAiReplyReader.Read(completion, answer);
        }
        catch (JsonException)
        {
            problem = "The upstream model server's answer is not valid JSON";
            return false;
        }
        if (answer.IsError)
        {
            problem = answer.ErrorMessage.IsPresent
                ? $"The upstream model server answered with an error: {Unescape(answer.ErrorMessage.Raw(completion))}"
                : "The upstream model server answered with an error";
            return false;
        }
        if (!answer.HasChoice)
        {
            problem = "The upstream model server's answer has no choices";
            return false;
        }
        usage = new TokenUsage(
            answer.PromptTokens >= 0 ? answer.PromptTokens : null,
            answer.CompletionTokens >= 0 ? answer.CompletionTokens : null);

        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("id"u8, reply.MessageId);
        writer.WriteString("type"u8, "message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteString("model"u8, reply.Model);
        writer.WriteStartArray("content"u8);
        if (reply.IncludeThinking && answer.Reasoning.Length > 2)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "thinking"u8);
            writer.WritePropertyName("thinking"u8);
            writer.WriteRawValue(answer.Reasoning.Raw(completion), skipInputValidation: true);
            // The upstream has no signature to give; clients send thinking blocks back, and the door drops them.
            writer.WriteString("signature"u8, ""u8);
            writer.WriteEndObject();
        }
        if (answer.Content.Length > 2)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WritePropertyName("text"u8);
            writer.WriteRawValue(answer.Content.Raw(completion), skipInputValidation: true);
            writer.WriteEndObject();
        }
        foreach (var call in answer.ToolCalls)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_use"u8);
            writer.WritePropertyName("id"u8);
            if (call.Id.Length > 2)
            {
                writer.WriteRawValue(call.Id.Raw(completion), skipInputValidation: true);
            }
            else
            {
                writer.WriteStringValue(AnthropicIds.NewToolUseId());
            }
            writer.WritePropertyName("name"u8);
            if (call.Name.IsPresent)
            {
                writer.WriteRawValue(call.Name.Raw(completion), skipInputValidation: true);
            }
            else
            {
                writer.WriteStringValue(""u8);
            }
            writer.WritePropertyName("input"u8);
            WriteInput(writer, completion, call);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();

        var stopReason = AnthropicStopReason.For(answer.Finish, answer.ToolCallCount > 0, answer.StopSequence.IsPresent);
        writer.WriteString("stop_reason"u8, stopReason);
        writer.WritePropertyName("stop_sequence"u8);
        if (AnthropicStopReason.IsStopSequence(stopReason))
        {
            writer.WriteRawValue(answer.StopSequence.Raw(completion), skipInputValidation: true);
        }
        else
        {
            writer.WriteNullValue();
        }
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("input_tokens"u8, answer.PromptTokens >= 0 ? answer.PromptTokens : Math.Max(0, reply.InputTokens));
        writer.WriteNumber("cache_creation_input_tokens"u8, 0);
        writer.WriteNumber("cache_read_input_tokens"u8, 0);
        writer.WriteNumber("output_tokens"u8, Math.Max(0, answer.CompletionTokens));
        writer.WriteEndObject();
        writer.WriteEndObject();
        return true;
    }

    /// <summary>
    /// A tool call's input: the arguments string parsed back into its JSON object. Empty arguments (tools without
    /// parameters; some servers send "") are <c>{}</c>. Arguments that are not one JSON object (the model wrote broken
    /// JSON) are kept as <c>{"_raw":"&lt;text&gt;"}</c>, so the client's schema check fails visibly and the model can
    /// see its own text in the tool error, rather than the call silently running with no arguments.
    /// </summary>
    private static void WriteInput(Utf8JsonWriter writer, ReadOnlySpan<byte> completion, ToolCallPiece call)
    {
        if (call.ArgumentsKind == JsonTokenType.StartObject)
        {
            writer.WriteRawValue(call.Arguments.Raw(completion), skipInputValidation: true);
            return;
        }
        if (call.ArgumentsKind != JsonTokenType.String)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
            return;
        }
        var raw = call.Arguments.Raw(completion);
        var escaped = call.Arguments.StringContent(completion);
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> text = escaped;
            var isText = true;
            if (escaped.IndexOf((byte)'\\') >= 0)
            {
                rented = ArrayPool<byte>.Shared.Rent(escaped.Length);
                isText = TryUnescape(raw, rented, out var length);
                text = rented.AsSpan(0, length);
            }
            if (isText && text.Trim(" \t\r\n"u8).IsEmpty)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else if (isText && IsOneJsonObject(text))
            {
                writer.WriteRawValue(text, skipInputValidation: true);
            }
            else
            {
                writer.WriteStartObject();
                writer.WritePropertyName("_raw"u8);
                writer.WriteRawValue(raw, skipInputValidation: true);
                writer.WriteEndObject();
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool TryUnescape(ReadOnlySpan<byte> quoted, Span<byte> destination, out int length)
    {
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        try
        {
            length = reader.CopyString(destination);
            return true;
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape: not text, so certainly not a JSON object.
            length = 0;
            return false;
        }
    }

    private static bool IsOneJsonObject(ReadOnlySpan<byte> text)
    {
        try
        {
            var reader = new Utf8JsonReader(text, ArgumentsOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Unescape(ReadOnlySpan<byte> quoted)
    {
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        try
        {
            return reader.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(quoted);
        }
    }
}

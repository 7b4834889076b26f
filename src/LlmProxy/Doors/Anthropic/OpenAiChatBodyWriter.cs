using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Writes the OpenAI <c>chat/completions</c> body for a parsed Anthropic request (docs/anthropic.md, "Request").
/// Strings are copied as the client escaped them (no unescape/re-escape); only joined texts and data URLs are composed,
/// still from the escaped bytes. Message order follows the OpenAI rules: the system prompt first, and the
/// <c>role: tool</c> answers right after the assistant message that made the calls, before the user's own text.
/// </summary>
internal static class OpenAiChatBodyWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        // What this writer escapes itself (a tool input becoming an arguments string) keeps non-ASCII as UTF-8.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Blocks of one message are joined with a newline where OpenAI takes one string (vLLM joins text parts so too).</summary>
    private static ReadOnlySpan<byte> Separator => "\\n"u8;

    /// <summary>How a failed tool's result is marked for the model (OpenAI tool messages have no error flag).</summary>
    private static ReadOnlySpan<byte> ErrorPrefix => "Error: "u8;

    public static void Write(AnthropicRequest request, IBufferWriter<byte> output, string? upstreamModel)
    {
        var body = request.Body.Span;
        var texts = new List<JsonSlice>();
        using var writer = new Utf8JsonWriter(output, Options);
        writer.WriteStartObject();
        writer.WritePropertyName("model"u8);
        if (upstreamModel is null)
        {
            writer.WriteRawValue(request.ModelToken.Raw(body), skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(upstreamModel);
        }

        writer.WriteStartArray("messages"u8);
        if (request.System.Count > 0)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "system"u8);
            writer.WritePropertyName("content"u8);
            WriteJoined(writer, body, CollectionsMarshal.AsSpan(request.System), default);
            writer.WriteEndObject();
        }
        var parts = CollectionsMarshal.AsSpan(request.Parts);
        foreach (var message in request.Messages)
        {
            var own = parts.Slice(message.FirstPart, message.PartCount);
            if (message.IsAssistant)
            {
                WriteAssistant(writer, body, message, own, texts);
            }
            else
            {
                WriteUser(writer, body, request, message, own, texts);
            }
        }
        writer.WriteEndArray();

        WriteRaw(writer, body, "max_tokens"u8, request.MaxTokens);
        WriteRaw(writer, body, "temperature"u8, request.Temperature);
        WriteRaw(writer, body, "top_p"u8, request.TopP);
        // Not in OpenAI's API, but vLLM, llama.cpp, Ollama and LM Studio read it.
        WriteRaw(writer, body, "top_k"u8, request.TopK);
        if (request.StopSequences.Count > 0)
        {
            writer.WriteStartArray("stop"u8);
            foreach (var stop in request.StopSequences)
            {
                writer.WriteRawValue(stop.Raw(body), skipInputValidation: true);
            }
            writer.WriteEndArray();
        }
        if (request.Stream)
        {
            writer.WriteBoolean("stream"u8, true);
            // The usage chunk feeds the final message_delta (and the token metrics).
            writer.WriteStartObject("stream_options"u8);
            writer.WriteBoolean("include_usage"u8, true);
            writer.WriteEndObject();
        }
        WriteRaw(writer, body, "user"u8, request.UserId);
        if (request.Tools.Count > 0)
        {
            WriteTools(writer, body, request);
        }
        writer.WriteEndObject();
    }

    private static void WriteAssistant(Utf8JsonWriter writer, ReadOnlySpan<byte> body, MessageEntry message, ReadOnlySpan<ContentPart> parts, List<JsonSlice> texts)
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, "assistant"u8);
        if (message.StringContent.IsPresent)
        {
            writer.WritePropertyName("content"u8);
            writer.WriteRawValue(message.StringContent.Raw(body), skipInputValidation: true);
            writer.WriteEndObject();
            return;
        }
        texts.Clear();
        var calls = 0;
        foreach (var part in parts)
        {
            if (part.Kind == ContentPartKind.Text)
            {
                texts.Add(part.Text);
            }
            else if (part.Kind == ContentPartKind.ToolUse)
            {
                calls++;
            }
        }
        writer.WritePropertyName("content"u8);
        if (texts.Count > 0)
        {
            WriteJoined(writer, body, CollectionsMarshal.AsSpan(texts), default);
        }
        else if (calls > 0)
        {
            // As OpenAI answers a pure tool call; every OpenAI-compatible server takes it back.
            writer.WriteNullValue();
        }
        else
        {
            // Only thinking blocks (dropped): the turn stays, so chat templates that insist on alternation still work.
            writer.WriteStringValue(""u8);
        }
        if (calls > 0)
        {
            writer.WriteStartArray("tool_calls"u8);
            foreach (var part in parts)
            {
                if (part.Kind != ContentPartKind.ToolUse)
                {
                    continue;
                }
                writer.WriteStartObject();
                writer.WritePropertyName("id"u8);
                writer.WriteRawValue(part.Id.Raw(body), skipInputValidation: true);
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WritePropertyName("name"u8);
                writer.WriteRawValue(part.Name.Raw(body), skipInputValidation: true);
                // OpenAI carries the input as a JSON text in a string: the client's bytes, escaped once.
                writer.WriteString("arguments"u8, part.Input.Raw(body));
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteUser(Utf8JsonWriter writer, ReadOnlySpan<byte> body, AnthropicRequest request, MessageEntry message, ReadOnlySpan<ContentPart> parts, List<JsonSlice> texts)
    {
        if (message.StringContent.IsPresent)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "user"u8);
            writer.WritePropertyName("content"u8);
            writer.WriteRawValue(message.StringContent.Raw(body), skipInputValidation: true);
            writer.WriteEndObject();
            return;
        }

        // 1. The tool results, in their order: OpenAI wants them right after the assistant's tool_calls.
        var results = CollectionsMarshal.AsSpan(request.ResultParts);
        var toolResults = 0;
        var resultImages = 0;
        foreach (var part in parts)
        {
            if (part.Kind != ContentPartKind.ToolResult)
            {
                continue;
            }
            toolResults++;
            var children = results.Slice(part.ChildStart, part.ChildCount);
            WriteToolMessage(writer, body, part, children, texts);
            foreach (var child in children)
            {
                resultImages += child.Kind is ContentPartKind.ImageBase64 or ContentPartKind.ImageUrl ? 1 : 0;
            }
        }

        // 2. Everything else as one user message after them. Tool messages carry text only, so images a tool
        // returned (screenshots) come first here, then the user's own blocks in order.
        var ownTexts = 0;
        var ownImages = 0;
        foreach (var part in parts)
        {
            ownTexts += part.Kind == ContentPartKind.Text ? 1 : 0;
            ownImages += part.Kind is ContentPartKind.ImageBase64 or ContentPartKind.ImageUrl ? 1 : 0;
        }
        if (ownTexts + ownImages + resultImages == 0 && toolResults > 0)
        {
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("role"u8, "user"u8);
        writer.WritePropertyName("content"u8);
        if (ownImages + resultImages == 0)
        {
            // Text only: one string, which every server's chat template takes (some older ones take no part arrays).
            texts.Clear();
            foreach (var part in parts)
            {
                if (part.Kind == ContentPartKind.Text)
                {
                    texts.Add(part.Text);
                }
            }
            if (texts.Count == 0)
            {
                writer.WriteStringValue(""u8);
            }
            else
            {
                WriteJoined(writer, body, CollectionsMarshal.AsSpan(texts), default);
            }
        }
        else
        {
            writer.WriteStartArray();
            foreach (var part in parts)
            {
                if (part.Kind == ContentPartKind.ToolResult)
                {
                    foreach (var child in results.Slice(part.ChildStart, part.ChildCount))
                    {
                        WriteImagePart(writer, body, child);
                    }
                }
            }
            foreach (var part in parts)
            {
                if (part.Kind == ContentPartKind.Text)
                {
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "text"u8);
                    writer.WritePropertyName("text"u8);
                    writer.WriteRawValue(part.Text.Raw(body), skipInputValidation: true);
                    writer.WriteEndObject();
                }
                else
                {
                    WriteImagePart(writer, body, part);
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteToolMessage(Utf8JsonWriter writer, ReadOnlySpan<byte> body, ContentPart result, ReadOnlySpan<ContentPart> children, List<JsonSlice> texts)
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, "tool"u8);
        writer.WritePropertyName("tool_call_id"u8);
        writer.WriteRawValue(result.Id.Raw(body), skipInputValidation: true);
        writer.WritePropertyName("content"u8);
        texts.Clear();
        if (result.Text.IsPresent)
        {
            texts.Add(result.Text);
        }
        foreach (var child in children)
        {
            if (child.Kind == ContentPartKind.Text)
            {
                texts.Add(child.Text);
            }
        }
        var prefix = result.IsError ? ErrorPrefix : default;
        if (texts.Count == 0)
        {
            writer.WriteStringValue(result.IsError ? "Error"u8 : ""u8);
        }
        else
        {
            WriteJoined(writer, body, CollectionsMarshal.AsSpan(texts), prefix);
        }
        writer.WriteEndObject();
    }

    /// <summary>Writes an image block as an OpenAI <c>image_url</c> part; other kinds write nothing.</summary>
    private static void WriteImagePart(Utf8JsonWriter writer, ReadOnlySpan<byte> body, ContentPart part)
    {
        if (part.Kind is not (ContentPartKind.ImageBase64 or ContentPartKind.ImageUrl))
        {
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("type"u8, "image_url"u8);
        writer.WriteStartObject("image_url"u8);
        writer.WritePropertyName("url"u8);
        if (part.Kind == ContentPartKind.ImageUrl)
        {
            writer.WriteRawValue(part.Text.Raw(body), skipInputValidation: true);
        }
        else
        {
            // RFC 2397 data URL from the escaped media type and data: "data:<media_type>;base64,<data>".
            ReadOnlySpan<JsonSlice> pieces = [part.MediaType, part.Data];
            WriteComposed(writer, body, pieces, "data:"u8, ";base64,"u8);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter writer, ReadOnlySpan<byte> body, AnthropicRequest request)
    {
        writer.WriteStartArray("tools"u8);
        foreach (var tool in request.Tools)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(tool.Name.Raw(body), skipInputValidation: true);
            WriteRaw(writer, body, "description"u8, tool.Description);
            writer.WritePropertyName("parameters"u8);
            writer.WriteRawValue(tool.InputSchema.Raw(body), skipInputValidation: true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();

        switch (request.ToolChoice)
        {
            case ToolChoiceKind.Auto:
                writer.WriteString("tool_choice"u8, "auto"u8);
                break;
            case ToolChoiceKind.Any:
                writer.WriteString("tool_choice"u8, "required"u8);
                break;
            case ToolChoiceKind.None:
                writer.WriteString("tool_choice"u8, "none"u8);
                break;
            case ToolChoiceKind.Tool:
                writer.WriteStartObject("tool_choice"u8);
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WritePropertyName("name"u8);
                writer.WriteRawValue(request.ToolChoiceName.Raw(body), skipInputValidation: true);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            default:
                // Unset: the upstream's default with tools present is "auto".
                break;
        }
        if (request.DisableParallelToolUse && request.ToolChoice != ToolChoiceKind.None)
        {
            writer.WriteBoolean("parallel_tool_calls"u8, false);
        }
    }

    private static void WriteRaw(Utf8JsonWriter writer, ReadOnlySpan<byte> body, ReadOnlySpan<byte> name, JsonSlice value)
    {
        if (value.IsPresent)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(value.Raw(body), skipInputValidation: true);
        }
    }

    /// <summary>One string from several string tokens, joined by a newline, optionally after a (raw) prefix.</summary>
    private static void WriteJoined(Utf8JsonWriter writer, ReadOnlySpan<byte> body, ReadOnlySpan<JsonSlice> pieces, ReadOnlySpan<byte> prefix)
    {
        if (pieces.Length == 1 && prefix.IsEmpty)
        {
            writer.WriteRawValue(pieces[0].Raw(body), skipInputValidation: true);
            return;
        }
        WriteComposed(writer, body, pieces, prefix, Separator);
    }

    /// <summary>
    /// Writes <c>"prefix piece0 separator piece1 ..."</c> as one raw string value. Every piece is the escaped content of
    /// a string token the reader validated, and prefix and separator are escaped JSON text too, so the result is a valid
    /// JSON string without unescaping anything.
    /// </summary>
    private static void WriteComposed(Utf8JsonWriter writer, ReadOnlySpan<byte> body, ReadOnlySpan<JsonSlice> pieces, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> separator)
    {
        var length = 2 + prefix.Length + (separator.Length * Math.Max(0, pieces.Length - 1));
        foreach (var piece in pieces)
        {
            length += piece.Length - 2;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan();
            span[0] = (byte)'"';
            var at = 1;
            prefix.CopyTo(span[at..]);
            at += prefix.Length;
            for (var i = 0; i < pieces.Length; i++)
            {
                if (i > 0)
                {
                    separator.CopyTo(span[at..]);
                    at += separator.Length;
                }
                var content = pieces[i].StringContent(body);
                content.CopyTo(span[at..]);
                at += content.Length;
            }
            span[at++] = (byte)'"';
            writer.WriteRawValue(span[..at], skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

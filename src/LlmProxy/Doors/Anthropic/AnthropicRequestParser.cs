using System.Text.Json;
using System.Text.Unicode;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Reads and validates an Anthropic Messages request body in one forward pass of <see cref="Utf8JsonReader"/>, keeping
/// slices of the body (no strings, no DOM) for <see cref="OpenAiChatBodyWriter"/>. Validation follows the Messages API:
/// a wrong type or a missing required field is a problem naming the field; fields and block types the translation
/// cannot carry are skipped (still checked for lone surrogates), never an error. Never throws.
/// </summary>
internal static partial class AnthropicRequestParser
{
    // Tool input schemas nest; 128 leaves room for deep ones while bounding the reader's stack.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 128 };

    /// <summary>
    /// Parses a <c>/v1/messages</c> body (<paramref name="requireMaxTokens"/> true) or a <c>/v1/messages/count_tokens</c>
    /// body (false: that endpoint takes no <c>max_tokens</c>). The body's buffer must outlive the result.
    /// </summary>
    public static AnthropicParseResult Parse(ReadOnlyMemory<byte> body, bool requireMaxTokens = true)
    {
        // Utf8JsonReader does not validate the UTF-8 inside strings (it is checked on GetString only); the translation
        // copies strings as bytes, so the whole body is checked once here (vectorised).
        if (!Utf8.IsValid(body.Span))
        {
            return new AnthropicParseResult(null, "Request body is not valid UTF-8");
        }
        try
        {
            return new AnthropicParseResult(Read(body, requireMaxTokens), null);
        }
        catch (InvalidRequestException e)
        {
            return new AnthropicParseResult(null, e.Message);
        }
        catch (JsonException e)
        {
            return new AnthropicParseResult(null, $"Request body is not valid JSON: {e.Message}");
        }
    }

    private static AnthropicRequest Read(ReadOnlyMemory<byte> body, bool requireMaxTokens)
    {
        var request = new AnthropicRequest(body);
        var path = new RequestPath();
        var reader = new Utf8JsonReader(body.Span, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidRequestException("Request body must be a JSON object");
        }
        var sawMessages = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            CheckToken(ref reader, path, default);
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                ReadModel(ref reader, request, path);
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                path.Push("messages");
                ReadMessages(ref reader, request, path);
                path.Pop();
                sawMessages = true;
            }
            else if (reader.ValueTextEquals("system"u8))
            {
                reader.Read();
                path.Push("system");
                ReadSystem(ref reader, request, path);
                path.Pop();
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                reader.Read();
                request.MaxTokens = ReadInteger(ref reader, path, "max_tokens"u8, minimum: 1);
            }
            else if (reader.ValueTextEquals("temperature"u8))
            {
                reader.Read();
                request.Temperature = ReadNumber(ref reader, path, "temperature"u8);
            }
            else if (reader.ValueTextEquals("top_p"u8))
            {
                reader.Read();
                request.TopP = ReadNumber(ref reader, path, "top_p"u8);
            }
            else if (reader.ValueTextEquals("top_k"u8))
            {
                reader.Read();
                request.TopK = ReadInteger(ref reader, path, "top_k"u8, minimum: 0);
            }
            else if (reader.ValueTextEquals("stop_sequences"u8))
            {
                reader.Read();
                ReadStopSequences(ref reader, request, path);
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                request.Stream = ReadBoolean(ref reader, path, "stream"u8);
            }
            else if (reader.ValueTextEquals("metadata"u8))
            {
                reader.Read();
                ReadMetadata(ref reader, request, path);
            }
            else if (reader.ValueTextEquals("tools"u8))
            {
                reader.Read();
                path.Push("tools");
                ReadTools(ref reader, request, path);
                path.Pop();
            }
            else if (reader.ValueTextEquals("tool_choice"u8))
            {
                reader.Read();
                path.Push("tool_choice");
                ReadToolChoice(ref reader, request, path);
                path.Pop();
            }
            else if (reader.ValueTextEquals("thinking"u8))
            {
                reader.Read();
                path.Push("thinking");
                request.ThinkingRequested = ReadThinking(ref reader, path);
                path.Pop();
            }
            else
            {
                // Fields the translation cannot carry (service_tier, container, mcp_servers, ...): dropped.
                var name = reader.ValueSpan;
                reader.Read();
                SkipChecked(ref reader, path, name);
            }
        }
        // Reads past the end of the object: trailing content is a JsonException here.
        while (reader.Read())
        {
        }

        if (!request.ModelToken.IsPresent)
        {
            throw path.Problem("model"u8, "Field required");
        }
        if (!sawMessages)
        {
            throw path.Problem("messages"u8, "Field required");
        }
        if (requireMaxTokens && !request.MaxTokens.IsPresent)
        {
            throw path.Problem("max_tokens"u8, "Field required");
        }
        return request;
    }

    private static void ReadModel(ref Utf8JsonReader reader, AnthropicRequest request, RequestPath path)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw path.Problem("model"u8, "Input should be a valid string");
        }
        var slice = StringSlice(ref reader, path, "model"u8);
        if (slice.Length == 2)
        {
            throw path.Problem("model"u8, "String should have at least 1 character");
        }
        request.ModelToken = slice;
        // Safe: the body is valid UTF-8 and the escapes were checked for lone surrogates.
        request.Model = reader.GetString()!;
    }

    private static void ReadMessages(ref Utf8JsonReader reader, AnthropicRequest request, RequestPath path)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw path.Problem(default, "Input should be a valid list");
        }
        request.Messages.Clear();
        request.Parts.Clear();
        request.ResultParts.Clear();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            path.Push(index++);
            ReadMessage(ref reader, request, path);
            path.Pop();
        }
        if (index == 0)
        {
            throw path.Problem(default, "at least one message is required");
        }
    }

    private static void ReadMessage(ref Utf8JsonReader reader, AnthropicRequest request, RequestPath path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw path.Problem(default, "Input should be a valid dictionary");
        }
        bool? isAssistant = null;
        var sawContent = false;
        JsonSlice stringContent = default;
        var firstPart = request.Parts.Count;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            CheckToken(ref reader, path, default);
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                CheckToken(ref reader, path, "role"u8);
                isAssistant = reader.TokenType != JsonTokenType.String ? null
                    : reader.ValueTextEquals("user"u8) ? false
                    : reader.ValueTextEquals("assistant"u8) ? true
                    : null;
                if (isAssistant is null)
                {
                    throw path.Problem("role"u8, "Input should be 'user' or 'assistant'");
                }
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                sawContent = true;
                stringContent = default;
                request.Parts.RemoveRange(firstPart, request.Parts.Count - firstPart);
                if (reader.TokenType == JsonTokenType.String)
                {
                    stringContent = StringSlice(ref reader, path, "content"u8);
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    path.Push("content");
                    ReadBlocks(ref reader, request, request.Parts, nested: false, path);
                    path.Pop();
                }
                else
                {
                    throw path.Problem("content"u8, "Input should be a valid string or a list of content blocks");
                }
            }
            else
            {
                var name = reader.ValueSpan;
                reader.Read();
                SkipChecked(ref reader, path, name);
            }
        }
        if (isAssistant is null)
        {
            throw path.Problem("role"u8, "Field required");
        }
        if (!sawContent)
        {
            throw path.Problem("content"u8, "Field required");
        }
        request.Messages.Add(new MessageEntry(isAssistant.Value, stringContent, firstPart, request.Parts.Count - firstPart));
    }

    private static void ReadSystem(ref Utf8JsonReader reader, AnthropicRequest request, RequestPath path)
    {
        request.System.Clear();
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                request.System.Add(StringSlice(ref reader, path, default));
                break;
            case JsonTokenType.StartArray:
                var blocks = new List<ContentPart>();
                ReadBlocks(ref reader, request, blocks, nested: true, path);
                foreach (var block in blocks)
                {
                    if (block.Kind == ContentPartKind.Text)
                    {
                        request.System.Add(block.Text);
                    }
                }
                break;
            case JsonTokenType.Null:
                break;
            default:
                throw path.Problem(default, "Input should be a valid string or a list of text blocks");
        }
    }

    private static void ReadStopSequences(ref Utf8JsonReader reader, AnthropicRequest request, RequestPath path)
    {
        request.StopSequences.Clear();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw path.Problem("stop_sequences"u8, "Input should be a valid list");
        }
        path.Push("stop_sequences");
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                path.Push(index);
                throw path.Problem(default, "Input should be a valid string");
            }
            request.StopSequences.Add(StringSlice(ref reader, path, default));
            index++;
        }
        path.Pop();
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, AnthropicRequest request, RequestPath path)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw path.Problem("metadata"u8, "Input should be a valid dictionary");
        }
        path.Push("metadata");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            CheckToken(ref reader, path, default);
            if (reader.ValueTextEquals("user_id"u8))
            {
                reader.Read();
                var userId = Capture(ref reader, path, "user_id"u8);
                if (userId.Kind is not (JsonTokenType.String or JsonTokenType.Null))
                {
                    throw path.Problem("user_id"u8, "Input should be a valid string");
                }
                request.UserId = userId.Slice;
            }
            else
            {
                var field = reader.ValueSpan;
                reader.Read();
                SkipChecked(ref reader, path, field);
            }
        }
        path.Pop();
    }

    /// <summary>Extended thinking is on for <c>{"type":"enabled",...}</c> and <c>{"type":"adaptive"}</c>.</summary>
    private static bool ReadThinking(ref Utf8JsonReader reader, RequestPath path)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw path.Problem(default, "Input should be a valid dictionary");
        }
        var enabled = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            CheckToken(ref reader, path, default);
            var isType = reader.ValueTextEquals("type"u8);
            var field = reader.ValueSpan;
            reader.Read();
            CheckToken(ref reader, path, field);
            if (isType && reader.TokenType == JsonTokenType.String)
            {
                enabled = reader.ValueTextEquals("enabled"u8) || reader.ValueTextEquals("adaptive"u8);
            }
            SkipChecked(ref reader, path, field);
        }
        return enabled;
    }
}

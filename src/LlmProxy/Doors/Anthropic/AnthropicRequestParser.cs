using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Reads and validates an Anthropic Messages request body in one forward pass of <see cref="Utf8JsonReader"/>, keeping
/// slices of the body (no strings, no DOM) for <see cref="OpenAiChatBodyWriter"/>. Validation follows the Messages API:
/// a wrong type or a missing required field is a problem naming the field; fields and block types the translation
/// cannot carry are skipped (still checked for lone surrogates), never an error. Never throws.
/// </summary>
internal static class AnthropicRequestParser
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

    /// <summary>Reads an array of content blocks (the reader is on its start) into <paramref name="target"/>.</summary>
    private static void ReadBlocks(ref Utf8JsonReader reader, AnthropicRequest request, List<ContentPart> target, bool nested, RequestPath path)
    {
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            path.Push(index++);
            ReadBlock(ref reader, request, target, nested, path);
            path.Pop();
        }
    }

    private enum BlockType : byte
    {
        Missing,
        Text,
        Image,
        ToolUse,
        ToolResult,
        Other,
    }

    /// <summary>
    /// One content block. Its fields may come in any order (JSON objects are unordered), so they are collected first
    /// and judged by <c>type</c> at the end. <paramref name="nested"/>: inside a tool_result (only text and images count).
    /// </summary>
    private static void ReadBlock(ref Utf8JsonReader reader, AnthropicRequest request, List<ContentPart> target, bool nested, RequestPath path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw path.Problem(default, "Input should be a valid dictionary");
        }
        var type = BlockType.Missing;
        Field text = default, id = default, name = default, input = default, toolUseId = default, content = default;
        ImageSource source = default;
        var isError = false;
        var childStart = request.ResultParts.Count;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            CheckToken(ref reader, path, default);
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                CheckToken(ref reader, path, "type"u8);
                type = reader.TokenType != JsonTokenType.String ? throw path.Problem("type"u8, "Input should be a valid string")
                    : reader.ValueTextEquals("text"u8) ? BlockType.Text
                    : reader.ValueTextEquals("image"u8) ? BlockType.Image
                    : reader.ValueTextEquals("tool_use"u8) ? BlockType.ToolUse
                    : reader.ValueTextEquals("tool_result"u8) ? BlockType.ToolResult
                    // thinking, redacted_thinking (earlier turns' reasoning), document, server tool blocks, ...
                    : BlockType.Other;
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                text = Capture(ref reader, path, "text"u8);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = Capture(ref reader, path, "id"u8);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                name = Capture(ref reader, path, "name"u8);
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                input = Capture(ref reader, path, "input"u8);
            }
            else if (reader.ValueTextEquals("tool_use_id"u8))
            {
                reader.Read();
                toolUseId = Capture(ref reader, path, "tool_use_id"u8);
            }
            else if (reader.ValueTextEquals("is_error"u8))
            {
                reader.Read();
                isError = ReadBoolean(ref reader, path, "is_error"u8);
            }
            else if (reader.ValueTextEquals("source"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    path.Push("source");
                    source = ReadImageSource(ref reader, path);
                    path.Pop();
                }
                else
                {
                    // Other blocks have other sources (search_result: a string); only an image's must be an object.
                    source = new ImageSource { Invalid = Capture(ref reader, path, "source"u8).Kind != JsonTokenType.Null };
                }
            }
            else if (!nested && reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    request.ResultParts.RemoveRange(childStart, request.ResultParts.Count - childStart);
                    path.Push("content");
                    ReadBlocks(ref reader, request, request.ResultParts, nested: true, path);
                    path.Pop();
                    content = new Field(default, JsonTokenType.StartArray);
                }
                else
                {
                    content = Capture(ref reader, path, "content"u8);
                }
            }
            else
            {
                var field = reader.ValueSpan;
                reader.Read();
                SkipChecked(ref reader, path, field);
            }
        }

        if (type != BlockType.ToolResult && request.ResultParts.Count > childStart)
        {
            request.ResultParts.RemoveRange(childStart, request.ResultParts.Count - childStart);
        }
        switch (type)
        {
            case BlockType.Missing:
                throw path.Problem("type"u8, "Field required");
            case BlockType.Text:
                target.Add(new ContentPart { Kind = ContentPartKind.Text, Text = text.Require(path, "text"u8, JsonTokenType.String) });
                break;
            case BlockType.Image:
                AddImage(target, source, path);
                break;
            case BlockType.ToolUse when !nested:
                target.Add(new ContentPart
                {
                    Kind = ContentPartKind.ToolUse,
                    Id = id.Require(path, "id"u8, JsonTokenType.String),
                    Name = name.Require(path, "name"u8, JsonTokenType.String),
                    Input = input.Require(path, "input"u8, JsonTokenType.StartObject),
                });
                break;
            case BlockType.ToolResult when !nested:
                if (content.Kind is not (JsonTokenType.None or JsonTokenType.Null or JsonTokenType.String or JsonTokenType.StartArray))
                {
                    throw path.Problem("content"u8, "Input should be a valid string or a list of content blocks");
                }
                target.Add(new ContentPart
                {
                    Kind = ContentPartKind.ToolResult,
                    Id = toolUseId.Require(path, "tool_use_id"u8, JsonTokenType.String),
                    Text = content.Kind == JsonTokenType.String ? content.Slice : default,
                    IsError = isError,
                    ChildStart = childStart,
                    ChildCount = request.ResultParts.Count - childStart,
                });
                break;
            default:
                // Dropped: blocks the OpenAI side has no place for (docs/anthropic.md, "What is dropped").
                break;
        }
    }

    private enum SourceType : byte
    {
        Missing,
        Base64,
        Url,
        Other,
    }

    private record struct ImageSource(bool Present, bool Invalid, SourceType Type, Field MediaType, Field Data, Field Url);

    private static ImageSource ReadImageSource(ref Utf8JsonReader reader, RequestPath path)
    {
        var source = new ImageSource { Present = true };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            CheckToken(ref reader, path, default);
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                CheckToken(ref reader, path, "type"u8);
                source.Type = reader.TokenType != JsonTokenType.String ? throw path.Problem("type"u8, "Input should be a valid string")
                    : reader.ValueTextEquals("base64"u8) ? SourceType.Base64
                    : reader.ValueTextEquals("url"u8) ? SourceType.Url
                    : SourceType.Other;
            }
            else if (reader.ValueTextEquals("media_type"u8))
            {
                reader.Read();
                source.MediaType = Capture(ref reader, path, "media_type"u8);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                source.Data = Capture(ref reader, path, "data"u8);
            }
            else if (reader.ValueTextEquals("url"u8))
            {
                reader.Read();
                source.Url = Capture(ref reader, path, "url"u8);
            }
            else
            {
                var field = reader.ValueSpan;
                reader.Read();
                SkipChecked(ref reader, path, field);
            }
        }
        return source;
    }

    private static void AddImage(List<ContentPart> target, ImageSource source, RequestPath path)
    {
        if (source.Invalid)
        {
            throw path.Problem("source"u8, "Input should be a valid dictionary");
        }
        if (!source.Present)
        {
            throw path.Problem("source"u8, "Field required");
        }
        path.Push("source");
        switch (source.Type)
        {
            case SourceType.Missing:
                throw path.Problem("type"u8, "Field required");
            case SourceType.Base64:
                target.Add(new ContentPart
                {
                    Kind = ContentPartKind.ImageBase64,
                    MediaType = source.MediaType.Require(path, "media_type"u8, JsonTokenType.String),
                    Data = source.Data.Require(path, "data"u8, JsonTokenType.String),
                });
                break;
            case SourceType.Url:
                target.Add(new ContentPart { Kind = ContentPartKind.ImageUrl, Text = source.Url.Require(path, "url"u8, JsonTokenType.String) });
                break;
            default:
                // A Files API reference (type "file") names a file the upstream cannot fetch: dropped.
                break;
        }
        path.Pop();
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

    private static void ReadTools(ref Utf8JsonReader reader, AnthropicRequest request, RequestPath path)
    {
        request.Tools.Clear();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw path.Problem(default, "Input should be a valid list");
        }
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            path.Push(index++);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw path.Problem(default, "Input should be a valid dictionary");
            }
            Field name = default, description = default, schema = default;
            var isClientTool = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                CheckToken(ref reader, path, default);
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    CheckToken(ref reader, path, "type"u8);
                    // Server tools (web_search_20250305, bash_20250124, text_editor_..., computer_...) run at Anthropic.
                    isClientTool = reader.TokenType == JsonTokenType.Null
                        || (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("custom"u8));
                    SkipChecked(ref reader, path, "type"u8);
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    name = Capture(ref reader, path, "name"u8);
                }
                else if (reader.ValueTextEquals("description"u8))
                {
                    reader.Read();
                    description = Capture(ref reader, path, "description"u8);
                }
                else if (reader.ValueTextEquals("input_schema"u8))
                {
                    reader.Read();
                    schema = Capture(ref reader, path, "input_schema"u8);
                }
                else
                {
                    var field = reader.ValueSpan;
                    reader.Read();
                    SkipChecked(ref reader, path, field);
                }
            }
            if (isClientTool)
            {
                if (description.Kind is not (JsonTokenType.None or JsonTokenType.Null or JsonTokenType.String))
                {
                    throw path.Problem("description"u8, "Input should be a valid string");
                }
                request.Tools.Add(new ToolEntry(
                    name.Require(path, "name"u8, JsonTokenType.String),
                    description.Slice,
                    schema.Require(path, "input_schema"u8, JsonTokenType.StartObject)));
            }
            path.Pop();
        }
    }

    private static void ReadToolChoice(ref Utf8JsonReader reader, AnthropicRequest request, RequestPath path)
    {
        request.ToolChoice = ToolChoiceKind.Unset;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw path.Problem(default, "Input should be a valid dictionary");
        }
        var kind = ToolChoiceKind.Unset;
        Field name = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            CheckToken(ref reader, path, default);
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                CheckToken(ref reader, path, "type"u8);
                kind = reader.TokenType != JsonTokenType.String ? ToolChoiceKind.Unset
                    : reader.ValueTextEquals("auto"u8) ? ToolChoiceKind.Auto
                    : reader.ValueTextEquals("any"u8) ? ToolChoiceKind.Any
                    : reader.ValueTextEquals("tool"u8) ? ToolChoiceKind.Tool
                    : reader.ValueTextEquals("none"u8) ? ToolChoiceKind.None
                    : ToolChoiceKind.Unset;
                if (kind == ToolChoiceKind.Unset)
                {
                    throw path.Problem("type"u8, "Input should be 'auto', 'any', 'tool' or 'none'");
                }
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                name = Capture(ref reader, path, "name"u8);
            }
            else if (reader.ValueTextEquals("disable_parallel_tool_use"u8))
            {
                reader.Read();
                request.DisableParallelToolUse = ReadBoolean(ref reader, path, "disable_parallel_tool_use"u8);
            }
            else
            {
                var field = reader.ValueSpan;
                reader.Read();
                SkipChecked(ref reader, path, field);
            }
        }
        if (kind == ToolChoiceKind.Unset)
        {
            throw path.Problem("type"u8, "Field required");
        }
        if (kind == ToolChoiceKind.Tool)
        {
            request.ToolChoiceName = name.Require(path, "name"u8, JsonTokenType.String);
        }
        request.ToolChoice = kind;
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

    private static JsonSlice ReadInteger(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field, long minimum)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return default;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            throw path.Problem(field, "Input should be a valid integer");
        }
        if (value < minimum)
        {
            throw path.Problem(field, string.Create(CultureInfo.InvariantCulture, $"Input should be greater than or equal to {minimum}"));
        }
        return new JsonSlice((int)reader.TokenStartIndex, reader.ValueSpan.Length);
    }

    private static JsonSlice ReadNumber(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return default;
        }
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw path.Problem(field, "Input should be a valid number");
        }
        return new JsonSlice((int)reader.TokenStartIndex, reader.ValueSpan.Length);
    }

    private static bool ReadBoolean(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False or JsonTokenType.Null => false,
        _ => throw path.Problem(field, "Input should be a valid boolean"),
    };

    /// <summary>A value and the kind of its token; <see cref="JsonTokenType.None"/> when the field was absent.</summary>
    private readonly record struct Field(JsonSlice Slice, JsonTokenType Kind)
    {
        public JsonSlice Require(RequestPath path, ReadOnlySpan<byte> name, JsonTokenType kind) =>
            Kind == kind ? Slice
            : Kind is JsonTokenType.None or JsonTokenType.Null ? throw path.Problem(name, "Field required")
            : throw path.Problem(name, kind == JsonTokenType.String ? "Input should be a valid string" : "Input should be a valid dictionary");
    }

    /// <summary>The slice of the value the reader is on (a container is read to its end), its escapes checked.</summary>
    private static Field Capture(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        var kind = reader.TokenType;
        var start = (int)reader.TokenStartIndex;
        switch (kind)
        {
            case JsonTokenType.String:
                return new Field(StringSlice(ref reader, path, field), kind);
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                SkipChecked(ref reader, path, field);
                return new Field(new JsonSlice(start, (int)reader.BytesConsumed - start), kind);
            case JsonTokenType.Null:
                return new Field(default, kind);
            default:
                return new Field(new JsonSlice(start, reader.ValueSpan.Length), kind);
        }
    }

    /// <summary>The string token the reader is on, quotes included (for a span, TokenStartIndex is the opening quote).</summary>
    private static JsonSlice StringSlice(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        CheckToken(ref reader, path, field);
        return new JsonSlice((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2);
    }

    /// <summary>Skips the value the reader is on, checking every string and property name inside it.</summary>
    private static void SkipChecked(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            CheckToken(ref reader, path, field);
            return;
        }
        // The matching end token has the start token's depth; everything inside is deeper.
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            CheckToken(ref reader, path, field);
        }
    }

    private static void CheckToken(ref Utf8JsonReader reader, RequestPath path, ReadOnlySpan<byte> field)
    {
        if (reader.ValueIsEscaped
            && reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName
            && JsonEscapes.HasLoneSurrogate(reader.ValueSpan))
        {
            throw path.Problem(field, "Input has an unpaired UTF-16 surrogate escape (\\ud800-\\udfff); it is not Unicode text");
        }
    }
}

using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary>Content blocks: text, images, tool_use, tool_result (and what is dropped).</summary>
internal static partial class AnthropicRequestParser
{
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
}

using System.Text.Json;

namespace LlmProxy.Doors.Anthropic;

/// <summary><c>tools</c> and <c>tool_choice</c>.</summary>
internal static partial class AnthropicRequestParser
{
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
}

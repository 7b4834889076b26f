using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// One Ollama chat message, as segments of the body: <c>role</c>, <c>content</c>, <c>images</c>, <c>tool_calls</c>,
/// <c>tool_name</c> and <c>tool_call_id</c>. <c>thinking</c> (a reasoning model's earlier reasoning) is dropped:
/// OpenAI servers take no reasoning back in the history.
/// </summary>
internal readonly record struct OllamaChatMessage(
    OllamaSegment Role, OllamaSegment Content, OllamaSegment Images, OllamaSegment ToolCalls, OllamaSegment ToolName, OllamaSegment ToolCallId)
{
    /// <summary>Reads the message object the reader is on (left on its end); a problem names the field.</summary>
    public static string? Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, out OllamaChatMessage message)
    {
        OllamaSegment role = default, content = default, images = default, toolCalls = default, toolName = default, toolCallId = default;
        message = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string? problem = null;
            if (OllamaJson.TextEquals(ref reader, "role"u8))
            {
                problem = Take(ref reader, body, JsonTokenType.String, "role must be a string", out role);
            }
            else if (OllamaJson.TextEquals(ref reader, "content"u8))
            {
                problem = Take(ref reader, body, JsonTokenType.String, "content must be a string", out content);
            }
            else if (OllamaJson.TextEquals(ref reader, "images"u8))
            {
                problem = Take(ref reader, body, JsonTokenType.StartArray, "images must be a list", out images);
            }
            else if (OllamaJson.TextEquals(ref reader, "tool_calls"u8))
            {
                problem = Take(ref reader, body, JsonTokenType.StartArray, "tool_calls must be a list", out toolCalls);
            }
            else if (OllamaJson.TextEquals(ref reader, "tool_name"u8))
            {
                problem = Take(ref reader, body, JsonTokenType.String, "tool_name must be a string", out toolName);
            }
            else if (OllamaJson.TextEquals(ref reader, "tool_call_id"u8))
            {
                problem = Take(ref reader, body, JsonTokenType.String, "tool_call_id must be a string", out toolCallId);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
            if (problem is not null)
            {
                return problem;
            }
        }
        if (!role.IsPresent)
        {
            return "role is required";
        }
        message = new OllamaChatMessage(role, content, images, toolCalls, toolName, toolCallId);
        return null;
    }

    /// <summary>The value as a segment when it has the expected type; null is taken as "absent".</summary>
    internal static string? Take(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, JsonTokenType expected, string problem, out OllamaSegment segment)
    {
        reader.Read();
        segment = default;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != expected)
        {
            reader.Skip();
            return problem;
        }
        segment = OllamaSegment.Of(ref reader, body);
        return null;
    }
}

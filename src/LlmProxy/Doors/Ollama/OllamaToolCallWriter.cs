using System.Globalization;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// An assistant message's Ollama tool calls (<c>{"function":{"name","arguments":{...}}}</c>, arguments an object) as
/// OpenAI tool calls (<c>{"id","type":"function","function":{"name","arguments":"{...}"}}</c>, arguments a JSON
/// string), each with the id <see cref="OllamaToolCallIds"/> gives it.
/// </summary>
internal static class OllamaToolCallWriter
{
    /// <summary>Writes <c>"tool_calls":[...]</c> (nothing for an empty list); a problem names the call and field.</summary>
    public static string? WriteAssistantCalls(Utf8JsonWriter writer, ReadOnlySpan<byte> body, OllamaSegment toolCalls, OllamaToolCallIds ids)
    {
        var reader = toolCalls.Reader(body);
        var local = toolCalls.Bytes(body);
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (index == 0)
            {
                ids.BeginAssistantTurn();
                writer.WritePropertyName("tool_calls"u8);
                writer.WriteStartArray();
            }
            var problem = reader.TokenType == JsonTokenType.StartObject ? WriteCall(ref reader, local, writer, ids) : "must be an object";
            if (problem is not null)
            {
                return string.Create(CultureInfo.InvariantCulture, $"tool_calls[{index}]{(problem.StartsWith("must", StringComparison.Ordinal) ? " " : ".")}{problem}");
            }
            index++;
        }
        if (index > 0)
        {
            writer.WriteEndArray();
        }
        return null;
    }

    private static string? WriteCall(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer, OllamaToolCallIds ids)
    {
        OllamaSegment id = default, function = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string? problem = null;
            if (OllamaJson.TextEquals(ref reader, "id"u8))
            {
                problem = OllamaChatMessage.Take(ref reader, body, JsonTokenType.String, "id must be a string", out id);
            }
            else if (OllamaJson.TextEquals(ref reader, "function"u8))
            {
                problem = OllamaChatMessage.Take(ref reader, body, JsonTokenType.StartObject, "function must be an object", out function);
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
        if (!function.IsPresent)
        {
            return "function is required";
        }
        OllamaSegment name = default, arguments = default;
        var inner = function.Reader(body);
        while (inner.Read() && inner.TokenType == JsonTokenType.PropertyName)
        {
            if (OllamaJson.TextEquals(ref inner, "name"u8))
            {
                var problem = OllamaChatMessage.Take(ref inner, function.Bytes(body), JsonTokenType.String, "function.name must be a string", out name);
                if (problem is not null)
                {
                    return problem;
                }
            }
            else if (OllamaJson.TextEquals(ref inner, "arguments"u8))
            {
                inner.Read();
                arguments = inner.TokenType == JsonTokenType.Null ? default : OllamaSegment.Of(ref inner, function.Bytes(body));
            }
            else
            {
                inner.Read();
                inner.Skip();
            }
        }
        var functionBytes = function.Bytes(body);
        var nameText = name.String(functionBytes);
        if (string.IsNullOrEmpty(nameText))
        {
            return "function.name is required";
        }
        if (arguments.IsPresent && arguments.Type is not (JsonTokenType.StartObject or JsonTokenType.String))
        {
            return "function.arguments must be an object";
        }
        writer.WriteStartObject();
        writer.WriteString("id"u8, ids.AddCall(id.String(body), nameText));
        writer.WriteString("type"u8, "function"u8);
        writer.WritePropertyName("function"u8);
        writer.WriteStartObject();
        writer.WritePropertyName("name"u8);
        var nameReader = name.Reader(functionBytes);
        OllamaJson.CopyString(writer, ref nameReader, name.Bytes(functionBytes));
        writer.WritePropertyName("arguments"u8);
        if (!arguments.IsPresent)
        {
            writer.WriteStringValue("{}"u8);
        }
        else if (arguments.Type == JsonTokenType.String)
        {
            // Already OpenAI's form (a client that sends the arguments as JSON text).
            var text = arguments.Reader(functionBytes);
            OllamaJson.CopyString(writer, ref text, arguments.Bytes(functionBytes));
        }
        else
        {
            // The object's own JSON text becomes the string; the writer escapes its quotes.
            writer.WriteStringValue(arguments.Bytes(functionBytes));
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
        return null;
    }
}

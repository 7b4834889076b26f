using System.Buffers;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// One OpenAI tool call written the Ollama way: <c>{"id"?,"function":{"index","name","arguments":{...}}}</c>, the
/// arguments JSON text parsed back into an object. Arguments that are empty or not a JSON object (a model's broken
/// output) become <c>{}</c>: Ollama's typed clients (Go, Python) reject a message whose arguments are not an object.
/// </summary>
internal static class OllamaToolCallOutput
{
    public static void Write(Utf8JsonWriter writer, int index, ReadOnlySpan<byte> id, ReadOnlySpan<byte> name, ReadOnlySpan<byte> argumentsText)
    {
        writer.WriteStartObject();
        if (!id.IsEmpty)
        {
            writer.WriteString(OllamaWire.Id, id);
        }
        writer.WritePropertyName(OllamaWire.Function);
        writer.WriteStartObject();
        writer.WriteNumber(OllamaWire.Index, index);
        writer.WriteString(OllamaWire.Name, name);
        writer.WritePropertyName(OllamaWire.Arguments);
        if (OllamaJson.IsObject(argumentsText))
        {
            OllamaJson.WriteMinifiedRaw(writer, argumentsText);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes <c>"tool_calls":[...]</c> from an OpenAI <c>message.tool_calls</c> array (the reader is on its start and
    /// is left on its end); writes nothing for an empty list. Returns how many calls were written.
    /// </summary>
    public static int WriteFromOpenAi(Utf8JsonWriter writer, ref Utf8JsonReader reader, ReadOnlySpan<byte> input)
    {
        var id = new ArrayBufferWriter<byte>(64);
        var name = new ArrayBufferWriter<byte>(64);
        var arguments = new ArrayBufferWriter<byte>(256);
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            id.ResetWrittenCount();
            name.ResetWrittenCount();
            arguments.ResetWrittenCount();
            ReadCall(ref reader, input, id, name, arguments);
            if (name.WrittenCount == 0)
            {
                continue;
            }
            if (count == 0)
            {
                writer.WritePropertyName(OllamaWire.ToolCalls);
                writer.WriteStartArray();
            }
            Write(writer, count, id.WrittenSpan, name.WrittenSpan, arguments.WrittenSpan);
            count++;
        }
        if (count > 0)
        {
            writer.WriteEndArray();
        }
        return count;
    }

    /// <summary>Reads one <c>{"id","type","function":{"name","arguments"}}</c> object, unescaping the three strings.</summary>
    private static void ReadCall(ref Utf8JsonReader reader, ReadOnlySpan<byte> input, ArrayBufferWriter<byte> id, ArrayBufferWriter<byte> name, ArrayBufferWriter<byte> arguments)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (OllamaJson.TextEquals(ref reader, "id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    OllamaJson.AppendUnescaped(ref reader, input, id);
                }
                reader.Skip();
            }
            else if (OllamaJson.TextEquals(ref reader, "function"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isName = OllamaJson.TextEquals(ref reader, "name"u8);
                    var isArguments = !isName && OllamaJson.TextEquals(ref reader, "arguments"u8);
                    reader.Read();
                    AppendValueText(ref reader, input, isName ? name : isArguments ? arguments : null);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>
    /// Appends a string's text to <paramref name="into"/>; an object (some servers send arguments unencoded) is
    /// appended as its raw JSON. Anything else is skipped.
    /// </summary>
    public static void AppendValueText(ref Utf8JsonReader reader, ReadOnlySpan<byte> input, IBufferWriter<byte>? into)
    {
        if (into is not null && reader.TokenType == JsonTokenType.String)
        {
            OllamaJson.AppendUnescaped(ref reader, input, into);
        }
        else if (into is not null && reader.TokenType == JsonTokenType.StartObject)
        {
            into.Write(OllamaJson.RawValue(ref reader, input));
        }
        else
        {
            reader.Skip();
        }
    }
}

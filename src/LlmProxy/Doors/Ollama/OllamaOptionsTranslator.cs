using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Ollama's <c>options</c> and <c>format</c> as OpenAI chat completion fields (docs/ollama.md, "Options").
/// Carried: temperature, top_p, top_k, seed, stop, num_predict (as max_tokens), frequency_penalty, presence_penalty.
/// Everything else in <c>options</c> (num_ctx, repeat_penalty, min_p, mirostat, num_gpu, ...) is a setting of
/// Ollama's own runner with no OpenAI field and is dropped; a wrong type on a carried option is a 400.
/// </summary>
internal static class OllamaOptionsTranslator
{
    /// <summary>Writes the carried options; the reader is on the <c>options</c> value and is left on its end.</summary>
    public static string? WriteOptions(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return "options must be an object";
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var problem =
                OllamaJson.TextEquals(ref reader, "temperature"u8) ? CopyNumber(ref reader, writer, "temperature"u8, "options.temperature must be a number") :
                OllamaJson.TextEquals(ref reader, "top_p"u8) ? CopyNumber(ref reader, writer, "top_p"u8, "options.top_p must be a number") :
                OllamaJson.TextEquals(ref reader, "frequency_penalty"u8) ? CopyNumber(ref reader, writer, "frequency_penalty"u8, "options.frequency_penalty must be a number") :
                OllamaJson.TextEquals(ref reader, "presence_penalty"u8) ? CopyNumber(ref reader, writer, "presence_penalty"u8, "options.presence_penalty must be a number") :
                OllamaJson.TextEquals(ref reader, "top_k"u8) ? CopyInteger(ref reader, writer, "top_k"u8, "options.top_k must be a number", positiveOnly: false) :
                OllamaJson.TextEquals(ref reader, "seed"u8) ? CopyInteger(ref reader, writer, "seed"u8, "options.seed must be a number", positiveOnly: false) :
                // num_predict -1 (no limit) and -2 (fill the context) have no OpenAI form: no max_tokens means "no limit".
                OllamaJson.TextEquals(ref reader, "num_predict"u8) ? CopyInteger(ref reader, writer, "max_tokens"u8, "options.num_predict must be a number", positiveOnly: true) :
                OllamaJson.TextEquals(ref reader, "stop"u8) ? CopyStop(ref reader, body, writer) :
                SkipValue(ref reader);
            if (problem is not null)
            {
                return problem;
            }
        }
        return null;
    }

    /// <summary>
    /// <c>format: "json"</c> is OpenAI's <c>json_object</c> mode; a JSON schema object is <c>json_schema</c> with that
    /// schema; "" and null ask for nothing. The reader is on the value and is left on its end.
    /// </summary>
    public static string? WriteFormat(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String when reader.ValueSpan.IsEmpty:
                return null;
            case JsonTokenType.String when OllamaJson.TextEquals(ref reader, "json"u8):
                writer.WritePropertyName("response_format"u8);
                writer.WriteStartObject();
                writer.WriteString("type"u8, "json_object"u8);
                writer.WriteEndObject();
                return null;
            case JsonTokenType.StartObject:
                writer.WritePropertyName("response_format"u8);
                writer.WriteStartObject();
                writer.WriteString("type"u8, "json_schema"u8);
                writer.WritePropertyName("json_schema"u8);
                writer.WriteStartObject();
                // OpenAI requires a name; Ollama's format has none.
                writer.WriteString("name"u8, "response"u8);
                writer.WritePropertyName("schema"u8);
                writer.WriteRawValue(OllamaJson.RawValue(ref reader, body), skipInputValidation: true);
                writer.WriteEndObject();
                writer.WriteEndObject();
                return null;
            default:
                reader.Skip();
                return "format must be \"json\" or a JSON schema object";
        }
    }

    private static string? CopyNumber(ref Utf8JsonReader reader, Utf8JsonWriter writer, ReadOnlySpan<byte> name, string problem)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number)
        {
            reader.Skip();
            return problem;
        }
        writer.WritePropertyName(name);
        // The number's own bytes: 0.7 stays 0.7, not 0.699999988079071 after a float round trip.
        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
        return null;
    }

    /// <summary>Ollama's integer options; a fractional value is truncated, as Ollama's own option decoding does.</summary>
    private static string? CopyInteger(ref Utf8JsonReader reader, Utf8JsonWriter writer, ReadOnlySpan<byte> name, string problem, bool positiveOnly)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number)
        {
            reader.Skip();
            return problem;
        }
        long value;
        if (!reader.TryGetInt64(out value))
        {
            if (!reader.TryGetDouble(out var real) || double.IsNaN(real) || real >= long.MaxValue || real <= long.MinValue)
            {
                return problem;
            }
            value = (long)real;
        }
        if (!positiveOnly || value > 0)
        {
            writer.WriteNumber(name, value);
        }
        return null;
    }

    /// <summary>Ollama's <c>stop</c> is a list of strings; a single string is accepted too (OpenAI allows both).</summary>
    private static string? CopyStop(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer)
    {
        reader.Read();
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                if (!reader.ValueSpan.IsEmpty)
                {
                    writer.WritePropertyName("stop"u8);
                    writer.WriteRawValue(OllamaJson.RawValue(ref reader, body), skipInputValidation: true);
                }
                return null;
            case JsonTokenType.StartArray:
                var scan = reader;
                var count = 0;
                while (scan.Read() && scan.TokenType != JsonTokenType.EndArray)
                {
                    if (scan.TokenType != JsonTokenType.String)
                    {
                        reader.Skip();
                        return "options.stop must be a list of strings";
                    }
                    count++;
                }
                if (count == 0)
                {
                    reader.Skip();
                    return null;
                }
                writer.WritePropertyName("stop"u8);
                writer.WriteStartArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    writer.WriteRawValue(OllamaJson.RawValue(ref reader, body), skipInputValidation: true);
                }
                writer.WriteEndArray();
                return null;
            default:
                reader.Skip();
                return "options.stop must be a list of strings";
        }
    }

    private static string? SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
        return null;
    }
}

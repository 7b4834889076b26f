using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>The message of an upstream's <c>error</c> value inside a stream event: a string, or an object's <c>message</c>.</summary>
internal static class OllamaUpstreamError
{
    /// <summary>
    /// The message, or null for <c>"error": null</c> (some servers send that on every chunk). The reader is on the value
    /// and is left on its end.
    /// </summary>
    public static string? Message(ref Utf8JsonReader reader, ReadOnlySpan<byte> input)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return OllamaJson.GetString(ref reader, input);
            case JsonTokenType.StartObject:
                string? message = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isMessage = OllamaJson.TextEquals(ref reader, "message"u8);
                    reader.Read();
                    if (isMessage && reader.TokenType == JsonTokenType.String)
                    {
                        message = OllamaJson.GetString(ref reader, input);
                    }
                    reader.Skip();
                }
                return string.IsNullOrEmpty(message) ? "upstream error" : message;
            default:
                reader.Skip();
                return "upstream error";
        }
    }
}

using System.Buffers;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Ollama's error shape, <c>{"error":"&lt;message&gt;"}</c>, for every failure of the door: a bad body (400), an unknown
/// model (404), an upstream failure (its status). Mid-stream the same object is the stream's last NDJSON line
/// (<see cref="OllamaStreamTranslator.OnError"/>). docs/ollama.md, "Errors".
/// </summary>
internal static class OllamaErrors
{
    public static void Write(string message, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Error, message);
        writer.WriteEndObject();
    }

    /// <summary>Ollama's own wording for an unknown model, which its clients show as is.</summary>
    public static string ModelNotFound(string model) => $"model '{model}' not found";
}

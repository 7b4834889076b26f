using System.Buffers;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// The door's own answers to Ollama's "load the model" and "unload the model" calls (a chat without messages, a
/// generate without prompt, an embed without input; <c>keep_alive: 0</c> for unload). Apps send them to warm a model
/// up; an OpenAI upstream loads on demand, so nothing is sent upstream and the answer is Ollama's, as plain JSON even
/// when <c>stream</c> is true (Ollama does the same). docs/ollama.md, "Load and unload calls".
/// </summary>
internal static class OllamaLoadResponses
{
    public static void WriteChat(string model, bool unload, DateTimeOffset now, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Model, model);
        OllamaWire.WriteCreatedAt(writer, now);
        writer.WritePropertyName(OllamaWire.Message);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Role, OllamaWire.Assistant);
        writer.WriteString(OllamaWire.Content, ""u8);
        writer.WriteEndObject();
        writer.WriteBoolean(OllamaWire.Done, true);
        writer.WriteString(OllamaWire.DoneReason, unload ? OllamaWire.Unload : OllamaWire.Load);
        writer.WriteEndObject();
    }

    public static void WriteGenerate(string model, bool unload, DateTimeOffset now, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Model, model);
        OllamaWire.WriteCreatedAt(writer, now);
        writer.WriteString(OllamaWire.Response, ""u8);
        writer.WriteBoolean(OllamaWire.Done, true);
        writer.WriteString(OllamaWire.DoneReason, unload ? OllamaWire.Unload : OllamaWire.Load);
        writer.WriteEndObject();
    }

    /// <summary>/api/embed without input: <c>{"model","embeddings":[]}</c>.</summary>
    public static void WriteEmbed(string model, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString(OllamaWire.Model, model);
        writer.WritePropertyName("embeddings"u8);
        writer.WriteStartArray();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>/api/embeddings with an empty prompt: <c>{"embedding":[]}</c>.</summary>
    public static void WriteEmbeddings(IBufferWriter<byte> output) => output.Write("{\"embedding\":[]}"u8);
}

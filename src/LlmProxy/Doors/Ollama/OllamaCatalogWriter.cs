using System.Buffers;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// The answers of <c>GET /api/tags</c>, <c>POST /api/show</c>, <c>GET /api/ps</c> and <c>GET /api/version</c>, filled
/// only with what the proxy knows (docs/ollama.md, "Model routes"). An OpenAI model list has names and nothing else, so
/// size is 0 and digest, format, family, parameter size and quantisation are empty: Ollama's own shapes, honestly blank.
/// </summary>
internal static class OllamaCatalogWriter
{
    /// <summary>
    /// The Ollama version /api/version reports. Clients compare it as semver to switch features on (VS Code's Copilot
    /// asks for at least 0.6.4, the strictest check known); 0.9.0 is a real release that passes those checks and whose
    /// API (tools, structured outputs, capabilities, <c>thinking</c> in answers) the door translates.
    /// </summary>
    public const string Version = "0.9.0";

    /// <summary><c>{"models":[{"name","model","modified_at","size":0,"digest":"","details":{...}}]}</c>.</summary>
    public static void WriteTags(IEnumerable<OllamaModel> models, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WritePropertyName("models"u8);
        writer.WriteStartArray();
        foreach (var model in models)
        {
            writer.WriteStartObject();
            WriteIdentity(writer, model.Name);
            OllamaWire.WriteTime(writer, OllamaWire.ModifiedAt, model.ModifiedAt);
            writer.WriteNumber("size"u8, 0);
            writer.WriteString("digest"u8, ""u8);
            WriteDetails(writer);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>
    /// /api/show for a known model. The model file, parameters and template are the upstream's business and stay
    /// empty; <c>model_info</c> is empty for the same reason.
    /// </summary>
    public static void WriteShow(OllamaModel model, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("modelfile"u8, ""u8);
        writer.WriteString("parameters"u8, ""u8);
        writer.WriteString("template"u8, ""u8);
        WriteDetails(writer);
        writer.WritePropertyName("model_info"u8);
        writer.WriteStartObject();
        writer.WriteEndObject();
        writer.WritePropertyName("capabilities"u8);
        writer.WriteStartArray();
        foreach (var capability in model.Capabilities ?? OllamaModel.DefaultCapabilities)
        {
            writer.WriteStringValue(capability);
        }
        writer.WriteEndArray();
        OllamaWire.WriteTime(writer, OllamaWire.ModifiedAt, model.ModifiedAt);
        writer.WriteEndObject();
    }

    /// <summary>
    /// /api/ps: the models with requests in flight through the proxy right now (the only "running" it can see).
    /// <c>expires_at</c> is <paramref name="now"/>: the proxy keeps nothing loaded, so nothing stays past the request.
    /// </summary>
    public static void WritePs(IEnumerable<OllamaModel> running, DateTimeOffset now, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WritePropertyName("models"u8);
        writer.WriteStartArray();
        foreach (var model in running)
        {
            writer.WriteStartObject();
            WriteIdentity(writer, model.Name);
            writer.WriteNumber("size"u8, 0);
            writer.WriteString("digest"u8, ""u8);
            WriteDetails(writer);
            OllamaWire.WriteTime(writer, OllamaWire.ExpiresAt, now);
            writer.WriteNumber("size_vram"u8, 0);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary><c>{"version":"0.9.0"}</c>.</summary>
    public static void WriteVersion(IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, OllamaJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("version"u8, Version);
        writer.WriteEndObject();
    }

    private static void WriteIdentity(Utf8JsonWriter writer, string name)
    {
        writer.WriteString("name"u8, name);
        writer.WriteString("model"u8, name);
    }

    private static void WriteDetails(Utf8JsonWriter writer)
    {
        writer.WritePropertyName("details"u8);
        writer.WriteStartObject();
        writer.WriteString("parent_model"u8, ""u8);
        writer.WriteString("format"u8, ""u8);
        writer.WriteString("family"u8, ""u8);
        writer.WriteNull("families"u8);
        writer.WriteString("parameter_size"u8, ""u8);
        writer.WriteString("quantization_level"u8, ""u8);
        writer.WriteEndObject();
    }
}

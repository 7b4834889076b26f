using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// <c>POST /api/generate</c> body → OpenAI <c>/v1/chat/completions</c> body (docs/ollama.md, "/api/generate"): the
/// optional <c>system</c> becomes a system message, <c>prompt</c> and <c>images</c> the user message; format, options
/// and stream as for /api/chat. Dropped: <c>suffix</c>, <c>raw</c>, <c>template</c>, <c>context</c> (they drive
/// Ollama's own prompt templating and KV cache, which an OpenAI chat endpoint does itself), <c>keep_alive</c>,
/// <c>think</c>. No prompt and no images is Ollama's "load the model" call, answered without the upstream.
/// </summary>
internal static class OllamaGenerateRequestTranslator
{
    /// <summary>Translates <paramref name="body"/> into <paramref name="output"/>, as <see cref="OllamaChatRequestTranslator.Translate"/>.</summary>
    public static OllamaRequest Translate(ReadOnlySpan<byte> body, IBufferWriter<byte> output, Func<string, string>? upstreamModel = null) =>
        OllamaBodyTranslation.Run(body, output, upstreamModel, Translate);

    private static OllamaRequest Translate(ReadOnlySpan<byte> body, Utf8JsonWriter writer, Func<string, string>? upstreamModel)
    {
        var reader = new Utf8JsonReader(body, OllamaJson.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return OllamaRequest.Invalid("request body must be a JSON object");
        }
        var common = new OllamaCommonFields();
        OllamaSegment prompt = default, system = default, images = default;
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (common.TryHandle(ref reader, body, writer, out var problem))
            {
                // A field all Ollama routes share: handled.
            }
            else if (OllamaJson.TextEquals(ref reader, "prompt"u8))
            {
                problem = OllamaChatMessage.Take(ref reader, body, JsonTokenType.String, "prompt must be a string", out prompt);
            }
            else if (OllamaJson.TextEquals(ref reader, "system"u8))
            {
                problem = OllamaChatMessage.Take(ref reader, body, JsonTokenType.String, "system must be a string", out system);
            }
            else if (OllamaJson.TextEquals(ref reader, "images"u8))
            {
                problem = OllamaChatMessage.Take(ref reader, body, JsonTokenType.StartArray, "images must be a list", out images);
            }
            else
            {
                reader.Read();
                reader.Skip();
                problem = null;
            }
            if (problem is not null)
            {
                return OllamaRequest.Invalid(problem);
            }
        }
        while (reader.Read())
        {
        }
        if (common.ModelProblem is { } modelProblem)
        {
            return OllamaRequest.Invalid(modelProblem);
        }
        var model = common.Model!;
        var hasImages = OllamaImages.HasAny(body, images);
        if ((!prompt.IsPresent || prompt.IsEmptyString) && !hasImages)
        {
            return new OllamaRequest(common.KeepAliveZero ? OllamaRequestKind.Unload : OllamaRequestKind.Load, model, common.Stream, null);
        }
        writer.WritePropertyName("messages"u8);
        writer.WriteStartArray();
        if (system.IsPresent && !system.IsEmptyString)
        {
            WriteTextMessage(writer, body, "system"u8, system);
        }
        if (hasImages)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "user"u8);
            writer.WritePropertyName("content"u8);
            var problem = OllamaImages.WriteContentParts(writer, body, prompt, images, out var bad);
            if (problem != OllamaImageProblem.None)
            {
                return OllamaRequest.Invalid(string.Create(
                    CultureInfo.InvariantCulture, $"images[{bad}] {OllamaChatRequestTranslator.ImageProblemText(problem)}"));
            }
            writer.WriteEndObject();
        }
        else
        {
            WriteTextMessage(writer, body, "user"u8, prompt);
        }
        writer.WriteEndArray();
        OllamaChatRequestTranslator.WriteTail(writer, model, common.Stream, upstreamModel);
        return new OllamaRequest(OllamaRequestKind.Upstream, model, common.Stream, null);
    }

    private static void WriteTextMessage(Utf8JsonWriter writer, ReadOnlySpan<byte> body, ReadOnlySpan<byte> role, OllamaSegment text)
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, role);
        writer.WritePropertyName("content"u8);
        var reader = text.Reader(body);
        OllamaJson.CopyString(writer, ref reader, text.Bytes(body));
        writer.WriteEndObject();
    }
}

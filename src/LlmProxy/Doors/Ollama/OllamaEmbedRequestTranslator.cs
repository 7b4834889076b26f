using System.Buffers;
using System.Text.Json;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// <c>POST /api/embed</c> (<c>input</c>: a string or a list of strings, <c>dimensions</c>) and the older
/// <c>POST /api/embeddings</c> (<c>prompt</c>: one string) → OpenAI <c>/v1/embeddings</c> body, asking for float
/// vectors. Dropped: <c>truncate</c> (OpenAI has no such field; an upstream applies its own limit), <c>options</c>,
/// <c>keep_alive</c>. No input at all is Ollama's "load the model" call. docs/ollama.md, "Embeddings".
/// </summary>
internal static class OllamaEmbedRequestTranslator
{
    /// <summary>Translates an /api/embed body; <paramref name="upstreamModel"/> as for /api/chat.</summary>
    public static OllamaRequest TranslateEmbed(ReadOnlySpan<byte> body, IBufferWriter<byte> output, Func<string, string>? upstreamModel = null) =>
        Translate(body, output, upstreamModel, legacy: false);

    /// <summary>Translates an /api/embeddings body (<c>prompt</c>).</summary>
    public static OllamaRequest TranslateEmbeddings(ReadOnlySpan<byte> body, IBufferWriter<byte> output, Func<string, string>? upstreamModel = null) =>
        Translate(body, output, upstreamModel, legacy: true);

    private static OllamaRequest Translate(ReadOnlySpan<byte> body, IBufferWriter<byte> output, Func<string, string>? upstreamModel, bool legacy) =>
        OllamaBodyTranslation.Run(body, output, (upstreamModel, legacy), static (b, w, s) => Translate(b, w, s.upstreamModel, s.legacy));

    private static OllamaRequest Translate(ReadOnlySpan<byte> body, Utf8JsonWriter writer, Func<string, string>? upstreamModel, bool legacy)
    {
        var reader = new Utf8JsonReader(body, OllamaJson.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return OllamaRequest.Invalid("request body must be a JSON object");
        }
        var common = new OllamaCommonFields();
        var inputs = 0;
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (common.TryHandle(ref reader, body, writer: null, out var problem))
            {
                // A field all Ollama routes share: handled.
            }
            else if (!legacy && OllamaJson.TextEquals(ref reader, "input"u8))
            {
                reader.Read();
                problem = WriteInput(ref reader, body, writer, out inputs);
            }
            else if (legacy && OllamaJson.TextEquals(ref reader, "prompt"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    inputs = reader.ValueSpan.IsEmpty ? 0 : 1;
                    writer.WritePropertyName("input"u8);
                    OllamaJson.CopyString(writer, ref reader, body);
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    reader.Skip();
                    problem = "prompt must be a string";
                }
            }
            else if (!legacy && OllamaJson.TextEquals(ref reader, "dimensions"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var dimensions) && dimensions > 0)
                {
                    writer.WriteNumber("dimensions"u8, dimensions);
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    reader.Skip();
                    problem = "dimensions must be a positive integer";
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
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
        if (inputs == 0)
        {
            return new OllamaRequest(common.KeepAliveZero ? OllamaRequestKind.Unload : OllamaRequestKind.Load, model, false, null);
        }
        // OpenAI's own client asks for base64 by default; Ollama's answer is numbers, so ask for numbers.
        writer.WriteString("encoding_format"u8, "float"u8);
        writer.WriteString("model"u8, upstreamModel?.Invoke(model) ?? model);
        writer.WriteEndObject();
        writer.Flush();
        return new OllamaRequest(OllamaRequestKind.Upstream, model, false, null);
    }

    private static string? WriteInput(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, Utf8JsonWriter writer, out int inputs)
    {
        inputs = 0;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                if (!reader.ValueSpan.IsEmpty)
                {
                    inputs = 1;
                    writer.WritePropertyName("input"u8);
                    OllamaJson.CopyString(writer, ref reader, body);
                }
                return null;
            case JsonTokenType.StartArray:
                var scan = reader;
                while (scan.Read() && scan.TokenType != JsonTokenType.EndArray)
                {
                    if (scan.TokenType != JsonTokenType.String)
                    {
                        reader.Skip();
                        return "input must be a string or a list of strings";
                    }
                    inputs++;
                }
                if (inputs == 0)
                {
                    reader.Skip();
                    return null;
                }
                writer.WritePropertyName("input"u8);
                writer.WriteRawValue(OllamaJson.RawValue(ref reader, body), skipInputValidation: true);
                return null;
            default:
                reader.Skip();
                return "input must be a string or a list of strings";
        }
    }
}

using System.Text.Json;
using LlmProxy.Json;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// The only parse of a /v1 request body (docs/api.md, OpenAI routes): one forward pass of <see cref="Utf8JsonReader"/> over the
/// pooled bytes that reads <c>model</c>, <c>stream</c> and <c>stream_options.include_usage</c>, skips every other value
/// without materialising it, and so also proves the body is well-formed JSON. Nothing is deserialised; the bytes are
/// forwarded as they are.
/// </summary>
internal static class OpenAiBodySniffer
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>The facts, or null with <paramref name="problem"/> and <paramref name="param"/> set (a 400).</summary>
    public static OpenAiBodyFacts? Sniff(ReadOnlySpan<byte> body, out string? problem, out string? param)
    {
        problem = null;
        param = null;
        string? model = null;
        var stream = false;
        var includeUsage = false;
        try
        {
            var reader = new Utf8JsonReader(body, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "Request body must be a JSON object";
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // JsonText.Is: a property name holding a lone surrogate escape is just another name to skip, not a 500.
                if (JsonText.Is(ref reader, "model"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        (problem, param) = ("'model' must be a string", "model");
                        return null;
                    }
                    model = JsonText.TryGetString(ref reader);
                    if (model is null)
                    {
                        (problem, param) = ("'model' must be valid Unicode text (contains a lone surrogate escape)", "model");
                        return null;
                    }
                }
                else if (JsonText.Is(ref reader, "stream"u8))
                {
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                    {
                        (problem, param) = ("'stream' must be a boolean", "stream");
                        return null;
                    }
                    stream = reader.TokenType == JsonTokenType.True;
                }
                else if (JsonText.Is(ref reader, "stream_options"u8))
                {
                    reader.Read();
                    includeUsage = ReadIncludeUsage(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // Reads the rest (nothing, for a well-formed object): trailing garbage is a JsonException here.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            problem = $"Request body is not valid JSON: {e.Message}";
            return null;
        }
        if (string.IsNullOrWhiteSpace(model))
        {
            (problem, param) = (model is null ? "'model' is required" : "'model' must be a non-empty string", "model");
            return null;
        }
        return new OpenAiBodyFacts(model, stream, includeUsage);
    }

    private static bool ReadIncludeUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }
        var includeUsage = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIncludeUsage = JsonText.Is(ref reader, "include_usage"u8);
            reader.Read();
            if (isIncludeUsage && reader.TokenType == JsonTokenType.True)
            {
                includeUsage = true;
            }
            reader.Skip();
        }
        return includeUsage;
    }
}

/// <summary>What the proxy reads from a /v1 body: the model (routing), stream (SSE or not), include_usage (the stub).</summary>
internal sealed record OpenAiBodyFacts(string Model, bool Stream, bool IncludeUsage);

using System.Text.Json;

namespace LlmProxy.Routing;

/// <summary>
/// Reads an upstream's <c>GET /models</c> answer in OpenAI's shape, <c>{"data":[{"id":…,"created":…}]}</c>, as Ollama,
/// vLLM, LM Studio, llama.cpp server and LocalAI all send it. Entries without a string id are skipped. Not the request
/// path: a list is read at start and every MODEL_REFRESH_SECONDS, so a document is fine here.
/// </summary>
internal static class CatalogParser
{
    /// <summary>The models, or null when the body is not such a list.</summary>
    public static CatalogModel[]? Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                return null;
            }
            var models = new List<CatalogModel>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in data.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                    && id.GetString() is { Length: > 0 } name && seen.Add(name))
                {
                    long? created = item.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var value) ? value : null;
                    models.Add(new CatalogModel(name, created));
                }
            }
            return [.. models];
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

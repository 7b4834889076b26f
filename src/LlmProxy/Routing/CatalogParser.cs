using System.Text.Json;
using LlmProxy.Json;

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
                || !JsonText.TryGetProperty(document.RootElement, "data"u8, out var data) || data.ValueKind != JsonValueKind.Array)
            {
                return null;
            }
            var models = new List<CatalogModel>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in data.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && JsonText.TryGetProperty(item, "id"u8, out var id) && id.ValueKind == JsonValueKind.String
                    // An id that is not valid text (a lone surrogate escape) names nothing a client could ask for.
                    && JsonText.TryGetString(id, out var name) && name.Length > 0 && seen.Add(name))
                {
                    long? created = JsonText.TryGetProperty(item, "created"u8, out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var value) ? value : null;
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

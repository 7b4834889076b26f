using System.Text.Json;
using System.Text.Json.Serialization;
using LlmProxy.Json;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// GET /v1/models (docs/api.md, OpenAI routes): the exact model names of MODEL_PROVIDER_MAP plus the upstream's own
/// list when some route leads there and it answers, deduplicated by id, always <c>{"object":"list","data":[...]}</c>
/// with id, object, created and owned_by on every entry. An unreachable or failing upstream shrinks the list; it never
/// fails it.
/// </summary>
internal sealed partial class OpenAiModelsHandler(ModelRouter router, OpenAiCompatUpstream upstream, TimeProvider time, ILogger<OpenAiModelsHandler> logger)
{
    private readonly long _started = time.GetUtcNow().ToUnixTimeSeconds();

    public async Task HandleAsync(HttpContext context)
    {
        var entries = await ListAsync(context);
        context.Response.StatusCode = 200;
        await context.Response.WriteAsJsonAsync(new ModelList("list", entries), OpenAiJsonContext.Default.ModelList, contentType: null, context.RequestAborted);
    }

    /// <summary>The models the proxy can route, as /v1/models lists them (also the source of Ollama's /api/tags).</summary>
    public async Task<IReadOnlyList<ModelEntry>> ListAsync(HttpContext context)
    {
        var entries = new List<ModelEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (router.Reaches(upstream.Name))
        {
            await AddUpstreamModelsAsync(context, entries, seen);
        }
        foreach (var model in router.ExactModels.Order(StringComparer.Ordinal))
        {
            if (seen.Add(model))
            {
                entries.Add(new ModelEntry(model, "model", _started, router.ProviderNameFor(model)));
            }
        }
        return entries;
    }

    private async Task AddUpstreamModelsAsync(HttpContext context, List<ModelEntry> entries, HashSet<string> seen)
    {
        var (body, unavailable) = await upstream.ListModelsAsync(context);
        if (body is null)
        {
            LogUpstreamListFailed(logger, unavailable!);
            return;
        }
        using (body)
        {
            try
            {
                Parse(body.Memory, entries, seen);
            }
            catch (JsonException e)
            {
                LogUpstreamListFailed(logger, e.GetType().Name);
            }
        }
    }

    /// <summary>
    /// OpenAI's shape, <c>{"data":[{"id":...}]}</c>; entries without an id (or with one that is not valid text, which no
    /// client could name) are skipped, missing fields filled.
    /// </summary>
    private void Parse(ReadOnlyMemory<byte> body, List<ModelEntry> entries, HashSet<string> seen)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !JsonText.TryGetProperty(document.RootElement, "data"u8, out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !JsonText.TryGetProperty(item, "id"u8, out var id) || id.ValueKind != JsonValueKind.String
                || !JsonText.TryGetString(id, out var name) || name.Length == 0 || !seen.Add(name))
            {
                continue;
            }
            var created = JsonText.TryGetProperty(item, "created"u8, out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var value) ? value : _started;
            var ownedBy = JsonText.TryGetProperty(item, "owned_by"u8, out var o) && o.ValueKind == JsonValueKind.String && JsonText.GetStringLenient(o) is { Length: > 0 } owner
                ? owner
                : upstream.Name;
            entries.Add(new ModelEntry(name, "model", created, ownedBy));
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "upstream model list unavailable ({Reason}); listing the map's models only")]
    private static partial void LogUpstreamListFailed(ILogger logger, string reason);
}

/// <summary><c>GET /v1/models</c>: always <c>{"object":"list","data":[...]}</c>.</summary>
internal sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

internal sealed record ModelEntry(string Id, string Object, long Created, string OwnedBy);

/// <summary>Source-generated JSON for the OpenAI door's own answers (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ModelList))]
internal sealed partial class OpenAiJsonContext : JsonSerializerContext;

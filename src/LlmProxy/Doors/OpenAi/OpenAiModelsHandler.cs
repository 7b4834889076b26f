using System.Text.Json;
using System.Text.Json.Serialization;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// GET /v1/models (docs/api.md, OpenAI routes; docs/upstreams.md, Model lists): always <c>{"object":"list","data":[...]}</c>
/// with id, object, created and owned_by on every entry, each id once — the upstreams' lists (in the order of the
/// upstreams, <c>owned_by</c> = the upstream's name), then the map's exact names, then the aliases. The lists are the
/// catalog's, read in the background; a list not read yet is waited for (at most 10 s), an unreachable upstream's
/// is simply missing. The legacy single upstream is asked live, as it always was.
/// </summary>
internal sealed partial class OpenAiModelsHandler(ModelRouter router, UpstreamPool pool, TimeProvider time, ILogger<OpenAiModelsHandler> logger)
{
    private readonly long _started = time.GetUtcNow().ToUnixTimeSeconds();

    public async Task HandleAsync(HttpContext context)
    {
        var entries = new List<ModelEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (pool.Mode == UpstreamMode.Legacy)
        {
            if (pool.Find(ProviderNames.Ollama) is { } legacy)
            {
                await AddLegacyModelsAsync(context, legacy, entries, seen);
            }
        }
        else
        {
            await AddCatalogModelsAsync(context, entries, seen);
        }
        foreach (var model in router.ExactModels.Order(StringComparer.Ordinal))
        {
            if (seen.Add(model))
            {
                entries.Add(new ModelEntry(model, "model", _started, OwnerOf(model)));
            }
        }
        foreach (var (alias, target) in router.Aliases.Targets.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (seen.Add(alias))
            {
                entries.Add(new ModelEntry(alias, "model", _started, OwnerOf(target)));
            }
        }
        context.Response.StatusCode = 200;
        await context.Response.WriteAsJsonAsync(new ModelList("list", entries), OpenAiJsonContext.Default.ModelList, contentType: null, context.RequestAborted);
    }

    /// <summary>The upstream a model goes to, for owned_by: the map's or LLM_PROVIDER's, or by the lists for <c>auto</c>.</summary>
    private string OwnerOf(string model)
    {
        var route = router.Route(model);
        return route.Name == ProviderNames.Auto && route.Candidates.Length > 0 ? route.Candidates[0].Name : route.Name;
    }

    private async Task AddCatalogModelsAsync(HttpContext context, List<ModelEntry> entries, HashSet<string> seen)
    {
        var upstreams = pool.Entries;
        var firstReads = upstreams.Where(e => !e.FirstRead.IsCompleted).Select(e => e.FirstRead).ToArray();
        if (firstReads.Length > 0)
        {
            // Just after start a list may still be on its way: wait for it a little, never long.
            await Task.WhenAny(Task.WhenAll(firstReads), Task.Delay(OpenAiCompatUpstream.ModelListTimeout, time, context.RequestAborted));
        }
        foreach (var upstream in upstreams)
        {
            foreach (var model in upstream.Models ?? [])
            {
                if (seen.Add(model.Id))
                {
                    entries.Add(new ModelEntry(model.Id, "model", model.Created ?? _started, upstream.Name));
                }
            }
        }
    }

    private async Task AddLegacyModelsAsync(HttpContext context, UpstreamEntry legacy, List<ModelEntry> entries, HashSet<string> seen)
    {
        var (body, unavailable, _) = await legacy.Http!.ListModelsAsync(context, context.RequestAborted);
        if (body is null)
        {
            LogUpstreamListFailed(logger, unavailable!);
            return;
        }
        using (body)
        {
            try
            {
                Parse(body.Memory, legacy.Name, entries, seen);
            }
            catch (JsonException e)
            {
                LogUpstreamListFailed(logger, e.GetType().Name);
            }
            // The list just read also tells the metrics which model names are real.
            if (legacy.ListRead(CatalogParser.Parse(body.Memory)))
            {
                pool.NotifyChanged();
            }
        }
    }

    /// <summary>OpenAI's shape, <c>{"data":[{"id":...}]}</c>; entries without an id are skipped, missing fields filled.</summary>
    private void Parse(ReadOnlyMemory<byte> body, string upstreamName, List<ModelEntry> entries, HashSet<string> seen)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || id.GetString() is not { Length: > 0 } name || !seen.Add(name))
            {
                continue;
            }
            var created = item.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var value) ? value : _started;
            var ownedBy = item.TryGetProperty("owned_by", out var o) && o.ValueKind == JsonValueKind.String && o.GetString() is { Length: > 0 } owner
                ? owner
                : upstreamName;
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

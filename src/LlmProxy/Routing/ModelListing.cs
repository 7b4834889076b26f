using System.Text.Json;
using LlmProxy.Json;
using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// The models the proxy can route, for every door that lists them (<c>GET /v1/models</c>, and any other door's
/// listing): each upstream's model list in the order of the upstreams (<c>owned_by</c> = the upstream), then the map's
/// exact names, then the aliases, each name once (docs/upstreams.md, Routing). The lists are the catalog's, read in
/// the background; right after start a list still being read is waited for, at most
/// <see cref="OpenAiCompatUpstream.ModelListTimeout"/>. The legacy single upstream is asked live, as it always was,
/// and keeps the server's own <c>owned_by</c>. Knows no HTTP dialect: each door writes the list in its own.
/// </summary>
internal sealed partial class ModelListing(ModelRouter router, UpstreamPool pool, TimeProvider time, ILogger<ModelListing> logger)
{
    private readonly long _started = time.GetUtcNow().ToUnixTimeSeconds();

    /// <param name="context">The client's request: a legacy live read forwards its headers; its leaving ends the wait.</param>
    public async Task<IReadOnlyList<ListedModel>> ListAsync(HttpContext context)
    {
        var models = new List<ListedModel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (pool.Mode == UpstreamMode.Legacy)
        {
            if (pool.Find(ProviderNames.Ollama) is { } legacy)
            {
                await AddLegacyAsync(context, legacy, models, seen);
            }
        }
        else
        {
            await AddCatalogAsync(context, models, seen);
        }
        foreach (var model in router.ExactModels.Order(StringComparer.Ordinal))
        {
            if (seen.Add(model))
            {
                models.Add(new ListedModel(model, _started, OwnerOf(model)));
            }
        }
        foreach (var (alias, target) in router.Aliases.Targets.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (seen.Add(alias))
            {
                models.Add(new ListedModel(alias, _started, OwnerOf(target)));
            }
        }
        return models;
    }

    /// <summary>The upstream a model goes to: the map's or LLM_PROVIDER's route, or for <c>auto</c> the first upstream listing it.</summary>
    private string OwnerOf(string model)
    {
        var route = router.Route(model);
        return route.Name == ProviderNames.Auto && route.Candidates.Length > 0 ? route.Candidates[0].Name : route.Name;
    }

    private async Task AddCatalogAsync(HttpContext context, List<ListedModel> models, HashSet<string> seen)
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
                    models.Add(new ListedModel(model.Id, model.Created ?? _started, upstream.Name));
                }
            }
        }
    }

    private async Task AddLegacyAsync(HttpContext context, UpstreamEntry legacy, List<ListedModel> models, HashSet<string> seen)
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
                ParseLegacy(body.Memory, legacy.Name, models, seen);
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

    /// <summary>
    /// OpenAI's shape, <c>{"data":[{"id":...}]}</c>; entries without an id (or with one that is not valid text, which no
    /// client could name) are skipped, missing fields filled.
    /// </summary>
    private void ParseLegacy(ReadOnlyMemory<byte> body, string upstreamName, List<ListedModel> models, HashSet<string> seen)
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
                : upstreamName;
            models.Add(new ListedModel(name, created, ownedBy));
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "upstream model list unavailable ({Reason}); listing the map's models only")]
    private static partial void LogUpstreamListFailed(ILogger logger, string reason);
}

/// <summary>One model a door lists: its id, its creation time (Unix seconds) and the upstream (or route) that serves it.</summary>
internal sealed record ListedModel(string Id, long Created, string OwnedBy);

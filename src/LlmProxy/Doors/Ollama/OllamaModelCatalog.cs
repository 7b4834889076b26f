using LlmProxy.Http.Auth;
using LlmProxy.Routing;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// The models the Ollama door lists (/api/tags) and knows (/api/show, the load calls): the same list as /v1/models
/// (routing's <see cref="ModelListing"/>; docs/upstreams.md), read through <see cref="ListAsync"/>, the one method to change when the source of
/// that list changes. docs/ollama.md, Model routes.
/// </summary>
internal sealed class OllamaModelCatalog(ModelListing models, ModelRouter router, TimeProvider time)
{
    /// <summary>What a client learns of a model the stub answers: it exists since the proxy started.</summary>
    private readonly DateTimeOffset _started = time.GetUtcNow();

    /// <summary>Every listed model; <c>modified_at</c> is the list's <c>created</c> (when the server made or learned of it).</summary>
    public async Task<IReadOnlyList<OllamaModel>> ListAsync(HttpContext context)
    {
        var entries = await models.ListAsync(context);
        var list = new List<OllamaModel>(entries.Count);
        foreach (var entry in entries)
        {
            // A key limited to some models sees only those (docs/replicas.md, Per-key settings), as on /v1/models.
            if (ModelAccess.Allows(context, entry.Id))
            {
                list.Add(new OllamaModel(entry.Id, FromUnixSeconds(entry.Created)));
            }
        }
        return list;
    }

    /// <summary>
    /// The model a client means by <paramref name="name"/>, or null when the proxy cannot serve it. A model the stub
    /// answers is always known (the stub answers every name). Otherwise it must be listed — as it is spelled, or, for a
    /// name without a tag, with <c>:latest</c>, as Ollama itself reads <c>llama3</c> as <c>llama3:latest</c>.
    /// </summary>
    public async Task<OllamaModel?> FindAsync(HttpContext context, string name)
    {
        if (router.ProviderNameFor(name) == ProviderNames.Stub)
        {
            return new OllamaModel(name, _started);
        }
        var list = await ListAsync(context);
        return list.FirstOrDefault(m => m.Name == name)
            ?? (name.Contains(':', StringComparison.Ordinal) ? null : list.FirstOrDefault(m => m.Name == name + ":latest"));
    }

    /// <summary>A server's <c>created</c> may be any number; one outside the calendar is not worth a failed answer.</summary>
    private static DateTimeOffset FromUnixSeconds(long seconds) =>
        DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, DateTimeOffset.MinValue.ToUnixTimeSeconds(), DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
}

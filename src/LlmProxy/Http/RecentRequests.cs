using LlmProxy.Metrics;

namespace LlmProxy.Http;

/// <summary>
/// The last <see cref="Capacity"/> finished API requests, for the /ui page (docs/observability.md, /ui/stats.json):
/// one small immutable record per request, written at the end of the request into a ring of slots with one
/// <see cref="Interlocked.Increment(ref long)"/> (no lock); a reader copies the slots. Only what the page shows is
/// kept — never a header (so never a key or <c>Authorization</c>), a client address, a body or the raw URL (whose
/// query string could carry a secret): the route template, and the model cut at <see cref="MaxModelLength"/>
/// characters so a hostile model name cannot pin memory.
/// </summary>
internal sealed class RecentRequests
{
    public const int Capacity = 50;
    public const int MaxModelLength = 128;

    private readonly RecentRequest?[] _slots = new RecentRequest?[Capacity];
    private long _written;

    /// <summary>Records a finished request (the pipeline calls it once per request, operations routes excluded).</summary>
    public void Add(HttpContext context, RequestOutcome outcome)
    {
        var model = outcome.Model;
        if (model is { Length: > MaxModelLength })
        {
            model = model[..MaxModelLength];
        }
        var entry = new RecentRequest(
            outcome.EndedTimestamp, context.TraceIdentifier, HttpMethodLabels.For(context.Request.Method), outcome.Route, model, outcome.Provider,
            outcome.Status, outcome.Duration, outcome.PromptTokens, outcome.CompletionTokens, outcome.Stream);
        var index = Interlocked.Increment(ref _written) - 1;
        Volatile.Write(ref _slots[index % Capacity], entry);
    }

    /// <summary>
    /// The kept requests, newest first. A request that ends while this runs may replace an older one in the copy; the
    /// list is sorted by end time, so it stays in order.
    /// </summary>
    public List<RecentRequest> Snapshot()
    {
        var list = new List<RecentRequest>(Capacity);
        foreach (ref var slot in _slots.AsSpan())
        {
            if (Volatile.Read(ref slot) is { } entry)
            {
                list.Add(entry);
            }
        }
        list.Sort(static (a, b) => b.EndedTimestamp.CompareTo(a.EndedTimestamp));
        return list;
    }
}

/// <summary>One finished request as the /ui page lists it.</summary>
/// <param name="EndedTimestamp">A <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
/// <param name="Route">The route template, or null when no route matched.</param>
/// <param name="Upstream">The upstream (provider) the request was routed to, or null when none.</param>
internal sealed record RecentRequest(
    long EndedTimestamp,
    string RequestId,
    string Method,
    string? Route,
    string? Model,
    string? Upstream,
    int Status,
    TimeSpan Duration,
    int? PromptTokens,
    int? CompletionTokens,
    bool Stream);

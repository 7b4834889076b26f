using LlmProxy.Metrics;
using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// One upstream as routing sees it (docs/upstreams.md): the <see cref="IUpstream"/> to send attempts to, its health,
/// its slots and queue, its priority, and its model list (the catalog's part). The stub is an entry too, always
/// healthy, without limit or list.
/// </summary>
internal sealed class UpstreamEntry
{
    private CatalogModel[]? _models;
    private readonly TaskCompletionSource _firstRead = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="upstream">Where attempts go.</param>
    /// <param name="http">The same upstream when it is an HTTP server (probes, model lists); null for the stub.</param>
    /// <param name="priority">Lower is preferred.</param>
    /// <param name="gate">Its slots.</param>
    /// <param name="order">Its place in the configuration (or the order of discovery): the order of listings.</param>
    /// <param name="fixedModels">UPSTREAM_&lt;NAME&gt;_MODELS: the model list, never read from the server.</param>
    /// <param name="monitored">Probed and its list read in the background (every upstream but the legacy one and the stub).</param>
    /// <param name="metrics">Its series (up/down); null for the stub.</param>
    public UpstreamEntry(IUpstream upstream, OpenAiCompatUpstream? http, int priority, ConcurrencyGate gate, int order,
        IReadOnlyList<string>? fixedModels, bool monitored, UpstreamSeries? metrics)
    {
        Upstream = upstream;
        Http = http;
        Priority = priority;
        Gate = gate;
        Order = order;
        Monitored = monitored;
        Metrics = metrics;
        Alone = [this];
        if (fixedModels is not null)
        {
            FixedModels = true;
            _models = [.. fixedModels.Select(m => new CatalogModel(m, null))];
            _firstRead.TrySetResult();
        }
    }

    public string Name => Upstream.Name;

    /// <summary>This entry as a candidate list of one (a route that names it), made once.</summary>
    public UpstreamEntry[] Alone { get; }

    public IUpstream Upstream { get; }

    public OpenAiCompatUpstream? Http { get; }

    /// <summary>The upstream's health; null for the stub, which is always there.</summary>
    public UpstreamHealth? Health => Http?.Health;

    public int Priority { get; }

    public ConcurrencyGate Gate { get; }

    public int Order { get; }

    public bool Monitored { get; }

    public bool FixedModels { get; }

    public UpstreamSeries? Metrics { get; }

    /// <summary>Down: no traffic while another candidate is not.</summary>
    public bool IsDown => Health is { State: UpstreamState.Down };

    public UpstreamState State => Health?.State ?? UpstreamState.Up;

    /// <summary>The models it serves, as last read (or fixed); null while unknown (never read successfully).</summary>
    public CatalogModel[]? Models => Volatile.Read(ref _models);

    /// <summary>Completes after the first read of its list, successful or not (a listing waits for it, bounded).</summary>
    public Task FirstRead => _firstRead.Task;

    /// <summary>A read of the list ended: <paramref name="models"/> when it succeeded (the catalog then rebuilds), null when not.</summary>
    public bool ListRead(CatalogModel[]? models)
    {
        _firstRead.TrySetResult();
        if (models is null || FixedModels)
        {
            return false;
        }
        var previous = Volatile.Read(ref _models);
        Volatile.Write(ref _models, models);
        return previous is null || !previous.AsSpan().SequenceEqual(models);
    }
}

/// <summary>One model of an upstream's list: its id and, when the server gave one, its creation time (Unix seconds).</summary>
internal sealed record CatalogModel(string Id, long? Created);

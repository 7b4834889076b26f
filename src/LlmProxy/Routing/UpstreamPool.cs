using LlmProxy.Configuration;
using LlmProxy.Metrics;
using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// Every upstream the proxy may send to (docs/upstreams.md): the named ones of UPSTREAMS, or the legacy <c>ollama</c>
/// at OPENAI_COMPAT_BASE_URL when a route leads there, or the servers discovery has found so far — and the stub. The
/// set only grows (discovery adds; a server that goes away stays, <c>down</c>). Readers take the current array; an
/// addition swaps in a new one.
/// </summary>
internal sealed partial class UpstreamPool
{
    private readonly UpstreamClient _client;
    private readonly ProxySettings _settings;
    private readonly LlmMetrics _llmMetrics;
    private readonly UpstreamMetrics _metrics;
    private readonly ILogger<UpstreamCall> _callLogger;
    private readonly ILogger<UpstreamPool> _logger;
    private readonly Lock _lock = new();
    private UpstreamEntry[] _entries = [];

    public UpstreamPool(RoutingTable table, ProxySettings settings, UpstreamClient client, StubUpstream stub, LlmMetrics llmMetrics,
        UpstreamMetrics metrics, ILogger<UpstreamCall> callLogger, ILogger<UpstreamPool> logger)
    {
        _client = client;
        _settings = settings;
        _llmMetrics = llmMetrics;
        _metrics = metrics;
        _callLogger = callLogger;
        _logger = logger;
        Mode = table.Mode;
        Stub = new UpstreamEntry(stub, null, 0, new ConcurrencyGate(0, null), -1, null, monitored: false, metrics: null);
        switch (table.Mode)
        {
            case UpstreamMode.Named:
                foreach (var definition in settings.Upstreams)
                {
                    Add(definition, monitored: true);
                }
                break;
            case UpstreamMode.Legacy when table.Reaches(ProviderNames.Ollama):
                // The single upstream of before many upstreams, as it was: no background traffic of its own.
                var options = settings.UpstreamOptionsByName.GetValueOrDefault(ProviderNames.Ollama);
                Add(new UpstreamDefinition(ProviderNames.Ollama, settings.OpenAiCompatBaseUrl, Legacy(options, settings.OpenAiCompatApiKey)), monitored: false);
                break;
        }
    }

    public UpstreamMode Mode { get; }

    public UpstreamEntry Stub { get; }

    /// <summary>The HTTP upstreams, in the order of the configuration (or of discovery).</summary>
    public UpstreamEntry[] Entries => Volatile.Read(ref _entries);

    /// <summary>An upstream was added (discovery) or a model list changed: the catalog rebuilds its index.</summary>
    public event Action? Changed;

    /// <summary>The entry named <paramref name="name"/> (the stub included), or null.</summary>
    public UpstreamEntry? Find(string name)
    {
        if (name == Stub.Name)
        {
            return Stub;
        }
        foreach (var entry in Entries)
        {
            if (entry.Name == name)
            {
                return entry;
            }
        }
        return null;
    }

    /// <summary>Adds an upstream (at start, or when discovery finds one); returns the existing one if the name is taken.</summary>
    public UpstreamEntry Add(UpstreamDefinition definition, bool monitored)
    {
        UpstreamEntry entry;
        lock (_lock)
        {
            if (Array.Find(_entries, e => e.Name == definition.Name) is { } existing)
            {
                return existing;
            }
            var http = new OpenAiCompatUpstream(definition, _client, _settings, _llmMetrics, _callLogger);
            var series = _metrics.For(definition.Name);
            entry = new UpstreamEntry(http, http, definition.Options.Priority, new ConcurrencyGate(definition.Options.MaxConcurrency, series),
                _entries.Length, definition.Options.Models, monitored, series);
            http.Health.Changed += (state, reason) => OnHealthChanged(entry, state, reason);
            Volatile.Write(ref _entries, [.. _entries, entry]);
        }
        NotifyChanged();
        return entry;
    }

    /// <summary>Tells the catalog that a list changed.</summary>
    public void NotifyChanged() => Changed?.Invoke();

    /// <summary>What /healthz and the dashboard show of each upstream (never a key; the URL without user info).</summary>
    public IReadOnlyList<UpstreamStatus> Statuses() =>
    [
        .. Entries.Select(e => new UpstreamStatus(e.Name, e.Http!.Definition.DisplayUrl, StateName(e.State), e.Models?.Length,
            e.Gate.InFlight, e.Gate.Queued, e.Priority, e.Gate.MaxConcurrency)),
    ];

    public static string StateName(UpstreamState state) => state switch
    {
        UpstreamState.Up => "up",
        UpstreamState.Down => "down",
        _ => "unknown",
    };

    /// <summary>The legacy key goes only when the client's own Authorization is not forwarded, as it always did.</summary>
    private static UpstreamOptions Legacy(UpstreamOptions? options, string? legacyKey) =>
        options is { ApiKey: not null } ? options
        : new UpstreamOptions
        {
            ApiKey = legacyKey,
            ApiKeyOverridesClient = false,
            Priority = options?.Priority ?? 0,
            MaxConcurrency = options?.MaxConcurrency ?? 0,
            Models = options?.Models,
        };

    private void OnHealthChanged(UpstreamEntry entry, UpstreamState state, string? reason)
    {
        entry.Metrics?.SetUp(state == UpstreamState.Up);
        if (state == UpstreamState.Down)
        {
            LogDown(_logger, entry.Name, reason ?? "");
        }
        else
        {
            LogUp(_logger, entry.Name);
        }
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "upstream {Upstream} is down: {Reason}")]
    private static partial void LogDown(ILogger logger, string upstream, string reason);

    [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "upstream {Upstream} is up")]
    private static partial void LogUp(ILogger logger, string upstream);
}

/// <summary>One upstream in /healthz and on the dashboard.</summary>
/// <param name="Models">How many models its list names; null while the list is unknown.</param>
/// <param name="MaxConcurrency">0 = unlimited.</param>
internal sealed record UpstreamStatus(string Name, string Url, string State, int? Models, int InFlight, int Queued, int Priority, int MaxConcurrency);

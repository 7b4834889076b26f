using System.Collections.Concurrent;

namespace LlmProxy.Metrics;

/// <summary>
/// The per-upstream metrics (docs/operations.md, Metrics): <c>llm_upstream_up</c>, <c>llm_upstream_in_flight</c>,
/// <c>llm_upstream_queue_depth</c>, <c>llm_upstream_queue_wait_seconds</c>, <c>llm_upstream_failovers_total</c> and
/// <c>llm_model_catalog_refresh_errors_total</c>. Upstream names come from the configuration (or the four discovery
/// names), so every label here is bounded.
/// </summary>
internal sealed class UpstreamMetrics
{
    /// <summary>Queue waits from 1 ms to 2 minutes; 10, 15 and 30 s sit on the default QUEUE_TIMEOUT_SECONDS (30) and half of it.</summary>
    public static readonly double[] QueueWaitBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 60, 120];

    private readonly ConcurrentDictionary<string, UpstreamSeries> _byUpstream = new(StringComparer.Ordinal);
    private readonly Gauge _up;
    private readonly Gauge _inFlight;
    private readonly Gauge _queueDepth;
    private readonly Histogram _queueWait;
    private readonly Counter _failovers;
    private readonly Counter _catalogErrors;

    public UpstreamMetrics(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _up = registry.CreateGauge("llm_upstream_up",
            "1 when the upstream is up, 0 when the proxy has marked it down (no series until its first answer or probe).", "upstream");
        _inFlight = registry.CreateGauge("llm_upstream_in_flight", "Requests the upstream is serving now (streams until their last event).", "upstream");
        _queueDepth = registry.CreateGauge("llm_upstream_queue_depth", "Requests waiting for a slot of the upstream (at its _MAX_CONCURRENCY).", "upstream");
        _queueWait = registry.CreateHistogram("llm_upstream_queue_wait_seconds",
            "Time a request waited for a slot of an upstream with a _MAX_CONCURRENCY, in seconds (0 when one was free).", QueueWaitBuckets, "upstream");
        _failovers = registry.CreateCounter("llm_upstream_failovers_total",
            "Requests moved to another upstream after an attempt failed before any byte reached the client, by the upstream left and the one tried next.",
            "from", "to");
        _catalogErrors = registry.CreateCounter("llm_model_catalog_refresh_errors_total",
            "Failed reads of an upstream's model list (/models), start-up, periodic and probes included.", "upstream");
    }

    /// <summary>The series of one upstream (made once, then cached).</summary>
    public UpstreamSeries For(string upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return _byUpstream.TryGetValue(upstream, out var series)
            ? series
            : _byUpstream.GetOrAdd(upstream, name => new UpstreamSeries(name, _up, _inFlight.Labels(name), _queueDepth.Labels(name), _queueWait, _catalogErrors));
    }

    /// <summary>A request left <paramref name="from"/> (its attempt failed) for <paramref name="to"/>.</summary>
    public void Failover(string from, string to) => _failovers.Labels(from, to).Inc();
}

/// <summary>The series of one upstream. In flight and queue depth exist from the start; the rest appear with their first value.</summary>
internal sealed class UpstreamSeries(string upstream, Gauge up, GaugeChild inFlight, GaugeChild queueDepth, Histogram queueWait, Counter catalogErrors)
{
    private GaugeChild? _up;
    private HistogramChild? _queueWait;
    private CounterChild? _catalogErrors;

    public GaugeChild InFlight { get; } = inFlight;

    public GaugeChild QueueDepth { get; } = queueDepth;

    /// <summary>The upstream is up (true) or down (false): <c>llm_upstream_up</c>.</summary>
    public void SetUp(bool isUp) => (_up ??= up.Labels(upstream)).Set(isUp ? 1 : 0);

    public void QueueWaited(double seconds) => (_queueWait ??= queueWait.Labels(upstream)).Observe(seconds);

    public void CatalogRefreshFailed() => (_catalogErrors ??= catalogErrors.Labels(upstream)).Inc();
}

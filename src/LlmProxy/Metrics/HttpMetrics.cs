using System.Collections.Concurrent;

namespace LlmProxy.Metrics;

/// <summary>
/// The HTTP metrics (docs/operations.md, Metrics): <c>http_requests_total</c> and <c>http_request_duration_seconds</c> by
/// method, route template and status, and <c>http_requests_in_flight</c>. Every label value is bounded: methods fold
/// into the standard set, paths are route templates or <see cref="UnmatchedPath"/>, statuses are 100–599.
/// </summary>
internal sealed class HttpMetrics
{
    /// <summary>The <c>path</c> of every request no route matched (404s, 405s): never the raw URL, which the client picks.</summary>
    public const string UnmatchedPath = "unmatched";

    private readonly ConcurrentDictionary<LabelKey, HttpSeries> _series = new();
    private readonly Counter _requests;
    private readonly Histogram _duration;

    public HttpMetrics(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _requests = registry.CreateCounter("http_requests_total",
            "HTTP requests answered, by method, route template and status.", "method", "path", "status");
        _duration = registry.CreateHistogram("http_request_duration_seconds",
            "Time from the request reaching the proxy to the end of its response (whole stream included), in seconds.",
            Histogram.LlmDurationBuckets, "method", "path", "status");
        InFlight = registry.CreateGauge("http_requests_in_flight", "HTTP requests being served right now.").Labels();
    }

    public GaugeChild InFlight { get; }

    /// <summary><c>http_requests_total</c>, for readers of the same numbers as a scrape (the /ui page).</summary>
    public Counter Requests => _requests;

    /// <summary>
    /// Records one finished request. <paramref name="method"/> and <paramref name="path"/> are label values already: a
    /// method from <see cref="HttpMethodLabels"/>, a route template or <see cref="UnmatchedPath"/>.
    /// </summary>
    public void Observe(string method, string path, int status, double seconds)
    {
        var key = new LabelKey(method, path, StatusCodeLabels.For(status));
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series.GetOrAdd(key, k => new HttpSeries(
                _requests.Labels(k.First!, k.Second!, k.Third!),
                _duration.Labels(k.First!, k.Second!, k.Third!)));
        }
        series.Requests.Inc();
        series.Duration.Observe(seconds);
    }
}

/// <summary>The two series one (method, path, status) records into, found with a single lookup per request.</summary>
internal sealed record HttpSeries(CounterChild Requests, HistogramChild Duration);

namespace LlmProxy.Metrics;

/// <summary>The two series one (method, path, status) records into, found with a single lookup per request.</summary>
public sealed record HttpSeries(CounterChild Requests, HistogramChild Duration);

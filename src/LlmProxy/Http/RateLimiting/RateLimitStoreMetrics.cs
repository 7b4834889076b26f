using LlmProxy.Metrics;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The Redis store's metrics (docs/operations.md, Metrics): <c>llm_ratelimit_store_up</c> (1 reachable, 0 not),
/// <c>llm_ratelimit_store_errors_total</c> (failed or timed-out calls, and probes that found no connection) and
/// <c>llm_ratelimit_store_call_seconds</c> (every call's duration). Registered only when REDIS_URL is set.
/// </summary>
internal sealed class RateLimitStoreMetrics : IRateLimitStoreMetrics
{
    /// <summary>From a tenth of a millisecond (a loopback round trip) to the 250 ms call timeout and a little past it.</summary>
    private static readonly double[] CallBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5];

    private readonly GaugeChild _up;
    private readonly CounterChild _errors;
    private readonly HistogramChild _calls;

    public RateLimitStoreMetrics(MetricsRegistry registry)
    {
        _up = registry.CreateGauge("llm_ratelimit_store_up", "Whether the shared rate-limit store (Redis) answered the last call: 1 yes, 0 no.").Labels();
        _errors = registry.CreateCounter("llm_ratelimit_store_errors_total",
            "Calls to the shared rate-limit store (Redis) that failed or timed out, and probes that found no connection.").Labels();
        _calls = registry.CreateHistogram("llm_ratelimit_store_call_seconds",
            "Duration of calls to the shared rate-limit store (Redis), failed ones included, in seconds.", CallBuckets).Labels();
    }

    public void StoreUp(bool up) => _up.Set(up ? 1 : 0);

    public void StoreError() => _errors.Inc();

    public void StoreCall(double seconds) => _calls.Observe(seconds);
}

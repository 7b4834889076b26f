namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// What the Redis store reports for <c>llm_ratelimit_store_up</c>, <c>llm_ratelimit_store_errors_total</c> and
/// <c>llm_ratelimit_store_call_seconds</c> (docs/replicas.md, "Failure modes"). Called on the request path: implementations must be
/// cheap and must not throw.
/// </summary>
internal interface IRateLimitStoreMetrics
{
    /// <summary>The store became reachable (true) or unreachable (false); called on changes only.</summary>
    void StoreUp(bool up);

    /// <summary>One Redis call failed (error, timeout, or no connection).</summary>
    void StoreError();

    /// <summary>One Redis call took <paramref name="seconds"/>, whether it succeeded or failed.</summary>
    void StoreCall(double seconds);
}

/// <summary>Reports nothing (tests, and the store before the metrics are wired).</summary>
internal sealed class NoRateLimitStoreMetrics : IRateLimitStoreMetrics
{
    public static readonly NoRateLimitStoreMetrics Instance = new();

    public void StoreUp(bool up)
    {
    }

    public void StoreError()
    {
    }

    public void StoreCall(double seconds)
    {
    }
}

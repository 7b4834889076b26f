using System.Collections.Concurrent;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The live per-client limiters by partition key, so the edge can read a client's remaining permits and window end
/// for the <c>X-RateLimit-*</c> headers (the framework's middleware hands successful leases to nobody). Entries come
/// and go with the framework's own partitions: added when it creates one, removed when it evicts and disposes it,
/// so this map is exactly as bounded as the framework's.
/// </summary>
public sealed class ClientLimiters
{
    private readonly ConcurrentDictionary<string, ClientWindowLimiter> _byKey = new(StringComparer.Ordinal);

    /// <summary>How many clients currently have state (tests watch it fall back after idle clients are evicted).</summary>
    public int Count => _byKey.Count;

    public ClientWindowLimiter? Find(string key) => _byKey.TryGetValue(key, out var limiter) ? limiter : null;

    internal void Add(ClientWindowLimiter limiter) => _byKey[limiter.Key] = limiter;

    // Only if it is still this instance: a client that came back after eviction already has a newer limiter.
    internal void Remove(ClientWindowLimiter limiter) => _byKey.TryRemove(new KeyValuePair<string, ClientWindowLimiter>(limiter.Key, limiter));
}

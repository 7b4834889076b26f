using LlmProxy.Configuration;
namespace LlmProxy.Http.RateLimiting;

/// <summary>How <see cref="RedisWindowStore"/> talks to Redis (docs/replicas.md, "Failure modes").</summary>
internal sealed class RedisStoreOptions
{
    /// <summary>
    /// The longest any one Redis call may take before the request goes on without it (open mode: counted locally;
    /// closed mode: 503). A loopback or same-zone round trip takes well under a millisecond; 250 ms leaves room for a
    /// busy network without letting a stalled Redis stall every request.
    /// </summary>
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>After a failed call, Redis is left alone this long (each request goes straight to the fallback).</summary>
    public static readonly TimeSpan DefaultRetryAfterFailure = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait for the first connection at start; the proxy starts anyway and keeps trying.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How often "Redis unreachable" is logged at most while it stays down.</summary>
    public static readonly TimeSpan DefaultWarningInterval = TimeSpan.FromMinutes(1);

    public required RedisUrl Url { get; init; }

    public StoreFailureMode FailureMode { get; init; } = StoreFailureMode.Open;

    public TimeSpan CallTimeout { get; init; } = DefaultCallTimeout;

    public TimeSpan RetryAfterFailure { get; init; } = DefaultRetryAfterFailure;

    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    public TimeSpan WarningInterval { get; init; } = DefaultWarningInterval;

    /// <summary>Prefix of every key the proxy writes, so it can share a Redis (and a database) with other users.</summary>
    public string KeyPrefix { get; init; } = "llm-proxy:rl:";
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.RateLimiting;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// One client's fixed window: the framework's <see cref="FixedWindowRateLimiter"/> does the counting; this wrapper only
/// remembers when the current window started (the framework exposes no such figure, and its failed lease's
/// RetryAfter is always a whole window) so <c>X-RateLimit-Reset</c> and <c>Retry-After</c> tell the real time left,
/// and it leaves <see cref="ClientLimiters"/> when the partitioned limiter evicts and disposes it.
/// </summary>
/// <remarks>
/// Replenishment is not automatic: the framework's partitioned limiter calls <see cref="TryReplenish"/> on every
/// partition from one 100 ms heartbeat (no timer per client), and disposes partitions idle for 10 s — a fixed window is
/// idle once its permits are full again. That is what keeps memory bounded under many distinct clients.
/// </remarks>
internal sealed class ClientWindowLimiter : ReplenishingRateLimiter
{
    private readonly FixedWindowRateLimiter _inner;
    private readonly ClientLimiters _registry;
    private readonly long _windowTicks;
    private long _windowStart;

    public ClientWindowLimiter(string key, int permitLimit, TimeSpan window, ClientLimiters registry)
    {
        Key = key;
        PermitLimit = permitLimit;
        PermitLimitText = permitLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _registry = registry;
        _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
        _windowStart = Stopwatch.GetTimestamp();
        _inner = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
        {
            PermitLimit = permitLimit,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = false,
        });
        registry.Add(this);
    }

    public string Key { get; }

    public int PermitLimit { get; }

    /// <summary>The limit as header text, formatted once per client rather than once per request.</summary>
    public string PermitLimitText { get; }

    public override TimeSpan? IdleDuration => _inner.IdleDuration;

    public override bool IsAutoReplenishing => false;

    public override TimeSpan ReplenishmentPeriod => _inner.ReplenishmentPeriod;

    /// <summary>Requests left in the current window.</summary>
    public long Remaining => _inner.GetStatistics()?.CurrentAvailablePermits ?? 0;

    /// <summary>Time until the current window ends (never negative).</summary>
    public TimeSpan UntilReset
    {
        get
        {
            var end = Volatile.Read(ref _windowStart) + _windowTicks;
            var left = end - Stopwatch.GetTimestamp();
            return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / Stopwatch.Frequency);
        }
    }

    public override bool TryReplenish()
    {
        // The inner limiter starts a new window when a whole window has passed since its last one; mirror that rule
        // on the same heartbeat so the window start we report matches the one it counts in.
        var replenished = _inner.TryReplenish();
        var now = Stopwatch.GetTimestamp();
        if (now - Volatile.Read(ref _windowStart) >= _windowTicks)
        {
            Volatile.Write(ref _windowStart, now);
        }
        return replenished;
    }

    public override RateLimiterStatistics? GetStatistics() => _inner.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => _inner.AttemptAcquire(permitCount);

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        _inner.AcquireAsync(permitCount, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _registry.Remove(this);
        }
        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await _inner.DisposeAsync();
        _registry.Remove(this);
        await base.DisposeAsyncCore();
    }
}

/// <summary>
/// The live per-client limiters by partition key, so the edge can read a client's remaining permits and window end
/// for the <c>X-RateLimit-*</c> headers (the framework's middleware hands successful leases to nobody). Entries come
/// and go with the framework's own partitions: added when it creates one, removed when it evicts and disposes it,
/// so this map is exactly as bounded as the framework's.
/// </summary>
internal sealed class ClientLimiters
{
    private readonly ConcurrentDictionary<string, ClientWindowLimiter> _byKey = new(StringComparer.Ordinal);

    /// <summary>How many clients currently have state (tests watch it fall back after idle clients are evicted).</summary>
    public int Count => _byKey.Count;

    public ClientWindowLimiter? Find(string key) => _byKey.TryGetValue(key, out var limiter) ? limiter : null;

    public void Add(ClientWindowLimiter limiter) => _byKey[limiter.Key] = limiter;

    // Only if it is still this instance: a client that came back after eviction already has a newer limiter.
    public void Remove(ClientWindowLimiter limiter) => _byKey.TryRemove(new KeyValuePair<string, ClientWindowLimiter>(limiter.Key, limiter));
}

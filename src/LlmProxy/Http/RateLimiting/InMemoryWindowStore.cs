using System.Collections.Concurrent;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The per-process window counters: used when no REDIS_URL is set, and as the fallback of
/// <see cref="RedisWindowStore"/> in REDIS_FAILURE_MODE=open. Exact within one process.
/// </summary>
/// <remarks>
/// Memory stays bounded under many distinct clients: a client whose window has ended holds no information (its next
/// request starts a new window), so a sweep at most every <see cref="SweepInterval"/> drops every ended window. What is
/// kept is one small entry per client active within the last window, as with the framework's partitioned limiter,
/// which evicts a fixed-window partition once its window has refilled. The sweep runs on the thread pool, triggered by
/// the request that finds it due, so there is no timer to dispose.
/// </remarks>
internal sealed class InMemoryWindowStore(TimeProvider time) : IWindowCounterStore
{
    /// <summary>How often ended windows are swept out at most.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly long _sweepTicks = (long)(SweepInterval.TotalSeconds * time.TimestampFrequency);
    private long _nextSweep = time.GetTimestamp() + (long)(SweepInterval.TotalSeconds * time.TimestampFrequency);
    private int _sweeping;

    public InMemoryWindowStore()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Clients that currently hold a window (tests watch it fall after a sweep).</summary>
    public int Count => _windows.Count;

    public ValueTask<WindowHit> HitAsync(string clientId, WindowLimits limits) => new(Hit(clientId, limits));

    public ValueTask DebitTokensAsync(string clientId, long tokens, WindowLimits limits)
    {
        DebitTokens(clientId, tokens, limits);
        return ValueTask.CompletedTask;
    }

    public WindowHit Hit(string clientId, WindowLimits limits)
    {
        var now = time.GetTimestamp();
        MaybeSweep(now);
        while (true)
        {
            var window = _windows.GetOrAdd(clientId, static _ => new Window());
            lock (window)
            {
                if (window.Removed)
                {
                    continue; // swept between the lookup and the lock: count in the entry that replaced it
                }
                window.RestartIfEnded(now, limits, time.TimestampFrequency);
                var verdict = WindowVerdict.Admitted;
                if (limits.MaxRequests > 0 && window.Requests >= limits.MaxRequests)
                {
                    verdict = WindowVerdict.RequestLimitReached;
                }
                else if (limits.MaxTokens > 0 && window.Tokens >= limits.MaxTokens)
                {
                    verdict = WindowVerdict.TokenLimitReached;
                }
                else
                {
                    window.Requests++;
                }
                return new WindowHit(verdict, window.Requests, window.Tokens, window.UntilEnd(now, time.TimestampFrequency), CountSource.Local);
            }
        }
    }

    public void DebitTokens(string clientId, long tokens, WindowLimits limits)
    {
        if (tokens <= 0)
        {
            return;
        }
        var now = time.GetTimestamp();
        while (true)
        {
            var window = _windows.GetOrAdd(clientId, static _ => new Window());
            lock (window)
            {
                if (window.Removed)
                {
                    continue;
                }
                // Same rule as the Redis script: usage that arrives after the window ended opens the next window.
                window.RestartIfEnded(now, limits, time.TimestampFrequency);
                window.Tokens += tokens;
                return;
            }
        }
    }

    /// <summary>
    /// The counts of <paramref name="clientId"/>'s current window without counting anything; false when it has none
    /// (never seen, or its window ended). Creates no entry, so looking costs no memory.
    /// </summary>
    public bool TryPeek(string clientId, out long requests, out long tokens, out TimeSpan resetAfter)
    {
        requests = tokens = 0;
        resetAfter = TimeSpan.Zero;
        if (!_windows.TryGetValue(clientId, out var window))
        {
            return false;
        }
        var now = time.GetTimestamp();
        lock (window)
        {
            if (window.Removed || window.HasEnded(now))
            {
                return false;
            }
            requests = window.Requests;
            tokens = window.Tokens;
            resetAfter = window.UntilEnd(now, time.TimestampFrequency);
            return true;
        }
    }

    private void MaybeSweep(long now)
    {
        if (now < Volatile.Read(ref _nextSweep) || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }
        Volatile.Write(ref _nextSweep, now + _sweepTicks);
        ThreadPool.UnsafeQueueUserWorkItem(static store => store.Sweep(), this, preferLocal: false);
    }

    /// <summary>Drops every ended window (public for tests; normally run from <see cref="MaybeSweep"/>).</summary>
    public void Sweep()
    {
        try
        {
            var now = time.GetTimestamp();
            foreach (var (clientId, window) in _windows)
            {
                lock (window)
                {
                    if (!window.HasEnded(now))
                    {
                        continue;
                    }
                    // Marked first, so a request that already holds this entry retries with a fresh one instead of
                    // counting in an entry nobody will read again.
                    window.Removed = true;
                }
                _windows.TryRemove(new KeyValuePair<string, Window>(clientId, window));
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>One client's window. Guarded by locking the instance; a handful of fields, no allocation per hit.</summary>
    private sealed class Window
    {
        private long _end = long.MinValue; // a new entry has "ended": the first hit starts its window

        public long Requests;
        public long Tokens;
        public bool Removed;

        public bool HasEnded(long now) => now >= _end;

        public void RestartIfEnded(long now, in WindowLimits limits, long frequency)
        {
            if (now < _end)
            {
                return;
            }
            _end = now + (long)(limits.Window.TotalSeconds * frequency);
            Requests = 0;
            Tokens = 0;
        }

        public TimeSpan UntilEnd(long now, long frequency) =>
            _end <= now ? TimeSpan.Zero : TimeSpan.FromSeconds((double)(_end - now) / frequency);
    }
}

using LlmProxy.Configuration;
using StackExchange.Redis;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The window counters in Redis, shared by every replica that points at the same Redis: one script call (one round
/// trip) per request and one per token debit, exact across replicas (docs/replicas.md, "How counting works").
/// </summary>
/// <remarks>
/// Failures never reach the request as an exception. Every call is bounded by <see cref="RedisStoreOptions.CallTimeout"/>
/// (the task is abandoned, not awaited, after it). After a failure Redis is left alone for
/// <see cref="RedisStoreOptions.RetryAfterFailure"/>, then one request at a time probes it, so a stalled Redis costs
/// at most one request per replica per second the timeout instead of costing it to every request. Meanwhile
/// REDIS_FAILURE_MODE=open counts in <see cref="InMemoryWindowStore"/> (limits hold per replica) and closed answers
/// <see cref="WindowVerdict.StoreUnavailable"/>. StackExchange.Redis reconnects by itself.
/// </remarks>
internal sealed partial class RedisWindowStore : IWindowCounterStore, IAsyncDisposable, IDisposable
{
    private readonly RedisStoreOptions _options;
    private readonly IConnectionMultiplexer _connection;
    private readonly IDatabaseAsync _database;
    private readonly InMemoryWindowStore _fallback;
    private readonly IRateLimitStoreMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _retryTicks;
    private readonly long _warningTicks;
    private readonly string _url; // the URL without its password, for log lines

    private int _down; // 0 up, 1 down; changed by CompareExchange so each change is reported once
    private int _warnedThisOutage;
    private long _downSince;
    private long _retryAt;
    private long _nextWarningAt;
    private int _probing;

    private RedisWindowStore(RedisStoreOptions options, IConnectionMultiplexer connection, IRateLimitStoreMetrics metrics, ILogger logger, TimeProvider time)
    {
        _options = options;
        _connection = connection;
        _database = connection.GetDatabase();
        _fallback = new InMemoryWindowStore(time);
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _retryTicks = (long)(options.RetryAfterFailure.TotalSeconds * time.TimestampFrequency);
        _warningTicks = (long)(options.WarningInterval.TotalSeconds * time.TimestampFrequency);
        _url = options.Url.ToString();
    }

    /// <summary>True while the last call to Redis succeeded (for /healthz and tests).</summary>
    public bool IsUp => Volatile.Read(ref _down) == 0;

    public StoreFailureMode FailureMode => _options.FailureMode;

    /// <summary>The local counters used while Redis is unreachable in open mode (tests read them).</summary>
    internal InMemoryWindowStore Fallback => _fallback;

    /// <summary>
    /// Connects (waiting at most <see cref="RedisStoreOptions.ConnectTimeout"/>) and returns the store. A Redis that is
    /// down at start is not an error: the store starts in the fallback state and connects when Redis comes up.
    /// </summary>
    public static async Task<RedisWindowStore> ConnectAsync(RedisStoreOptions options, IRateLimitStoreMetrics metrics, ILogger logger, TimeProvider? time = null)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(RedisConnectionConfig.Create(options));
        var store = new RedisWindowStore(options, connection, metrics, logger, time ?? TimeProvider.System);
        if (connection.IsConnected)
        {
            metrics.StoreUp(true);
            var mode = options.FailureMode == StoreFailureMode.Closed ? "closed" : "open";
            LogConnected(logger, store._url, mode);
        }
        else
        {
            store.Failed(store._time.GetTimestamp(), "no connection at start", measured: false);
        }
        return store;
    }

    public async ValueTask<WindowHit> HitAsync(string clientId, WindowLimits limits)
    {
        if (TryEnter(out var probe))
        {
            var started = _time.GetTimestamp();
            try
            {
                var result = await _database
                    .ScriptEvaluateAsync(RedisWindowScripts.Hit, [Key(clientId)], [limits.WindowMilliseconds, limits.MaxRequests, limits.MaxTokens])
                    .WaitAsync(_options.CallTimeout, _time);
                var hit = ReadHit(result);
                Succeeded(started);
                return hit;
            }
            catch (Exception e)
            {
                // Whatever went wrong (connection, timeout, server error, an unexpected reply), the request must go on.
                Failed(started, Describe(e), measured: true);
            }
            finally
            {
                Leave(probe);
            }
        }
        return _options.FailureMode == StoreFailureMode.Open ? _fallback.Hit(clientId, limits) : WindowHit.Unavailable;
    }

    public async ValueTask DebitTokensAsync(string clientId, long tokens, WindowLimits limits)
    {
        if (tokens <= 0)
        {
            return;
        }
        if (TryEnter(out var probe))
        {
            var started = _time.GetTimestamp();
            try
            {
                await _database
                    .ScriptEvaluateAsync(RedisWindowScripts.DebitTokens, [Key(clientId)], [tokens, limits.WindowMilliseconds])
                    .WaitAsync(_options.CallTimeout, _time);
                Succeeded(started);
                return;
            }
            catch (Exception e)
            {
                Failed(started, Describe(e), measured: true);
            }
            finally
            {
                Leave(probe);
            }
        }
        if (_options.FailureMode == StoreFailureMode.Open)
        {
            _fallback.DebitTokens(clientId, tokens, limits);
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();

    public void Dispose() => _connection.Dispose();

    private RedisKey Key(string clientId) => _options.KeyPrefix + clientId;

    private static WindowHit ReadHit(RedisResult result)
    {
        if (result.Length != 4)
        {
            throw new InvalidDataException($"the window script answered {result.Length} values instead of 4");
        }
        var verdict = (long)result[0] switch
        {
            0 => WindowVerdict.Admitted,
            1 => WindowVerdict.RequestLimitReached,
            2 => WindowVerdict.TokenLimitReached,
            var other => throw new InvalidDataException($"the window script answered verdict {other}"),
        };
        return new WindowHit(verdict, (long)result[1], (long)result[2], TimeSpan.FromMilliseconds((long)result[3]), CountSource.Shared);
    }

    /// <summary>
    /// Whether this call may use Redis. Up: always. Down: not before the retry time, then one caller at a time
    /// (the probe), and only with a live connection; a missing connection counts as a failed call.
    /// </summary>
    private bool TryEnter(out bool probe)
    {
        probe = false;
        if (Volatile.Read(ref _down) == 0)
        {
            return true;
        }
        var now = _time.GetTimestamp();
        if (now < Volatile.Read(ref _retryAt) || Interlocked.CompareExchange(ref _probing, 1, 0) != 0)
        {
            return false;
        }
        probe = true;
        if (_connection.IsConnected)
        {
            return true;
        }
        Failed(now, "no connection", measured: false);
        Leave(probe);
        return false;
    }

    private void Leave(bool probe)
    {
        if (probe)
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    private void Succeeded(long started)
    {
        var now = _time.GetTimestamp();
        _metrics.StoreCall((double)(now - started) / _time.TimestampFrequency);
        if (Volatile.Read(ref _down) == 0 || Interlocked.CompareExchange(ref _down, 0, 1) != 1)
        {
            return;
        }
        _metrics.StoreUp(true);
        // Said only if the outage was announced, so a flapping Redis logs no more lines than the warnings allow.
        if (Interlocked.Exchange(ref _warnedThisOutage, 0) == 1)
        {
            var seconds = Math.Round((double)(now - Volatile.Read(ref _downSince)) / _time.TimestampFrequency, 1);
            LogBack(_logger, _url, seconds);
        }
    }

    private void Failed(long started, string reason, bool measured)
    {
        var now = _time.GetTimestamp();
        if (measured)
        {
            _metrics.StoreCall((double)(now - started) / _time.TimestampFrequency);
        }
        _metrics.StoreError();
        Volatile.Write(ref _retryAt, now + _retryTicks);
        if (Interlocked.CompareExchange(ref _down, 1, 0) == 0)
        {
            Volatile.Write(ref _downSince, now);
            _metrics.StoreUp(false);
        }
        // One warning line per interval while Redis stays down, whichever request sees the failure first.
        var due = Volatile.Read(ref _nextWarningAt);
        if (now >= due && Interlocked.CompareExchange(ref _nextWarningAt, now + _warningTicks, due) == due)
        {
            var consequence = _options.FailureMode == StoreFailureMode.Open
                ? "REDIS_FAILURE_MODE=open: counting limits in this replica only"
                : "REDIS_FAILURE_MODE=closed: limited routes answer 503";
            var downFor = Math.Round((double)(now - Volatile.Read(ref _downSince)) / _time.TimestampFrequency);
            LogUnreachable(_logger, _url, reason, downFor, consequence);
            Volatile.Write(ref _warnedThisOutage, 1);
        }
    }

    /// <summary>One short line about a failure, without the password (a client message could quote its config).</summary>
    private string Describe(Exception e)
    {
        var text = e switch
        {
            TimeoutException when e is not RedisTimeoutException => $"no answer within {_options.CallTimeout.TotalMilliseconds:0} ms",
            _ => $"{e.GetType().Name}: {e.Message}",
        };
        var newline = text.IndexOfAny(['\r', '\n']);
        if (newline >= 0)
        {
            text = text[..newline];
        }
        if (text.Length > 200)
        {
            text = text[..200] + "...";
        }
        if (!string.IsNullOrEmpty(_options.Url.Password))
        {
            text = text.Replace(_options.Url.Password, "***", StringComparison.Ordinal);
        }
        return text;
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Rate limits are shared through Redis at {Url} (REDIS_FAILURE_MODE={Mode})")]
    private static partial void LogConnected(ILogger logger, string url, string mode);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Redis at {Url} unreachable ({Reason}), down for {Seconds} s; {Consequence}")]
    private static partial void LogUnreachable(ILogger logger, string url, string reason, double seconds, string consequence);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Redis at {Url} reachable again after {Seconds} s; rate limits are shared again")]
    private static partial void LogBack(ILogger logger, string url, double seconds);
}

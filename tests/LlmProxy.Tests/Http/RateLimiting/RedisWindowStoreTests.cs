using System.Diagnostics;
using LlmProxy.Configuration;
using LlmProxy.Http.Auth;
using LlmProxy.Http.RateLimiting;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace LlmProxy.Tests.Http.RateLimiting;

/// <summary>The Redis window store against a real redis-server of the test's own (see <see cref="RedisServer"/>).</summary>
public sealed class RedisWindowStoreTests : IDisposable
{
    private const string Password = "Hunter2-redis-secret";
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(250); // scheduling on a busy 2-core box

    private readonly RedisServer _redis = RedisServer.Start(Password);
    private readonly List<RedisWindowStore> _stores = [];

    private readonly ITestOutputHelper _output;

    public RedisWindowStoreTests(ITestOutputHelper output)
    {
        _output = output;
        // Runs the store's code paths once with a generous timeout, so no test's first timed call pays for the JIT
        // (the product is compiled ahead of time and never does).
        var warmUp = Store().GetAwaiter().GetResult();
        var limits = new WindowLimits(TimeSpan.FromSeconds(1), 10, 10);
        warmUp.HitAsync("warm-up", limits).AsTask().GetAwaiter().GetResult();
        warmUp.DebitTokensAsync("warm-up", 1, limits).AsTask().GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        _redis.Dispose();
    }

    [Fact]
    public async Task Three_replicas_with_a_limit_of_30_admit_exactly_30_of_60_requests()
    {
        var replicas = new[] { await Store(), await Store(), await Store() };
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 30, 0);
        // 60 requests at once, 20 through each replica, interleaved.
        var hits = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => replicas[i % 3].HitAsync("ip:203.0.113.9", limits).AsTask()));
        Assert.Equal(30, hits.Count(h => h.Admitted));
        Assert.Equal(30, hits.Count(h => h.Verdict == WindowVerdict.RequestLimitReached));
        Assert.All(hits, h => Assert.Equal(CountSource.Shared, h.Source));
        Assert.Equal(30, (long)_redis.Admin().HashGet("llm-proxy:rl:ip:203.0.113.9", "r"));
        // Every replica reports the same shared count afterwards.
        foreach (var replica in replicas)
        {
            var next = await replica.HitAsync("ip:203.0.113.9", limits);
            Assert.Equal((WindowVerdict.RequestLimitReached, 30L), (next.Verdict, next.Requests));
        }
    }

    [Fact]
    public async Task Token_usage_debited_by_different_replicas_adds_up_to_one_limit()
    {
        var (a, b, c) = (await Store(), await Store(), await Store());
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 0, 1000);
        Assert.True((await a.HitAsync("key:alice", limits)).Admitted);
        Assert.True((await b.HitAsync("key:alice", limits)).Admitted);
        Assert.True((await c.HitAsync("key:alice", limits)).Admitted);
        await a.DebitTokensAsync("key:alice", 400, limits);
        await b.DebitTokensAsync("key:alice", 400, limits);
        var stillUnder = await c.HitAsync("key:alice", limits); // 800 so far: admitted on the tokens counted so far
        Assert.True(stillUnder.Admitted);
        Assert.Equal(800, stillUnder.Tokens);
        await c.DebitTokensAsync("key:alice", 300, limits);
        foreach (var replica in new[] { a, b, c })
        {
            var refused = await replica.HitAsync("key:alice", limits);
            Assert.Equal(WindowVerdict.TokenLimitReached, refused.Verdict);
            Assert.Equal(1100, refused.Tokens);
        }
        Assert.Equal(1100, (long)_redis.Admin().HashGet("llm-proxy:rl:key:alice", "t"));
    }

    [Fact]
    public async Task Each_request_costs_one_redis_command()
    {
        var store = await Store();
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 1000, 5000);
        await store.HitAsync("warm-up", limits); // the first use may load the script
        var before = _redis.CommandCalls();
        for (var i = 0; i < 100; i++)
        {
            await store.HitAsync("ip:198.51.100.1", limits);
        }
        var after = _redis.CommandCalls();
        var delta = after.ToDictionary(c => c.Key, c => c.Value - before.GetValueOrDefault(c.Key), StringComparer.Ordinal)
            .Where(c => c.Value > 0).ToDictionary(StringComparer.Ordinal);
        _output.WriteLine(string.Join(", ", delta.Select(c => $"{c.Key}={c.Value}")));
        // What the clients sent: 100 EVALSHA (the script by its hash, never its text again) and the test's own INFO.
        // hmget/hincrby/pttl/pexpire ran inside the script (INFO counts those too); a heartbeat PING may slip in.
        Assert.Equal(100, delta["evalsha"]);
        Assert.Equal(100, delta["hmget"]);
        var sentByClients = delta.Keys.Except(["hmget", "hincrby", "pttl", "pexpire", "info", "ping"]).ToList();
        Assert.Equal(["evalsha"], sentByClients);
    }

    [Fact]
    public async Task A_window_lives_in_redis_only_as_long_as_the_window()
    {
        var store = await Store();
        var limits = new WindowLimits(TimeSpan.FromMilliseconds(500), 1, 0);
        Assert.True((await store.HitAsync("c", limits)).Admitted);
        var refused = await store.HitAsync("c", limits);
        Assert.False(refused.Admitted);
        Assert.InRange(refused.ResetAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(500));
        var ttl = _redis.Admin().KeyTimeToLive("llm-proxy:rl:c");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(500));
        await Task.Delay(700);
        Assert.False(_redis.Admin().KeyExists("llm-proxy:rl:c"));
        Assert.True((await store.HitAsync("c", limits)).Admitted);
    }

    [Fact]
    public async Task A_token_debit_for_a_client_without_a_window_starts_one_that_expires()
    {
        var store = await Store();
        var limits = new WindowLimits(TimeSpan.FromSeconds(30), 0, 100);
        await store.DebitTokensAsync("late", 250, limits);
        var ttl = _redis.Admin().KeyTimeToLive("llm-proxy:rl:late");
        Assert.NotNull(ttl); // never a key without expiry
        Assert.Equal(WindowVerdict.TokenLimitReached, (await store.HitAsync("late", limits)).Verdict);
    }

    [Fact]
    public async Task Redis_keys_hold_the_key_name_or_a_digest_never_the_api_key()
    {
        var store = await Store();
        var keys = ApiKeysFile.Parse("sk-live-alice-7f3a name=alice\nsk-live-unnamed-91c2\n", "keys.txt");
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 10, 0);
        foreach (var entry in keys)
        {
            await store.HitAsync(entry.ClientId, limits);
        }
        var server = _redis.Admin().Multiplexer.GetServers()[0];
        var stored = server.Keys(pattern: "*").Where(k => !k.ToString().EndsWith(":warm-up", StringComparison.Ordinal)).Select(k => k.ToString()).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(2, stored.Count);
        Assert.Contains("llm-proxy:rl:key:alice", stored);
        Assert.All(stored, k => Assert.DoesNotContain("sk-live", k, StringComparison.Ordinal));
        _output.WriteLine(string.Join(", ", stored));
    }

    [Fact]
    public async Task Redis_stopped_in_open_mode_admits_and_counts_locally_within_the_timeout()
    {
        var logger = new RecordingLogger();
        var metrics = new RecordingStoreMetrics();
        var store = await Store(StoreFailureMode.Open, logger, metrics, callTimeout: RedisStoreOptions.DefaultCallTimeout);
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 3, 0);
        Assert.Equal(CountSource.Shared, (await store.HitAsync("c", limits)).Source);
        _redis.Stop();

        var (hits, slowest) = await TimedHits(store, "c", limits, 6);
        _output.WriteLine($"slowest call with Redis stopped: {slowest.TotalMilliseconds:0.0} ms");
        Assert.All(hits, h => Assert.Equal(CountSource.Local, h.Source));
        // The local count starts from zero: exactly the limit is admitted in this replica.
        Assert.Equal(3, hits.Count(h => h.Admitted));
        Assert.Equal(WindowVerdict.RequestLimitReached, hits[^1].Verdict);
        Assert.True(slowest < RedisStoreOptions.DefaultCallTimeout + Slack, $"a call took {slowest.TotalMilliseconds} ms");

        var warnings = logger.At(LogLevel.Warning).ToList();
        Assert.Single(warnings); // one line, not one per request
        Assert.Contains("REDIS_FAILURE_MODE=open", warnings[0], StringComparison.Ordinal);
        Assert.DoesNotContain(Password, string.Join("\n", logger.Lines.Select(l => l.Message)), StringComparison.Ordinal);
        Assert.Equal([true, false], metrics.UpChanges);
        Assert.True(metrics.Errors >= 1);
        Assert.False(store.IsUp);
    }

    [Fact]
    public async Task While_redis_stays_down_the_warning_repeats_once_per_interval_not_once_per_request()
    {
        var logger = new RecordingLogger();
        var metrics = new RecordingStoreMetrics();
        var options = new RedisStoreOptions
        {
            Url = RedisUrl.Parse(_redis.Url),
            RetryAfterFailure = TimeSpan.FromMilliseconds(50),
            WarningInterval = TimeSpan.FromMilliseconds(500), // the product's is a minute
        };
        var store = await RedisWindowStore.ConnectAsync(options, metrics, logger);
        _stores.Add(store);
        _redis.Stop();
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 1_000_000, 0);
        var watch = Stopwatch.StartNew();
        var requests = 0;
        while (watch.Elapsed < TimeSpan.FromMilliseconds(1800))
        {
            await store.HitAsync("c", limits);
            requests++;
            await Task.Delay(5);
        }
        var warnings = logger.At(LogLevel.Warning).Count();
        _output.WriteLine($"{requests} requests, {metrics.Errors} failed store calls, {warnings} warning lines in 1.8 s");
        Assert.True(metrics.Errors >= 10, "the store kept probing");
        Assert.InRange(warnings, 3, 5); // at 0, 0.5, 1.0, 1.5 s (give or take a probe's spacing)
    }

    [Fact]
    public async Task Redis_stopped_in_closed_mode_answers_unavailable_within_the_timeout()
    {
        var logger = new RecordingLogger();
        var store = await Store(StoreFailureMode.Closed, logger, callTimeout: RedisStoreOptions.DefaultCallTimeout);
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 100, 0);
        Assert.True((await store.HitAsync("c", limits)).Admitted);
        _redis.Stop();

        var (hits, slowest) = await TimedHits(store, "c", limits, 5);
        _output.WriteLine($"slowest call with Redis stopped: {slowest.TotalMilliseconds:0.0} ms");
        Assert.All(hits, h => Assert.Equal((WindowVerdict.StoreUnavailable, CountSource.None), (h.Verdict, h.Source)));
        Assert.True(slowest < RedisStoreOptions.DefaultCallTimeout + Slack, $"a call took {slowest.TotalMilliseconds} ms");
        Assert.Contains("REDIS_FAILURE_MODE=closed", Assert.Single(logger.At(LogLevel.Warning)), StringComparison.Ordinal);
        await store.DebitTokensAsync("c", 10, limits); // a debit while down neither throws nor hangs
    }

    [Fact]
    public async Task A_frozen_redis_costs_one_request_the_timeout_and_the_others_nothing()
    {
        var metrics = new RecordingStoreMetrics();
        var store = await Store(StoreFailureMode.Open, metrics: metrics, retryAfterFailure: TimeSpan.FromMilliseconds(300), callTimeout: RedisStoreOptions.DefaultCallTimeout);
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 1000, 0);
        Assert.Equal(CountSource.Shared, (await store.HitAsync("c", limits)).Source);
        _redis.Freeze(); // the connection stays open; nothing answers

        var (first, firstTime) = await TimedHits(store, "c", limits, 1);
        _output.WriteLine($"first call against the frozen Redis: {firstTime.TotalMilliseconds:0.0} ms");
        Assert.Equal(CountSource.Local, first[0].Source);
        Assert.InRange(firstTime, RedisStoreOptions.DefaultCallTimeout - TimeSpan.FromMilliseconds(20), RedisStoreOptions.DefaultCallTimeout + Slack);

        await Task.Delay(400); // past the retry time: the next callers race to probe; only one may wait
        var timings = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            var watch = Stopwatch.StartNew();
            var hit = await store.HitAsync("c", limits);
            return (hit, watch.Elapsed);
        }));
        var waited = timings.Count(t => t.Elapsed >= TimeSpan.FromMilliseconds(200));
        _output.WriteLine($"of 50 concurrent calls after the retry time, {waited} waited 200 ms or more");
        Assert.InRange(waited, 1, 2);
        Assert.All(timings, t => Assert.Equal(CountSource.Local, t.hit.Source));
        Assert.All(timings, t => Assert.True(t.Elapsed < RedisStoreOptions.DefaultCallTimeout + Slack));
        Assert.True(metrics.Errors >= 2);

        _redis.Thaw();
        await WaitUntilShared(store, "c", limits);
    }

    [Fact]
    public async Task Counting_in_redis_resumes_after_a_restart()
    {
        var logger = new RecordingLogger();
        var metrics = new RecordingStoreMetrics();
        var store = await Store(StoreFailureMode.Open, logger, metrics, retryAfterFailure: TimeSpan.FromMilliseconds(200));
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 1000, 0);
        Assert.Equal(CountSource.Shared, (await store.HitAsync("c", limits)).Source);
        _redis.Stop();
        Assert.Equal(CountSource.Local, (await store.HitAsync("c", limits)).Source);

        _redis.StartAgain(); // same port, empty data set, empty script cache
        var recovered = Stopwatch.StartNew();
        var shared = await WaitUntilShared(store, "c", limits);
        _output.WriteLine($"shared counting resumed {recovered.ElapsedMilliseconds} ms after Redis came back");
        Assert.Equal(1, shared.Requests); // the restarted Redis lost the old window; counting starts again there
        await store.HitAsync("c", limits);
        Assert.Equal(2, (long)_redis.Admin().HashGet("llm-proxy:rl:c", "r"));
        Assert.Contains(logger.At(LogLevel.Information), l => l.Contains("reachable again", StringComparison.Ordinal));
        Assert.Equal([true, false, true], metrics.UpChanges);
        Assert.True(store.IsUp);
    }

    [Fact]
    public async Task A_redis_down_at_start_does_not_stop_the_proxy_and_is_used_once_it_comes_up()
    {
        _redis.Stop();
        var logger = new RecordingLogger();
        var started = Stopwatch.StartNew();
        var store = await Store(StoreFailureMode.Open, logger, retryAfterFailure: TimeSpan.FromMilliseconds(200));
        _output.WriteLine($"connect with Redis down took {started.ElapsedMilliseconds} ms");
        Assert.True(started.Elapsed < RedisStoreOptions.DefaultConnectTimeout + TimeSpan.FromSeconds(2));
        Assert.False(store.IsUp);
        Assert.Single(logger.At(LogLevel.Warning));
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 10, 0);
        Assert.Equal(CountSource.Local, (await store.HitAsync("c", limits)).Source);

        _redis.StartAgain();
        await WaitUntilShared(store, "c", limits);
    }

    [Fact]
    public async Task The_metrics_hooks_time_every_call()
    {
        var metrics = new RecordingStoreMetrics();
        var store = await Store(metrics: metrics);
        var limits = new WindowLimits(TimeSpan.FromMinutes(1), 10, 100);
        await store.HitAsync("c", limits);
        await store.DebitTokensAsync("c", 5, limits);
        Assert.Equal(2, metrics.CallSeconds.Count);
        Assert.All(metrics.CallSeconds, s => Assert.InRange(s, 0, 0.25));
        Assert.Equal([true], metrics.UpChanges);
        Assert.Equal(0, metrics.Errors);
    }

    private async Task<RedisWindowStore> Store(
        StoreFailureMode mode = StoreFailureMode.Open,
        RecordingLogger? logger = null,
        RecordingStoreMetrics? metrics = null,
        TimeSpan? retryAfterFailure = null,
        TimeSpan? callTimeout = null)
    {
        var options = new RedisStoreOptions
        {
            Url = RedisUrl.Parse(_redis.Url),
            FailureMode = mode,
            RetryAfterFailure = retryAfterFailure ?? RedisStoreOptions.DefaultRetryAfterFailure,
            // Tests about counting allow a busy box (CI at a load of 20+) far more time: a call past its timeout counts
            // locally in open mode, and the test would see another replica's count missing. The outage tests use the
            // product's default and measure against it.
            CallTimeout = callTimeout ?? TimeSpan.FromSeconds(10),
        };
        var store = await RedisWindowStore.ConnectAsync(options, (IRateLimitStoreMetrics?)metrics ?? NoRateLimitStoreMetrics.Instance, logger ?? new RecordingLogger());
        _stores.Add(store);
        return store;
    }

    private static async Task<(List<WindowHit> Hits, TimeSpan Slowest)> TimedHits(RedisWindowStore store, string client, WindowLimits limits, int count)
    {
        var hits = new List<WindowHit>();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < count; i++)
        {
            var watch = Stopwatch.StartNew();
            hits.Add(await store.HitAsync(client, limits));
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
        }
        return (hits, slowest);
    }

    private static async Task<WindowHit> WaitUntilShared(RedisWindowStore store, string client, WindowLimits limits)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            var hit = await store.HitAsync(client, limits);
            if (hit.Source == CountSource.Shared)
            {
                return hit;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the store did not count in Redis again within 15 s");
    }
}

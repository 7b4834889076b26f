using System.Diagnostics;
using System.Globalization;
using System.Net;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Http.RateLimiting;
using StackExchange.Redis;

namespace LlmProxy.E2E;

/// <summary>
/// Limits shared across replicas (docs/replicas.md) on the published binary: several proxy processes on one real
/// redis-server of the test's own, which the tests stop, restart and freeze.
/// </summary>
[Collection(SharedLimitsCollection.Name)]
public sealed class SharedLimitsTests : IAsyncLifetime
{
    private const string Password = "E2E-redis-Hunter2";
    private const string ClientKey = "llm-proxy:rl:ip:127.0.0.1";

    /// <summary>The store's call timeout (250 ms) plus a busy 2-core machine's scheduling: no request may take longer.</summary>
    private static readonly TimeSpan NoHangBound = TimeSpan.FromSeconds(1.5);

    private readonly RedisServer _redis = RedisServer.Start(Password);
    private readonly List<ProxyProcess> _proxies = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }
        _redis.Dispose();
    }

    private async Task<ProxyProcess[]> ReplicasAsync(int count, Dictionary<string, string> settings)
    {
        var env = new Dictionary<string, string>(settings) { ["REDIS_URL"] = _redis.Url, ["LOG_LEVEL"] = "INFO", ["LOG_FORMAT"] = "json" };
        var started = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => ProxyProcess.StartAsync(env)));
        _proxies.AddRange(started);
        return started;
    }

    private static Dictionary<string, string> Limit(int requests, int windowSeconds = 60) => new()
    {
        ["RATE_LIMIT_ENABLED"] = "true",
        ["RATE_LIMIT_MAX_REQUESTS"] = requests.ToString(CultureInfo.InvariantCulture),
        ["RATE_LIMIT_WINDOW_SECONDS"] = windowSeconds.ToString(CultureInfo.InvariantCulture),
    };

    private long Count(string field) => (long?)_redis.Admin().HashGet(ClientKey, field) ?? 0;

    private static Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitForAsync(() => Task.FromResult(condition()), what, timeout);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(15)), "timed out waiting for " + what);
            await Task.Delay(50);
        }
    }

    private static async Task<(HttpStatusCode Status, TimeSpan Took, HttpResponseMessage Response)> TimedAsync(ProxyProcess proxy, string path = "proxy")
    {
        var clock = Stopwatch.StartNew();
        var response = await proxy.Client.SendAsync(Http.Post(path, Http.ValidChat));
        var body = await response.Content.ReadAsStringAsync();
        var took = clock.Elapsed;
        // A status the test did not expect shows its body in the failure message.
        return ((HttpStatusCode)Expect((int)response.StatusCode, body), took, response);
    }

    private static int Expect(int status, string body) => status is 200 or 429 or 503 ? status : throw new Xunit.Sdk.XunitException($"unexpected {status}: {body}");

    [Fact]
    public async Task Three_replicas_with_a_limit_of_30_admit_exactly_30_of_60_requests_and_each_admitted_one_sees_its_own_shared_count()
    {
        var replicas = await ReplicasAsync(3, Limit(30));
        // 60 requests, 20 through each replica, 12 at a time.
        using var gate = new SemaphoreSlim(12);
        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await replicas[i % 3].Client.SendAsync(Http.Post("proxy", Http.ValidChat));
                return (response.StatusCode, Remaining: int.Parse(response.Headers.GetValues("X-RateLimit-Remaining").Single(), CultureInfo.InvariantCulture));
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.Equal(30, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Equal(30, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
        // One shared count: the 30 admitted requests saw 29, 28, ..., 0 left, each exactly once, whichever replica served them.
        Assert.Equal(Enumerable.Range(0, 30), answers.Where(a => a.StatusCode == HttpStatusCode.OK).Select(a => a.Remaining).Order());
        Assert.Equal(30, Count("r"));
        foreach (var replica in replicas)
        {
            var health = await Http.JsonAsync(await replica.Client.GetAsync("healthz"));
            Assert.Equal("redis", health.GetProperty("rate_limit").GetProperty("store").GetString());
            Assert.True(health.GetProperty("rate_limit").GetProperty("store_up").GetBoolean());
        }
        // The start line names the Redis without its password.
        Assert.Contains(replicas[0].StdoutLines, l => l.Contains("Rate limits are shared through Redis at redis://:***@127.0.0.1:", StringComparison.Ordinal));
        Assert.DoesNotContain(replicas.SelectMany(r => r.StdoutLines.Concat(r.StderrLines)), l => l.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_limit_holds_across_replicas_and_streams_count_without_the_client_asking_for_usage()
    {
        // The stub's usage of Http.ValidChat: 1 prompt word + 2 completion words = 3 tokens.
        var replicas = await ReplicasAsync(3, new Dictionary<string, string> { ["RATE_LIMIT_MAX_TOKENS"] = "10" });
        const string Stream = """{"model":"my-model","stream":true,"messages":[{"role":"user","content":"hello"}]}""";
        for (var i = 0; i < 4; i++)
        {
            // 0, 3, 6, 9 tokens so far: all below 10, all admitted; the fourth takes the client to 12.
            var path = i % 2 == 0 ? "v1/chat/completions" : "proxy/stream";
            using var response = await replicas[i % 3].Client.SendAsync(Http.Post(path, i % 2 == 0 ? Stream : Http.ValidChat));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal((10 - (3 * i)).ToString(CultureInfo.InvariantCulture), response.Headers.GetValues("X-RateLimit-Remaining-Tokens").Single());
            var events = Http.SseData(await response.Content.ReadAsStringAsync());
            Assert.Equal("[DONE]", events[^1]);
            Assert.DoesNotContain(events, e => e.Contains("\"usage\"", StringComparison.Ordinal));
            await WaitForAsync(() => Count("t") == 3 * (i + 1), $"{3 * (i + 1)} tokens in Redis");
        }
        foreach (var replica in replicas)
        {
            using var refused = await replica.Client.SendAsync(Http.Post("v1/chat/completions", Http.ValidChat));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var error = (await Http.JsonAsync(refused)).GetProperty("error");
            Assert.Contains("Token limit of 10 tokens per 60 s reached (12 used)", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.InRange(int.Parse(refused.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture), 1, 60);
        }
    }

    [Fact]
    public async Task Open_mode_serves_without_a_5xx_while_redis_is_down_and_counts_in_redis_again_after_a_restart()
    {
        var replicas = await ReplicasAsync(2, Limit(1000));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await TimedAsync(replicas[i % 2])).Status);
        }
        Assert.Equal(4, Count("r"));

        _redis.Stop();
        for (var i = 0; i < 20; i++)
        {
            var (status, took, _) = await TimedAsync(replicas[i % 2]);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(took < NoHangBound, $"request {i} took {took.TotalMilliseconds:F0} ms with Redis down");
        }
        var scrape = await replicas[0].Client.GetStringAsync("metrics");
        Assert.Contains("\nllm_ratelimit_store_up 0\n", scrape, StringComparison.Ordinal);
        var health = await Http.JsonAsync(await replicas[0].Client.GetAsync("healthz"));
        Assert.False(health.GetProperty("rate_limit").GetProperty("store_up").GetBoolean());
        // One warning line per replica for the outage (at most one a minute), naming the failure mode, never the password.
        foreach (var replica in replicas)
        {
            var warnings = replica.StdoutLines.Where(l => l.Contains("unreachable", StringComparison.Ordinal)).ToList();
            Assert.Single(warnings);
            Assert.Contains("REDIS_FAILURE_MODE=open", warnings[0], StringComparison.Ordinal);
            Assert.DoesNotContain(Password, warnings[0], StringComparison.Ordinal);
        }

        // A restarted Redis without persistence starts empty; the proxies reconnect by themselves.
        _redis.StartAgain();
        await WaitForAsync(async () =>
        {
            var before = Count("r");
            Assert.Equal(HttpStatusCode.OK, (await TimedAsync(replicas[0])).Status);
            Assert.Equal(HttpStatusCode.OK, (await TimedAsync(replicas[1])).Status);
            return Count("r") == before + 2;
        }, "both replicas counting in Redis again", TimeSpan.FromSeconds(20));
        Assert.Contains("\nllm_ratelimit_store_up 1\n", await replicas[1].Client.GetStringAsync("metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closed_mode_answers_503_with_retry_after_while_redis_is_down_and_admits_again_once_it_is_back()
    {
        var replicas = await ReplicasAsync(2, new Dictionary<string, string>(Limit(1000)) { ["REDIS_FAILURE_MODE"] = "closed" });
        Assert.Equal(HttpStatusCode.OK, (await TimedAsync(replicas[0])).Status);

        _redis.Stop();
        for (var i = 0; i < 10; i++)
        {
            var (status, took, response) = await TimedAsync(replicas[i % 2], i % 2 == 0 ? "proxy" : "v1/chat/completions");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("1", response.Headers.RetryAfter?.ToString());
            Assert.True(took < NoHangBound, $"request {i} took {took.TotalMilliseconds:F0} ms with Redis down");
        }
        // Health stays 200 (every replica is equally affected; the load balancer keeps them) and says why.
        using var health = await replicas[1].Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains(replicas[1].StdoutLines, l => l.Contains("REDIS_FAILURE_MODE=closed: limited routes answer 503", StringComparison.Ordinal));

        _redis.StartAgain();
        await WaitForAsync(async () => (await TimedAsync(replicas[0])).Status == HttpStatusCode.OK
            && (await TimedAsync(replicas[1])).Status == HttpStatusCode.OK, "both replicas admitting again", TimeSpan.FromSeconds(20));
        Assert.True(Count("r") >= 2);
    }

    [Theory]
    [InlineData("open", HttpStatusCode.OK)]
    [InlineData("closed", HttpStatusCode.ServiceUnavailable)]
    public async Task A_redis_that_stops_answering_holds_no_request_past_the_call_timeout(string mode, HttpStatusCode whileFrozen)
    {
        // A limit the loop below cannot reach: on loopback the proxy answers a request in well under a millisecond.
        var replicas = await ReplicasAsync(1, new Dictionary<string, string>(Limit(1_000_000)) { ["REDIS_FAILURE_MODE"] = mode });
        Assert.Equal(HttpStatusCode.OK, (await TimedAsync(replicas[0])).Status);

        // SIGSTOP: the connection stays open and nothing is answered, the worst case for a client.
        _redis.Freeze();
        try
        {
            var clock = Stopwatch.StartNew();
            var took = new List<TimeSpan>();
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                var (status, time, response) = await TimedAsync(replicas[0]);
                Assert.True(status == whileFrozen, $"{status} after {clock.Elapsed.TotalMilliseconds:F0} ms of freeze: {string.Join(", ", response.Headers.Select(h => h.Key + "=" + string.Join(",", h.Value)))}");
                took.Add(time);
                await Task.Delay(10);
            }
            Assert.All(took, t => Assert.True(t < NoHangBound, $"a request took {t.TotalMilliseconds:F0} ms with Redis frozen"));
            // Only the probes pay the 250 ms (one a second); the others go straight past Redis.
            Assert.True(took.Count(t => t >= TimeSpan.FromMilliseconds(200)) <= 5, string.Join(", ", took.Select(t => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture))));
        }
        finally
        {
            _redis.Thaw();
        }
        await WaitForAsync(async () =>
        {
            var before = Count("r");
            return (await TimedAsync(replicas[0])).Status == HttpStatusCode.OK && Count("r") == before + 1;
        }, "counting in Redis again after the freeze", TimeSpan.FromSeconds(20));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedLimitsCollection
{
    /// <summary>Timing bounds on a 2-core machine: these tests run alone.</summary>
    public const string Name = "shared limits on a real Redis (run alone)";
}

using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http.RateLimiting;

/// <summary>
/// The limit middleware over the Redis store, through the whole pipeline, against a real redis-server of the test's
/// own (the E2E layer runs the same on the published binary, with three processes).
/// </summary>
public sealed class RedisLimitPipelineTests : IDisposable
{
    private const string Password = "Hunter2-redis-pw";
    private readonly RedisServer _redis = RedisServer.Start(Password);

    public void Dispose() => _redis.Dispose();

    private Task<TestProxy> StartAsync(int maxRequests, StoreFailureMode mode = StoreFailureMode.Open, string? url = null) =>
        TestProxy.StartAsync(new ProxySettings
        {
            RateLimitEnabled = true,
            RateLimitMaxRequests = maxRequests,
            RedisUrl = RedisUrl.Parse(url ?? _redis.Url),
            RedisFailureMode = mode,
        });

    [Fact]
    public async Task Two_apps_on_one_redis_share_one_window_and_the_headers_show_the_shared_count()
    {
        await using var a = await StartAsync(maxRequests: 3);
        await using var b = await StartAsync(maxRequests: 3);
        var remaining = new List<string>();
        var statuses = new List<HttpStatusCode>();
        foreach (var proxy in new[] { a, b, a, b, a })
        {
            using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
            statuses.Add(response.StatusCode);
            remaining.Add(response.Headers.GetValues(RateLimitHeaders.Remaining).Single());
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(["2", "1", "0", "0", "0"], remaining);

        using var health = await b.Client.GetAsync("/healthz");
        var text = await health.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain("redis://", text, StringComparison.Ordinal);
        var rateLimit = (await Requests.JsonAsync(health)).GetProperty("rate_limit");
        Assert.Equal("redis", rateLimit.GetProperty("store").GetString());
        Assert.True(rateLimit.GetProperty("store_up").GetBoolean());
        Assert.Equal("open", rateLimit.GetProperty("failure_mode").GetString());

        var scrape = await a.Client.GetStringAsync("/metrics");
        Assert.Contains("\nllm_ratelimit_store_up 1\n", scrape, StringComparison.Ordinal);
        Assert.Contains("\nllm_ratelimit_store_errors_total 0\n", scrape, StringComparison.Ordinal);
        Assert.Contains("\nllm_ratelimit_store_call_seconds_count ", scrape, StringComparison.Ordinal);
        Assert.Contains("\nllm_rate_limited_requests_total{reason=\"requests\"} 1\n", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closed_mode_without_redis_answers_503_with_retry_after_in_each_route_s_dialect()
    {
        _redis.Stop();
        await using var proxy = await StartAsync(maxRequests: 100, StoreFailureMode.Closed);

        using var classic = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, classic.StatusCode);
        Assert.Equal("1", classic.Headers.RetryAfter?.ToString());
        var body = await Requests.JsonAsync(classic);
        Assert.Equal("Service Unavailable", body.GetProperty("error").GetString());
        Assert.Contains("REDIS_FAILURE_MODE=closed", body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var v1 = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", Requests.ValidChat));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, v1.StatusCode);
        Assert.Equal("1", v1.Headers.RetryAfter?.ToString());
        var error = (await Requests.JsonAsync(v1)).GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("rate_limit_store_unavailable", error.GetProperty("code").GetString());

        // Health and metrics are not limited and say what is going on, without the password.
        using var health = await proxy.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var rateLimit = (await Requests.JsonAsync(health)).GetProperty("rate_limit");
        Assert.False(rateLimit.GetProperty("store_up").GetBoolean());
        Assert.Equal("closed", rateLimit.GetProperty("failure_mode").GetString());
        var scrape = await proxy.Client.GetStringAsync("/metrics");
        Assert.Contains("\nllm_ratelimit_store_up 0\n", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain("\nllm_ratelimit_store_errors_total 0\n", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_mode_without_redis_admits_and_counts_in_the_process()
    {
        _redis.Stop();
        await using var proxy = await StartAsync(maxRequests: 2, StoreFailureMode.Open);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
            statuses.Add(response.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }
}

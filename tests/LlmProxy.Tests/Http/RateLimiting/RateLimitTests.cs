using System.Globalization;
using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Metrics;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http.RateLimiting;

public sealed class RateLimitTests : IDisposable
{
    private readonly string _keysFile = Path.Combine(Path.GetTempPath(), $"llm-proxy-limit-keys-{Guid.NewGuid():N}.txt");

    public void Dispose() => File.Delete(_keysFile);

    private static readonly ProxySettings ThreePerMinute = new() { RateLimitEnabled = true, RateLimitMaxRequests = 3, RateLimitWindowSeconds = 60 };

    private static Task<TestProxy> StartAsync(ProxySettings settings) => TestProxy.StartAsync(settings, TestClientAddress.Install, app =>
    {
        app.MapGet("/test/limited", () => "ok").RequireProxyRateLimit();
        app.MapPost("/v1/test/limited", () => "ok").RequireProxyRateLimit();
    });

    private static HttpRequestMessage Chat(string client, string authorization = "Bearer test", string path = "/proxy", string body = Requests.ValidChat)
    {
        var request = Requests.Post(path, body, authorization: authorization);
        request.Headers.TryAddWithoutValidation(TestClientAddress.Header, client);
        return request;
    }

    /// <summary>
    /// Waits until the client's window holds <paramref name="tokens"/>: a request's usage is debited once its response is
    /// complete, which may be a moment after the client has read it.
    /// </summary>
    private static async Task WaitForTokensAsync(TestProxy proxy, string clientId, long tokens)
    {
        var store = Assert.IsType<InMemoryWindowStore>(proxy.App.Services.GetRequiredService<IWindowCounterStore>());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        long seen = -1;
        while (DateTime.UtcNow < deadline)
        {
            if (store.TryPeek(clientId, out _, out seen, out _) && seen == tokens)
            {
                return;
            }
            await Task.Delay(10);
        }
        Assert.Fail($"{clientId} holds {seen} tokens, expected {tokens}");
    }

    private static string Header(HttpResponseMessage response, string name) => response.Headers.GetValues(name).Single();

    private static int IntHeader(HttpResponseMessage response, string name) => int.Parse(Header(response, name), CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_fourth_request_in_a_window_is_429_with_retry_after_while_another_client_is_unaffected()
    {
        await using var proxy = await StartAsync(ThreePerMinute);
        for (var i = 1; i <= 3; i++)
        {
            using var ok = await proxy.Client.SendAsync(Chat("192.0.2.1"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal(3, IntHeader(ok, RateLimitHeaders.Limit));
            Assert.Equal(3 - i, IntHeader(ok, RateLimitHeaders.Remaining));
            Assert.InRange(IntHeader(ok, RateLimitHeaders.Reset), 1, 60);
        }

        using var refused = await proxy.Client.SendAsync(Chat("192.0.2.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = IntHeader(refused, "Retry-After");
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(3, IntHeader(refused, RateLimitHeaders.Limit));
        Assert.Equal(0, IntHeader(refused, RateLimitHeaders.Remaining));
        Assert.Equal(retryAfter, IntHeader(refused, RateLimitHeaders.Reset));
        var body = await Requests.JsonAsync(refused);
        Assert.Equal("Too Many Requests", body.GetProperty("error").GetString());
        Assert.Contains("3 requests per 60 s", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(Requests.RequestId(refused), body.GetProperty("request_id").GetString());

        using var other = await proxy.Client.SendAsync(Chat("192.0.2.2"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(2, IntHeader(other, RateLimitHeaders.Remaining));
    }

    [Fact]
    public async Task In_key_mode_the_client_is_the_key_not_the_address()
    {
        await using var proxy = await StartAsync(new ProxySettings(ThreePerMinute) { ApiKeys = ["key-a", "key-b"] });
        for (var i = 0; i < 3; i++)
        {
            using var ok = await proxy.Client.SendAsync(Chat("192.0.2.1", "Bearer key-a"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        // Same address, other key: its own window. Same key, other address: the same exhausted window.
        using var otherKey = await proxy.Client.SendAsync(Chat("192.0.2.1", "Bearer key-b"));
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
        using var sameKeyElsewhere = await proxy.Client.SendAsync(Chat("198.51.100.7", "Bearer key-a"));
        Assert.Equal(HttpStatusCode.TooManyRequests, sameKeyElsewhere.StatusCode);
        // A wrong key is refused by auth (401) and does not spend anyone's permits.
        using var wrong = await proxy.Client.SendAsync(Chat("192.0.2.1", "Bearer key-c"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task Health_and_docs_are_never_limited_and_carry_no_rate_limit_headers()
    {
        await using var proxy = await StartAsync(new ProxySettings(ThreePerMinute) { RateLimitMaxRequests = 1 });
        foreach (var path in new[] { "/healthz", "/openapi.json", "/docs/index.html", "/redoc/index.html" })
        {
            for (var i = 0; i < 4; i++)
            {
                using var response = await proxy.Client.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.False(response.Headers.Contains(RateLimitHeaders.Limit), path);
            }
        }
    }

    [Fact]
    public async Task Under_v1_the_429_is_an_openai_error()
    {
        await using var proxy = await StartAsync(new ProxySettings(ThreePerMinute) { RateLimitMaxRequests = 1 });
        using var first = await proxy.Client.SendAsync(Requests.Post("/v1/test/limited", "{}"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await proxy.Client.SendAsync(Requests.Post("/v1/test/limited", "{}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        var error = (await Requests.JsonAsync(second)).GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.True(second.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Disabled_means_no_limit_and_no_headers()
    {
        await using var proxy = await StartAsync(new ProxySettings(ThreePerMinute) { RateLimitEnabled = false });
        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.Client.SendAsync(Chat("192.0.2.1"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains(RateLimitHeaders.Limit));
        }
    }

    [Fact]
    public async Task A_refused_client_is_admitted_again_in_the_next_window()
    {
        await using var proxy = await StartAsync(new ProxySettings(ThreePerMinute) { RateLimitMaxRequests = 1, RateLimitWindowSeconds = 1 });
        using var first = await proxy.Client.GetAsync("/test/limited");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var refused = await proxy.Client.GetAsync("/test/limited");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(1, IntHeader(refused, "Retry-After"));
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        using var again = await proxy.Client.GetAsync("/test/limited");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Ipv6_clients_of_one_64_share_one_window_and_the_next_64_has_its_own()
    {
        await using var proxy = await StartAsync(new ProxySettings(ThreePerMinute) { RateLimitMaxRequests = 2 });
        using (var first = await proxy.Client.SendAsync(Chat("2001:db8:1:2::1")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var sameSubnet = await proxy.Client.SendAsync(Chat("2001:db8:1:2:aaaa:bbbb:cccc:dddd")))
        {
            Assert.Equal(HttpStatusCode.OK, sameSubnet.StatusCode);
            Assert.Equal(0, IntHeader(sameSubnet, RateLimitHeaders.Remaining));
        }
        // A fresh address of the same /64 (what a host picks at will: RFC 8981) is the same client.
        using var refused = await proxy.Client.SendAsync(Chat("2001:db8:1:2::beef"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        using var neighbour = await proxy.Client.SendAsync(Chat("2001:db8:1:3::1"));
        Assert.Equal(HttpStatusCode.OK, neighbour.StatusCode);
        Assert.Equal(1, IntHeader(neighbour, RateLimitHeaders.Remaining));
    }

    [Fact]
    public async Task A_token_limit_admits_on_the_tokens_counted_so_far_and_refuses_once_they_reach_it()
    {
        // The stub's usage for ValidChat: 1 prompt word ("hello") + 2 completion words ("stub response") = 3 tokens.
        await using var proxy = await StartAsync(new ProxySettings { RateLimitMaxTokens = 5 });
        using (var first = await proxy.Client.SendAsync(Chat("192.0.2.30")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(5, IntHeader(first, RateLimitHeaders.LimitTokens));
            Assert.Equal(5, IntHeader(first, RateLimitHeaders.RemainingTokens));
            // RATE_LIMIT_ENABLED is off: no request limit, so no request headers.
            Assert.False(first.Headers.Contains(RateLimitHeaders.Limit));
            Assert.InRange(IntHeader(first, RateLimitHeaders.Reset), 1, 60);
        }
        await WaitForTokensAsync(proxy, "ip:192.0.2.30", 3);
        using (var second = await proxy.Client.SendAsync(Chat("192.0.2.30", path: "/proxy/stream")))
        {
            // 3 of 5 used: still admitted, and this answer takes the client past the limit.
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(2, IntHeader(second, RateLimitHeaders.RemainingTokens));
            var events = Requests.SseData(await second.Content.ReadAsStringAsync());
            Assert.Equal("[DONE]", events[^1]);
            Assert.DoesNotContain(events, e => e.Contains("\"usage\"", StringComparison.Ordinal));
        }
        await WaitForTokensAsync(proxy, "ip:192.0.2.30", 6);
        using var refused = await proxy.Client.SendAsync(Chat("192.0.2.30"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(0, IntHeader(refused, RateLimitHeaders.RemainingTokens));
        Assert.InRange(IntHeader(refused, "Retry-After"), 1, 60);
        var body = await Requests.JsonAsync(refused);
        Assert.Contains("Token limit of 5 tokens per 60 s reached (6 used)", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var metrics = proxy.App.Services.GetRequiredService<LlmMetrics>();
        Assert.Equal(1, metrics.RateLimitedCountFor(RateLimitReason.Tokens));
        Assert.Equal(0, metrics.RateLimitedCountFor(RateLimitReason.Requests));
        // Another client has its own tokens.
        using var other = await proxy.Client.SendAsync(Chat("192.0.2.31"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Under_a_token_limit_a_v1_stream_is_counted_and_the_usage_chunk_shows_only_if_the_client_asked()
    {
        await using var proxy = await StartAsync(new ProxySettings { RateLimitMaxTokens = 1000 });
        const string Plain = """{"model":"m","stream":true,"messages":[{"role":"user","content":"one two three"}]}""";
        using (var response = await proxy.Client.SendAsync(Chat("192.0.2.40", path: "/v1/chat/completions", body: Plain)))
        {
            var events = Requests.SseData(await response.Content.ReadAsStringAsync());
            Assert.Equal("[DONE]", events[^1]);
            Assert.Contains(events, e => e.Contains("\"finish_reason\":\"stop\"", StringComparison.Ordinal));
            Assert.DoesNotContain(events, e => e.Contains("\"usage\"", StringComparison.Ordinal));
        }
        await WaitForTokensAsync(proxy, "ip:192.0.2.40", 5);

        const string Asking = """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"one"}]}""";
        using (var response = await proxy.Client.SendAsync(Chat("192.0.2.40", path: "/v1/chat/completions", body: Asking)))
        {
            var events = Requests.SseData(await response.Content.ReadAsStringAsync());
            Assert.Contains(events, e => e.Contains("\"choices\":[]", StringComparison.Ordinal) && e.Contains("\"total_tokens\":3", StringComparison.Ordinal));
        }
        await WaitForTokensAsync(proxy, "ip:192.0.2.40", 8);
    }

    [Fact]
    public async Task A_key_line_with_rpm_sets_that_key_s_limit_even_with_the_global_limit_off_and_keys_sharing_a_name_share_it()
    {
        File.WriteAllText(_keysFile, "sk-alice-1 name=alice rpm=2\nsk-alice-2 name=alice rpm=2\nsk-bob name=bob\n");
        await using var proxy = await StartAsync(new ProxySettings { ApiKeysFile = _keysFile });
        using (var first = await proxy.Client.SendAsync(Chat("192.0.2.50", "Bearer sk-alice-1")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(2, IntHeader(first, RateLimitHeaders.Limit));
            Assert.Equal(1, IntHeader(first, RateLimitHeaders.Remaining));
        }
        using (var rotated = await proxy.Client.SendAsync(Chat("198.51.100.1", "Bearer sk-alice-2")))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }
        using var refused = await proxy.Client.SendAsync(Chat("192.0.2.50", "Bearer sk-alice-1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("Rate limit of 2 requests per 60 s for API key 'alice' exceeded",
            (await Requests.JsonAsync(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Bob's line has no limits and the global limit is off: nothing to count, no headers.
        for (var i = 0; i < 4; i++)
        {
            using var bob = await proxy.Client.SendAsync(Chat("192.0.2.50", "Bearer sk-bob"));
            Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
            Assert.False(bob.Headers.Contains(RateLimitHeaders.Limit));
        }
    }

    [Fact]
    public async Task A_key_line_with_tpm_limits_that_key_s_tokens_and_keeps_the_global_request_limit()
    {
        File.WriteAllText(_keysFile, "sk-tina name=tina tpm=4\nsk-ci name=ci rpm=0\n");
        await using var proxy = await StartAsync(new ProxySettings(ThreePerMinute) { ApiKeysFile = _keysFile });
        using (var first = await proxy.Client.SendAsync(Chat("192.0.2.60", "Bearer sk-tina")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(3, IntHeader(first, RateLimitHeaders.Limit));
            Assert.Equal(4, IntHeader(first, RateLimitHeaders.LimitTokens));
        }
        await WaitForTokensAsync(proxy, "key:tina", 3);
        using (var second = await proxy.Client.SendAsync(Chat("192.0.2.60", "Bearer sk-tina")))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }
        await WaitForTokensAsync(proxy, "key:tina", 6);
        using var refused = await proxy.Client.SendAsync(Chat("192.0.2.60", "Bearer sk-tina"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("Token limit of 4 tokens per 60 s for API key 'tina'", (await Requests.JsonAsync(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // rpm=0 lifts the request limit for that key (the global one is 3).
        for (var i = 0; i < 5; i++)
        {
            using var ci = await proxy.Client.SendAsync(Chat("192.0.2.60", "Bearer sk-ci"));
            Assert.Equal(HttpStatusCode.OK, ci.StatusCode);
        }
    }
}

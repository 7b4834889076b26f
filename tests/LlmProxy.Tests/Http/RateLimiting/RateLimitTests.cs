using System.Globalization;
using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http.RateLimiting;

public class RateLimitTests
{
    private static readonly ProxySettings ThreePerMinute = new() { RateLimitEnabled = true, RateLimitMaxRequests = 3, RateLimitWindowSeconds = 60 };

    private static Task<TestProxy> StartAsync(ProxySettings settings) => TestProxy.StartAsync(settings, TestClientAddress.Install, app =>
    {
        app.MapGet("/test/limited", () => "ok").RequireProxyRateLimit();
        app.MapPost("/v1/test/limited", () => "ok").RequireProxyRateLimit();
    });

    private static HttpRequestMessage Chat(string client, string authorization = "Bearer test")
    {
        var request = Requests.Post("/proxy", Requests.ValidChat, authorization: authorization);
        request.Headers.TryAddWithoutValidation(TestClientAddress.Header, client);
        return request;
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
}

using System.Globalization;
using System.Net;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>The rate limit on the real binary (docs/api.md, Rate limit).</summary>
public class RateLimitTests
{
    private static readonly Dictionary<string, string> ThreePerMinute = new()
    {
        ["RATE_LIMIT_ENABLED"] = "true",
        ["RATE_LIMIT_MAX_REQUESTS"] = "3",
        ["RATE_LIMIT_WINDOW_SECONDS"] = "60",
    };

    private static int IntHeader(HttpResponseMessage response, string name) =>
        int.Parse(response.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Three_per_minute_the_fourth_request_of_one_address_is_429_and_another_address_is_unaffected()
    {
        await using var proxy = await ProxyProcess.StartAsync(ThreePerMinute);
        using var first = LoopbackClient.From("127.0.0.1", proxy.BaseUrl);
        using var second = LoopbackClient.From("127.0.0.2", proxy.BaseUrl);
        for (var i = 1; i <= 3; i++)
        {
            using var ok = await first.SendAsync(Http.Post("proxy", Http.ValidChat));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal(3 - i, IntHeader(ok, "X-RateLimit-Remaining"));
        }
        using var refused = await first.SendAsync(Http.Post("proxy/stream", Http.ValidChat));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(IntHeader(refused, "Retry-After"), 1, 60);
        Assert.Equal(3, IntHeader(refused, "X-RateLimit-Limit"));
        Assert.Equal(0, IntHeader(refused, "X-RateLimit-Remaining"));
        Assert.InRange(IntHeader(refused, "X-RateLimit-Reset"), 1, 60);
        var body = await Http.JsonAsync(refused);
        Assert.Equal("Too Many Requests", body.GetProperty("error").GetString());

        using var other = await second.SendAsync(Http.Post("proxy", Http.ValidChat));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(2, IntHeader(other, "X-RateLimit-Remaining"));

        // Health is never limited, even for the refused client.
        using var health = await first.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var settings = (await Http.JsonAsync(health)).GetProperty("rate_limit");
        Assert.True(settings.GetProperty("enabled").GetBoolean());
        Assert.Equal(3, settings.GetProperty("max_requests").GetInt32());
    }

    [Fact]
    public async Task In_key_mode_each_key_has_its_own_window()
    {
        var env = new Dictionary<string, string>(ThreePerMinute) { ["PROXY_API_KEYS"] = "key-one,key-two" };
        await using var proxy = await ProxyProcess.StartAsync(env);
        for (var i = 0; i < 3; i++)
        {
            using var ok = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat, authorization: "Bearer key-one"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var refused = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat, authorization: "Bearer key-one"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.Contains("Retry-After"));
        using var otherKey = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat, authorization: "Bearer key-two"));
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
    }
}

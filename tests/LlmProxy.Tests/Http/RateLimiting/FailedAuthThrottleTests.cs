using System.Globalization;
using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Metrics;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http.RateLimiting;

public class FailedAuthThrottleTests
{
    private static Task<TestProxy> StartAsync(ProxySettings settings) => TestProxy.StartAsync(settings, TestClientAddress.Install);

    private static async Task<HttpStatusCode> SendAsync(TestProxy proxy, string client, string? authorization, string path = "/proxy")
    {
        var request = Requests.Post(path, Requests.ValidChat, authorization: authorization);
        request.Headers.TryAddWithoutValidation(TestClientAddress.Header, client);
        using var response = await proxy.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Twelve_wrong_keys_from_one_address_are_ten_401s_then_429s_and_a_right_key_from_there_is_refused_too()
    {
        // The request limit is off: only the wrong keys are counted.
        await using var proxy = await StartAsync(new ProxySettings { ApiKeys = ["sk-right-key"] });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add(await SendAsync(proxy, "192.0.2.10", $"Bearer sk-guess-{i}", i % 2 == 0 ? "/proxy" : "/v1/chat/completions"));
        }
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, FailedAuthThrottle.MaxFailures), statuses.Take(10));
        Assert.Equal([HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses.Skip(10));

        // Refused before the key is looked at: a right guess now teaches nothing.
        var request = Requests.Post("/v1/chat/completions", Requests.ValidChat, authorization: "Bearer sk-right-key");
        request.Headers.TryAddWithoutValidation(TestClientAddress.Header, "192.0.2.10");
        using var right = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.InRange(int.Parse(right.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture), 1, 60);
        var error = (await Requests.JsonAsync(right)).GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Contains("Too many wrong API keys from this address", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Another address, and the same key, are unaffected.
        Assert.Equal(HttpStatusCode.OK, await SendAsync(proxy, "192.0.2.11", "Bearer sk-right-key"));
        var metrics = proxy.App.Services.GetRequiredService<LlmMetrics>();
        Assert.Equal(3, metrics.RateLimitedCountFor(RateLimitReason.FailedAuth));
        Assert.Equal(0, metrics.RateLimitedCountFor(RateLimitReason.Requests));
    }

    [Fact]
    public async Task Wrong_keys_from_one_ipv6_64_add_up_whatever_address_of_it_they_come_from()
    {
        await using var proxy = await StartAsync(new ProxySettings { ApiKeys = ["sk-right-key"] });
        for (var i = 0; i < FailedAuthThrottle.MaxFailures; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(proxy, $"2001:db8:5:6::{i + 1:x}", "Bearer wrong"));
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(proxy, "2001:db8:5:6:1234::99", "Bearer sk-right-key"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(proxy, "2001:db8:5:7::1", "Bearer sk-right-key"));
    }

    [Fact]
    public async Task A_missing_header_is_not_a_guess_and_default_mode_has_nothing_to_guess()
    {
        await using (var keyed = await StartAsync(new ProxySettings { ApiKeys = ["sk-right-key"] }))
        {
            for (var i = 0; i < 15; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(keyed, "192.0.2.12", authorization: null));
            }
            Assert.Equal(HttpStatusCode.OK, await SendAsync(keyed, "192.0.2.12", "Bearer sk-right-key"));
        }
        await using var open = await StartAsync(new ProxySettings());
        for (var i = 0; i < 15; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(open, "192.0.2.13", $"Bearer anything-{i}"));
        }
    }

    [Fact]
    public void The_throttle_lifts_when_its_window_ends()
    {
        var time = new ManualTimeProvider();
        var throttle = new FailedAuthThrottle(time, new LlmMetrics(new MetricsRegistry()));
        var address = IPAddress.Parse("192.0.2.14");
        var context = new DefaultHttpContext();
        for (var i = 0; i < FailedAuthThrottle.MaxFailures - 1; i++)
        {
            throttle.RecordFailure(address);
        }
        Assert.Null(throttle.Refusal(context, address));
        throttle.RecordFailure(address);
        var refusal = throttle.Refusal(context, address);
        Assert.Equal(429, refusal?.Status);
        Assert.Equal("60", refusal?.RetryAfter);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("1", throttle.Refusal(context, address)?.RetryAfter);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(throttle.Refusal(context, address));
    }
}

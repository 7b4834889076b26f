using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http.Auth;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http.Auth;

public class ApiKeyTests
{
    private const string Key = "sk-proxy-key-one-4f9c";
    private static readonly ProxySettings KeyMode = new() { ApiKeys = [Key, "second-key"] };

    [Theory]
    [InlineData("Bearer " + Key, 200)]
    [InlineData("bearer " + Key, 200)]
    [InlineData("Bearer second-key", 200)]
    [InlineData("Bearer sk-proxy-key-one-4f9", 401)]
    [InlineData("Bearer sk-proxy-key-one-4f9cX", 401)]
    [InlineData("Bearer wrong", 401)]
    [InlineData(Key, 401)]
    [InlineData("Basic " + Key, 401)]
    [InlineData("Bearer", 401)]
    public async Task Key_mode_admits_only_bearer_with_a_configured_key(string authorization, int expected)
    {
        await using var proxy = await TestProxy.StartAsync(KeyMode);
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat, authorization: authorization));
        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 401)
        {
            var body = await Requests.JsonAsync(response);
            Assert.Equal("Unauthorized", body.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Key_mode_without_a_header_is_401_and_default_mode_accepts_any_header()
    {
        await using (var keyed = await TestProxy.StartAsync(KeyMode))
        {
            using var missing = await keyed.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat, authorization: null));
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        }
        await using var open = await TestProxy.StartAsync();
        using var any = await open.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat, authorization: "Bearer whatever"));
        Assert.Equal(HttpStatusCode.OK, any.StatusCode);
        using var none = await open.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat, authorization: null));
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
    }

    [Fact]
    public async Task A_presented_key_is_never_echoed_in_any_response()
    {
        await using var proxy = await TestProxy.StartAsync(KeyMode);
        foreach (var (path, stream) in new[] { ("/proxy", false), ("/proxy/stream", true) })
        {
            foreach (var presented in new[] { Key, "not-a-key-7d1e" })
            {
                using var response = await proxy.Client.SendAsync(Requests.Post(path, Requests.ValidChat, authorization: "Bearer " + presented));
                var text = await response.Content.ReadAsStringAsync();
                var headers = string.Join("\n", response.Headers.Concat(response.Content.Headers).Select(h => h.Key + ": " + string.Join(",", h.Value)));
                Assert.DoesNotContain(presented, text, StringComparison.Ordinal);
                Assert.DoesNotContain(presented, headers, StringComparison.Ordinal);
                if (presented == Key)
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.Equal(stream, text.Contains("data: [DONE]", StringComparison.Ordinal));
                }
            }
        }
        var health = await proxy.Client.GetStringAsync("/healthz");
        Assert.DoesNotContain(Key, health, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_mode_on_v1_answers_401_in_the_openai_dialect()
    {
        await using var proxy = await TestProxy.StartAsync(KeyMode, configureEndpoints: app =>
            app.MapPost("/v1/test/echo", () => "ok").RequireProxyAuth());
        using var response = await proxy.Client.SendAsync(Requests.Post("/v1/test/echo", "{}", authorization: "Bearer nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = (await Requests.JsonAsync(response)).GetProperty("error");
        Assert.Equal("authentication_error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
    }
}

using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Security;

/// <summary>The Host allow-list, the guard against DNS rebinding (docs/security.md), on real sockets.</summary>
public class HostGuardTests
{
    private static async Task<HttpResponseMessage> SendAsync(KestrelProxy proxy, HttpRequestMessage request, string host)
    {
        request.Headers.Host = host;
        return await proxy.Client.SendAsync(request);
    }

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:8000")]
    [InlineData("localhost.attacker.example")]
    [InlineData("127.0.0.1.nip.io")]
    public async Task On_loopback_a_foreign_host_is_403_in_the_routes_dialect_and_reaches_no_route(string host)
    {
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings());

        using var classic = await SendAsync(proxy, Requests.Post("proxy", Requests.ValidChat), host);
        Assert.Equal(HttpStatusCode.Forbidden, classic.StatusCode);
        var body = await Requests.JsonAsync(classic);
        Assert.Equal("Forbidden", body.GetProperty("error").GetString());
        Assert.Contains("ALLOWED_HOSTS", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(Requests.RequestId(classic), body.GetProperty("request_id").GetString());

        using var openAi = await SendAsync(proxy, Requests.Post("V1/chat/completions", Requests.ValidChat), host);
        Assert.Equal(HttpStatusCode.Forbidden, openAi.StatusCode);
        var error = (await Requests.JsonAsync(openAi)).GetProperty("error");
        Assert.Equal("permission_error", error.GetProperty("type").GetString());
        Assert.Equal("host_not_allowed", error.GetProperty("code").GetString());

        // Not even the health probe or the API description answers a rebound name.
        using var health = await SendAsync(proxy, Get("healthz"), host);
        Assert.Equal(HttpStatusCode.Forbidden, health.StatusCode);
        using var docs = await SendAsync(proxy, Get("openapi.json"), host);
        Assert.Equal(HttpStatusCode.Forbidden, docs.StatusCode);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST:8000")]
    [InlineData("127.0.0.1:1")]
    [InlineData("[::1]:8000")]
    [InlineData("[::1]")]
    public async Task On_loopback_the_loopback_names_are_served_on_any_port(string host)
    {
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings());
        using var response = await SendAsync(proxy, Requests.Post("proxy", Requests.ValidChat), host);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_preflight_with_a_foreign_host_is_refused_before_cors_answers_it()
    {
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings { CorsAllowOrigins = ["*"] });
        var preflight = new HttpRequestMessage(HttpMethod.Options, "proxy");
        preflight.Headers.TryAddWithoutValidation("Origin", "http://attacker.example");
        preflight.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
        using var response = await SendAsync(proxy, preflight, "attacker.example");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Allowed_hosts_replace_the_default_and_take_subdomain_wildcards()
    {
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings { AllowedHosts = ["proxy.lan", "*.example.com"] });
        foreach (var (host, status) in new[]
        {
            ("proxy.lan:8000", HttpStatusCode.OK), ("gpu.example.com", HttpStatusCode.OK), ("a.b.example.com", HttpStatusCode.OK),
            ("example.com", HttpStatusCode.Forbidden), ("localhost", HttpStatusCode.Forbidden), ("proxy.lan.evil", HttpStatusCode.Forbidden),
        })
        {
            using var response = await SendAsync(proxy, Get("healthz"), host);
            Assert.True(status == response.StatusCode, $"{host}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Star_allows_every_host()
    {
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings { AllowedHosts = ["*"] });
        using var response = await SendAsync(proxy, Get("healthz"), "anything.example");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

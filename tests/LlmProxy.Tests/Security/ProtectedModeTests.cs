using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Security;

/// <summary>
/// Protected mode (docs/security.md): listening beyond loopback with no API keys, only this machine is served. The
/// client address comes from <see cref="TestClientAddress"/>; the E2E layer checks the same with real peers.
/// </summary>
public class ProtectedModeTests
{
    private static Task<TestProxy> StartAsync(ProxySettings settings) => TestProxy.StartAsync(settings, TestClientAddress.Install);

    private static HttpRequestMessage From(string address, HttpRequestMessage request)
    {
        request.Headers.TryAddWithoutValidation(TestClientAddress.Header, address);
        return request;
    }

    [Theory]
    [InlineData("192.168.1.7", "proxy", HttpStatusCode.Forbidden)]
    [InlineData("192.168.1.7", "v1/chat/completions", HttpStatusCode.Forbidden)]
    [InlineData("2001:db8::7", "proxy", HttpStatusCode.Forbidden)]
    [InlineData("127.0.0.1", "proxy", HttpStatusCode.OK)]
    [InlineData("127.5.6.7", "v1/chat/completions", HttpStatusCode.OK)]
    [InlineData("::1", "proxy", HttpStatusCode.OK)]
    [InlineData("::ffff:127.0.0.1", "proxy", HttpStatusCode.OK)]
    [InlineData("::ffff:10.0.0.1", "proxy", HttpStatusCode.Forbidden)]
    public async Task Bound_to_every_address_without_keys_only_loopback_peers_are_served(string peer, string path, HttpStatusCode expected)
    {
        await using var proxy = await StartAsync(new ProxySettings { Host = "0.0.0.0" });
        using var response = await proxy.Client.SendAsync(From(peer, Requests.Post(path, Requests.ValidChat)));
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Forbidden)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Contains("PROXY_API_KEYS", text, StringComparison.Ordinal);
            Assert.Contains("ALLOW_UNAUTHENTICATED=true", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("healthz", HttpStatusCode.OK)]
    [InlineData("metrics", HttpStatusCode.OK)]
    [InlineData("openapi.json", HttpStatusCode.Forbidden)]
    [InlineData("docs/index.html", HttpStatusCode.Forbidden)]
    [InlineData("v1/models", HttpStatusCode.Forbidden)]
    [InlineData("api/tags", HttpStatusCode.Forbidden)]
    [InlineData("nope", HttpStatusCode.Forbidden)]
    public async Task Only_healthz_and_metrics_stay_open_to_other_machines(string path, HttpStatusCode expected)
    {
        await using var proxy = await StartAsync(new ProxySettings { Host = "0.0.0.0" });
        using var response = await proxy.Client.SendAsync(From("10.1.2.3", new HttpRequestMessage(HttpMethod.Get, path)));
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Keys_or_allow_unauthenticated_turn_protected_mode_off_and_loopback_never_has_it()
    {
        await using (var withKeys = await StartAsync(new ProxySettings { Host = "0.0.0.0", ApiKeys = ["k-1"] }))
        {
            using var response = await withKeys.Client.SendAsync(From("10.1.2.3", Requests.Post("proxy", Requests.ValidChat, authorization: "Bearer k-1")));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await using (var open = await StartAsync(new ProxySettings { Host = "::", AllowUnauthenticated = true }))
        {
            using var response = await open.Client.SendAsync(From("10.1.2.3", Requests.Post("proxy", Requests.ValidChat)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await using (var loopback = await StartAsync(new ProxySettings { Host = "127.0.0.1" }))
        {
            // A loopback bind cannot be reached from elsewhere; a peer address that claims otherwise changes nothing.
            using var response = await loopback.Client.SendAsync(From("10.1.2.3", Requests.Post("proxy", Requests.ValidChat)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}

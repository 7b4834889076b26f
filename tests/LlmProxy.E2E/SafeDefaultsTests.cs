using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>
/// The safe defaults (docs/security.md) on the published binary: who may drive the proxy (Host allow-list, loopback-only
/// CORS, protected mode), what a hostile body or path gets, and what the API document gives away.
/// </summary>
public class SafeDefaultsTests(RunningProxyFixture fixture) : IClassFixture<RunningProxyFixture>
{
    private ProxyProcess Proxy => fixture.Proxy;

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "v1/chat/completions");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return request;
    }

    [Fact]
    public async Task A_preflight_from_another_site_gets_no_allow_origin_and_a_local_page_does()
    {
        using var evil = await Proxy.Client.SendAsync(Preflight("https://evil.example"));
        Assert.False(evil.Headers.Contains("Access-Control-Allow-Origin"), "a foreign web page may read the proxy's answers");
        Assert.False(evil.Headers.Contains("Access-Control-Allow-Headers"));

        // A rebinding trick in the origin itself: a host that only starts like localhost.
        using var lookalike = await Proxy.Client.SendAsync(Preflight("http://localhost.evil.example"));
        Assert.False(lookalike.Headers.Contains("Access-Control-Allow-Origin"));

        using var local = await Proxy.Client.SendAsync(Preflight("http://localhost:5173"));
        Assert.Equal("http://localhost:5173", local.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var v6 = await Proxy.Client.SendAsync(Preflight("http://[::1]:3000"));
        Assert.Equal("http://[::1]:3000", v6.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Theory]
    [InlineData("v1/chat/completions", "host_not_allowed")]
    [InlineData("proxy", "\"error\":\"Forbidden\"")]
    [InlineData("api/chat", "ALLOWED_HOSTS")]
    public async Task A_foreign_Host_is_refused_403_before_any_route_in_the_routes_dialect(string path, string marker)
    {
        using var request = Http.Post(path, Http.ValidChat);
        request.Headers.Host = "attacker.example";
        using var response = await Proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(marker, body, StringComparison.Ordinal);
        Assert.Contains("ALLOWED_HOSTS", body, StringComparison.Ordinal);

        // The loopback names are served on any port.
        foreach (var host in new[] { "localhost:1234", "127.0.0.1", "[::1]:8000", "LOCALHOST" })
        {
            using var allowed = Http.Post(path, Http.ValidChat);
            allowed.Headers.Host = host;
            using var served = await Proxy.Client.SendAsync(allowed);
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"{host}: {served.StatusCode}");
        }
    }

    [Fact]
    public async Task An_AllowedHosts_environment_variable_changes_nothing()
    {
        // ASP.NET Core's own Host filter reads AllowedHosts from the environment and answered 400 text/html with no
        // request id: the proxy takes it out (Hosting/FrameworkHostFilter.cs); ALLOWED_HOSTS is the one Host check.
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["AllowedHosts"] = "only.example" });
        using var response = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", Http.ValidChat));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("x-request-id"));

        // And a foreign Host still gets the proxy's own refusal, not the framework's.
        using var foreign = Http.Post("v1/chat/completions", Http.ValidChat);
        foreign.Headers.Host = "only.example";
        using var refused = await proxy.Client.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("host_not_allowed", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"\ud800","messages":[{"role":"user","content":"hi"}]}""", 400)]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"\udc00"}]}""", 200)]
    [InlineData("""{"model":"m","\udc00":1,"messages":[{"role":"user","content":"hi"}]}""", 200)]
    [InlineData("""{"model":"m","messages":[{"role":"user","\ud800x":"a","content":"hi"}]}""", 200)]
    public async Task A_lone_surrogate_in_a_v1_body_is_never_a_500(string body, int expected)
    {
        using var response = await Proxy.Client.SendAsync(Http.Post("v1/chat/completions", body));
        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 400)
        {
            var error = (await Http.JsonAsync(response)).GetProperty("error");
            Assert.Equal("model", error.GetProperty("param").GetString());
            Assert.Contains("surrogate", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_api_document_never_names_the_requests_Host_as_its_server()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "openapi.json");
        request.Headers.Host = "localhost:666";
        using var response = await Proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("666", text, StringComparison.Ordinal);
        // No server entry at all: the docs pages use the address they were loaded from (docs/api.md, API description).
        Assert.False(JsonDocument.Parse(text).RootElement.TryGetProperty("servers", out _));
    }

    [Theory]
    [InlineData("V1/chat/completions")]
    [InlineData("v1/CHAT/completions")]
    public async Task An_error_on_a_v1_path_in_any_case_comes_in_the_OpenAI_shape(string path)
    {
        using var response = await Proxy.Client.SendAsync(Http.Post(path, "{not json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Http.JsonAsync(response)).GetProperty("error");
        Assert.Equal(JsonValueKind.Object, error.ValueKind);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }
}

/// <summary>
/// Protected mode (docs/security.md) on the published binary: bound to every address with no API keys, the proxy serves
/// this machine and refuses the others with a 403 that names the two ways out. The other machine is this one seen
/// through its own non-loopback address, which the kernel gives as the peer address.
/// </summary>
public class ProtectedModeTests
{
    /// <summary>A non-loopback IPv4 address of this machine, or null when it has none (the test then cannot run).</summary>
    private static string? LanAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString();

    private static async Task<ProxyProcess> StartOnEveryAddressAsync(Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string> { ["HOST"] = "0.0.0.0" };
        foreach (var (name, value) in extra ?? [])
        {
            env[name] = value;
        }
        return await ProxyProcess.StartAsync(env);
    }

    [Fact]
    public async Task Bound_to_every_address_without_keys_other_machines_get_403_naming_the_ways_out_and_this_machine_is_served()
    {
        var lan = LanAddress();
        Assert.True(lan is not null, "this machine has no non-loopback IPv4 address to test from");
        await using var proxy = await StartOnEveryAddressAsync();
        using var remote = LoopbackClient.From(lan!, new Uri($"http://{lan}:{proxy.Port}/"));

        foreach (var path in new[] { "v1/chat/completions", "proxy", "api/chat" })
        {
            using var refused = await remote.SendAsync(Http.Post(path, Http.ValidChat));
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{path}: {refused.StatusCode}");
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Contains("PROXY_API_KEYS", body, StringComparison.Ordinal);
            Assert.Contains("ALLOW_UNAUTHENTICATED=true", body, StringComparison.Ordinal);
        }
        using (var models = await remote.GetAsync("api/tags"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, models.StatusCode);
        }
        // Probes and scrapers come from elsewhere and read no model.
        using (var health = await remote.GetAsync("healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        using (var metrics = await remote.GetAsync("metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        }
        // This machine is served.
        using (var local = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", Http.ValidChat)))
        {
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        }
        // Said once, at start.
        var warnings = proxy.StdoutLines.Concat(proxy.StderrLines).Where(l => l.Contains("protected mode", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.Contains("ALLOW_UNAUTHENTICATED=true", warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_API_keys_or_ALLOW_UNAUTHENTICATED_other_machines_are_served()
    {
        var lan = LanAddress();
        Assert.True(lan is not null, "this machine has no non-loopback IPv4 address to test from");

        await using (var open = await StartOnEveryAddressAsync(new() { ["ALLOW_UNAUTHENTICATED"] = "true" }))
        {
            using var remote = LoopbackClient.From(lan!, new Uri($"http://{lan}:{open.Port}/"));
            using var served = await remote.SendAsync(Http.Post("v1/chat/completions", Http.ValidChat));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.DoesNotContain(open.StdoutLines.Concat(open.StderrLines), l => l.Contains("protected mode", StringComparison.Ordinal));
        }

        await using var keyed = await StartOnEveryAddressAsync(new() { ["PROXY_API_KEYS"] = "lan-key-1234" });
        using var client = LoopbackClient.From(lan!, new Uri($"http://{lan}:{keyed.Port}/"));
        using (var withKey = await client.SendAsync(Http.Post("v1/chat/completions", Http.ValidChat, authorization: "Bearer lan-key-1234")))
        {
            Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        }
        using var withoutKey = await client.SendAsync(Http.Post("v1/chat/completions", Http.ValidChat, authorization: null));
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
    }
}

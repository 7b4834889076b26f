using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;
using LlmProxy.Tests.Upstreams;

namespace LlmProxy.Tests.Security;

/// <summary>
/// No secret reaches a client through what an upstream says (docs/security.md, Secrets), and an upstream refusing the
/// proxy's own credentials is the gateway's fault (502), not the client's.
/// </summary>
public class SecretRedactionTests
{
    private const string UpstreamKey = "sk-upstream-5ecret-0123456789";
    private const string ProxyKey = "sk-proxy-5ecret-abcdef";
    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>An upstream that refuses and echoes the credentials it got, as OpenAI's own API does.</summary>
    private static Task EchoAuthorization(HttpContext context, int status, string extra = "") => UpstreamErrorMappingTests.Answer(context, status,
        $$$"""{"error":{"message":"Incorrect API key provided: {{{context.Request.Headers.Authorization}}}.{{{extra}}}","type":"invalid_request_error","code":"invalid_api_key"}}""");

    /// <summary>The error's words in either dialect: the OpenAI envelope's message or the classic shape's detail.</summary>
    private static string MessageOf(System.Text.Json.JsonElement body) =>
        body.GetProperty("error").ValueKind == System.Text.Json.JsonValueKind.Object
            ? body.GetProperty("error").GetProperty("message").GetString()!
            : body.GetProperty("detail").GetString()!;

    [Theory]
    [InlineData("v1/chat/completions", 401)]
    [InlineData("proxy", 401)]
    [InlineData("v1/embeddings", 403)]
    public async Task With_proxy_keys_an_upstream_refusal_is_502_and_names_no_key(string path, int upstreamStatus)
    {
        // The proxy key never goes upstream; an upstream that somehow names it (a shared key store) is cleaned as well.
        await using var upstream = await FakeUpstream.StartAsync(context => EchoAuthorization(context, upstreamStatus, " Also tried " + ProxyKey));
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ApiKeys = [ProxyKey], OpenAiCompatApiKey = UpstreamKey });

        using var response = await proxy.Client.SendAsync(Requests.Post(path, Chat, authorization: "Bearer " + ProxyKey));
        var text = MessageOf(await Requests.JsonAsync(response));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("refused the proxy's credentials", text, StringComparison.Ordinal);
        Assert.Contains("[redacted]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("5ecret", text, StringComparison.Ordinal);
        // The upstream did get the upstream key: it was the upstream's echo that had to be cleaned.
        Assert.Equal("Bearer " + UpstreamKey, upstream.Requests.Last().Headers["Authorization"]);
    }

    [Theory]
    [InlineData("v1/chat/completions")]
    [InlineData("proxy")]
    public async Task Without_proxy_keys_the_clients_own_refused_key_keeps_its_401_but_is_not_echoed(string path)
    {
        await using var upstream = await FakeUpstream.StartAsync(context => EchoAuthorization(context, 401));
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { OpenAiCompatApiKey = UpstreamKey });

        using var response = await proxy.Client.SendAsync(Requests.Post(path, Chat, authorization: "Bearer sk-client-5ecret-42"));
        var text = MessageOf(await Requests.JsonAsync(response));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Incorrect API key provided: [redacted]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("5ecret", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_any_client_authorization_forwarded_an_upstream_401_is_the_proxys_502()
    {
        // The classic route with keys off still needs some Authorization; here the proxy key mode consumes it, so the
        // upstream sees no credentials at all (no OPENAI_COMPAT_API_KEY): its 401 is the operator's to fix.
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 401, """{"error":"missing key"}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ApiKeys = [ProxyKey] });
        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Chat, authorization: "Bearer " + ProxyKey));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var error = (await Requests.JsonAsync(response)).GetProperty("error");
        Assert.Equal("upstream_auth_failed", error.GetProperty("code").GetString());
        Assert.Contains("missing key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_echoed_in_a_mid_stream_error_event_is_taken_out_too()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("a"));
            await Sse.WriteEventAsync(context, $$$"""{"error":{"message":"quota of {{{context.Request.Headers.Authorization}}} used up","code":"{{{UpstreamKey}}}"}}""");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ApiKeys = [ProxyKey], OpenAiCompatApiKey = UpstreamKey });
        using var response = await proxy.Client.SendAsync(
            Requests.Post("v1/chat/completions", """{"model":"m","stream":true,"messages":[]}""", authorization: "Bearer " + ProxyKey),
            HttpCompletionOption.ResponseHeadersRead);
        var events = await Sse.ReadAllEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        using var error = System.Text.Json.JsonDocument.Parse(events[^2]);
        Assert.Equal("quota of Bearer [redacted] used up", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("[redacted]", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain("5ecret", string.Join('\n', events), StringComparison.Ordinal);
    }
}

using System.Net;
using System.Text;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// What crosses the proxy between a client and a model server (docs/security.md, Secrets): the published binary in
/// front of a fake upstream. Secrets never come back, client headers that could lie about the request never go out,
/// and an upstream's odd JSON never becomes a 500 or a stream without its end.
/// </summary>
public class UpstreamSafetyTests
{
    private const string UpstreamKey = "sk-upstream-0123456789abcdef";
    private const string ProxyKey = "proxy-key-9876543210";
    private const string ClientKey = "sk-client-key-5555555555";

    /// <summary>A model server that refuses every key, echoing the Authorization it got, as OpenAI's API does.</summary>
    private static Task EchoingRefusal(HttpContext context)
    {
        context.Response.StatusCode = 401;
        context.Response.ContentType = "application/json";
        var echoed = context.Request.Headers.Authorization.ToString();
        return context.Response.WriteAsync(
            "{\"error\":{\"message\":\"Incorrect API key provided: " + echoed
            + ". You can find your API key at https://example/keys.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}");
    }

    private static async Task<ProxyProcess> StartInFrontOfAsync(FakeUpstream upstream, Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
        };
        foreach (var (name, value) in extra ?? [])
        {
            env[name] = value;
        }
        return await ProxyProcess.StartAsync(env);
    }

    [Theory]
    [InlineData("v1/chat/completions")]
    [InlineData("proxy")]
    [InlineData("proxy/stream")]
    public async Task With_proxy_keys_an_upstream_that_echoes_the_proxys_key_gets_the_client_a_502_without_it(string path)
    {
        await using var upstream = await FakeUpstream.StartAsync(EchoingRefusal);
        await using var proxy = await StartInFrontOfAsync(upstream, new() { ["OPENAI_COMPAT_API_KEY"] = UpstreamKey, ["PROXY_API_KEYS"] = ProxyKey });

        using var response = await proxy.Client.SendAsync(Http.Post(path, Http.ValidChat, authorization: "Bearer " + ProxyKey));
        // JSON writers escape the apostrophe (\u0027); the words are what a reader sees.
        var body = (await response.Content.ReadAsStringAsync()).Replace("\\u0027", "'", StringComparison.Ordinal);
        // The client's key was good; the proxy's own credentials were refused: a gateway fault, not the client's 401.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("refused the proxy's credentials", body, StringComparison.Ordinal);
        Assert.DoesNotContain(UpstreamKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain(ProxyKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef", body, StringComparison.Ordinal);
        // The upstream did get the upstream key, never the proxy key.
        Assert.Equal("Bearer " + UpstreamKey, Assert.Single(upstream.Requests).Headers["Authorization"]);
        Assert.DoesNotContain(proxy.StdoutLines.Concat(proxy.StderrLines), l => l.Contains(UpstreamKey, StringComparison.Ordinal) || l.Contains(ProxyKey, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("v1/chat/completions")]
    [InlineData("proxy")]
    public async Task Without_proxy_keys_the_upstreams_refusal_of_the_clients_own_key_comes_back_without_the_key(string path)
    {
        await using var upstream = await FakeUpstream.StartAsync(EchoingRefusal);
        await using var proxy = await StartInFrontOfAsync(upstream);

        using var response = await proxy.Client.SendAsync(Http.Post(path, Http.ValidChat, authorization: "Bearer " + ClientKey));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Incorrect API key provided", body, StringComparison.Ordinal);
        Assert.Contains("[redacted]", body, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientKey, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_headers_that_could_lie_about_the_request_never_reach_the_upstream()
    {
        await using var upstream = await FakeUpstream.StartAsync(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(
                """{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}""");
        });
        await using var proxy = await StartInFrontOfAsync(upstream);
        using var request = Http.Post("v1/chat/completions", Http.ValidChat);
        string[] dropped =
        [
            "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", "Proxy-Foo", "X-HTTP-Method-Override",
            "Cookie", "Origin", "Referer", "X-Custom-Thing",
        ];
        foreach (var name in dropped)
        {
            request.Headers.TryAddWithoutValidation(name, name == "Origin" ? "http://localhost:3000" : "1.2.3.4");
        }
        request.Content!.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
        request.Headers.TryAddWithoutValidation("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.UserAgent.ParseAdd("my-app/1.0");

        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(upstream.Requests).Headers;
        foreach (var name in dropped.Append("Content-Encoding"))
        {
            Assert.False(sent.ContainsKey(name), $"{name} reached the upstream");
        }
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", sent["traceparent"]);
        Assert.Equal("my-app/1.0", sent["User-Agent"]);
        Assert.StartsWith("application/json", sent["Content-Type"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("proxy", false)]
    [InlineData("v1/chat/completions", false)]
    [InlineData("proxy/stream", true)]
    [InlineData("v1/chat/completions", true)]
    public async Task An_upstream_answer_with_lone_surrogates_is_never_a_500_nor_a_stream_without_its_end(string path, bool stream)
    {
        // Valid JSON whose text is not valid Unicode: in a content, in a property name, and as an error message.
        const string odd = """{"id":"x","object":"chat.completion.chunk","created":1,"model":"m\ud800","\udc00":1,"choices":[{"index":0,"delta":{"content":"a\udc00b"},"message":{"role":"assistant","content":"a\ud800b"},"finish_reason":null}]}""";
        await using var upstream = await FakeUpstream.StartAsync(context =>
        {
            if (stream)
            {
                context.Response.ContentType = "text/event-stream";
                return context.Response.WriteAsync($"data: {odd}\n\ndata: {{\"error\":{{\"message\":\"bad \\udc00 thing\"}}}}\n\ndata: {odd}\n\ndata: [DONE]\n\n");
            }
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(odd.Replace("chat.completion.chunk", "chat.completion", StringComparison.Ordinal));
        });
        await using var proxy = await StartInFrontOfAsync(upstream);
        using var request = Http.Post(path, stream ? Http.ValidChat.Replace("}]}", "}],\"stream\":true}", StringComparison.Ordinal) : Http.ValidChat);
        using var response = await proxy.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500 || (int)response.StatusCode == 502, $"{(int)response.StatusCode}: {body}");
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        if (stream && response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal("[DONE]", Http.SseData(body)[^1]);
        }
        Assert.False(proxy.HasExited);
        Assert.DoesNotContain(proxy.StdoutLines.Concat(proxy.StderrLines), l => l.Contains("InvalidOperationException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_SIGTERM_an_upstream_stream_in_flight_is_relayed_to_its_end_then_the_process_exits_0()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            for (var i = 0; i < 20; i++)
            {
                await context.Response.WriteAsync($"data: {FaultyUpstreamFixture.Chunk($"t{i} ")}\n\n");
                await context.Response.Body.FlushAsync();
                started.TrySetResult();
                await Task.Delay(100);
            }
            await context.Response.WriteAsync("data: [DONE]\n\n");
        });
        await using var proxy = await StartInFrontOfAsync(upstream, new() { ["SHUTDOWN_TIMEOUT_SECONDS"] = "15" });
        var streaming = proxy.Client.SendAsync(Http.Post("v1/chat/completions", Http.ValidChat.Replace("}]}", "}],\"stream\":true}", StringComparison.Ordinal)));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        proxy.Signal(Posix.SigTerm);

        using var response = await streaming;
        var events = Http.SseData(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(21, events.Count);
        Assert.Equal(0, await proxy.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task On_SIGTERM_an_upstream_stream_longer_than_the_drain_time_ends_with_an_error_and_DONE_within_it()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            for (var i = 0; i < 600 && !context.RequestAborted.IsCancellationRequested; i++)
            {
                await context.Response.WriteAsync($"data: {FaultyUpstreamFixture.Chunk($"t{i} ")}\n\n");
                await context.Response.Body.FlushAsync();
                started.TrySetResult();
                await Task.Delay(100);
            }
        });
        await using var proxy = await StartInFrontOfAsync(upstream, new() { ["SHUTDOWN_TIMEOUT_SECONDS"] = "2" });
        using var response = await proxy.Client.SendAsync(
            Http.Post("v1/chat/completions", Http.ValidChat.Replace("}]}", "}],\"stream\":true}", StringComparison.Ordinal)), HttpCompletionOption.ResponseHeadersRead);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        proxy.Signal(Posix.SigTerm);

        string body;
        try
        {
            body = await new StreamReader(await response.Content.ReadAsStreamAsync()).ReadToEndAsync();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            body = "";
        }
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 8);
        var events = Http.SseData(body);
        Assert.True(events.Count > 0 && events[^1] == "[DONE]", "the stream was cut without [DONE]: " + body[Math.Max(0, body.Length - 300)..]);
        Assert.Contains(events, e => e.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Equal(0, await proxy.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Routing;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Upstreams;

/// <summary>
/// Upstream outcomes (docs/api.md, Errors), one real server shape per test, in both dialects (/v1 envelope, classic shape), each
/// followed by a normal request that must still succeed (the proxy keeps serving).
/// </summary>
public class UpstreamErrorMappingTests
{
    private const string V1Body = """{"model":"x","messages":[{"role":"user","content":"hi"}]}""";
    private const string ClassicBody = """{"model":"x","messages":[{"role":"user","content":"hi"}]}""";
    private const string OkCompletion = """{"id":"chatcmpl-9","object":"chat.completion","created":5,"model":"ok","choices":[{"index":0,"message":{"role":"assistant","content":"fine"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

    public static TheoryData<string, int, string, string> ModelNotFoundShapes => new()
    {
        // Ollama
        { "ollama", 404, """{"error":{"message":"model 'x' not found","type":"not_found_error","param":null,"code":null}}""", "model 'x' not found" },
        // vLLM >= 0.10.1: nested, integer code
        { "vllm-new", 404, """{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":"model","code":404}}""", "The model `x` does not exist." },
        // vLLM < 0.10.1: flat
        { "vllm-old", 404, """{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}""", "The model `x` does not exist." },
        // LM Studio: string code
        { "lmstudio", 404, """{"error":{"message":"Model \"x\" not found. Please load it first.","type":"invalid_request_error","param":"model","code":"model_not_found"}}""", "Model \"x\" not found. Please load it first." },
        // LocalAI
        { "localai", 404, """{"error":{"code":404,"message":"model \"x\" not found","type":""}}""", "model \"x\" not found" },
        // LocalAI builds that fail while loading answer 500 with the same words
        { "localai-500", 500, """{"error":{"code":500,"message":"model \"x\" not found","type":""}}""", "model \"x\" not found" },
    };

    [Theory]
    [MemberData(nameof(ModelNotFoundShapes))]
    public async Task Unknown_model_is_404_model_not_found_in_both_dialects(string server, int status, string body, string message)
    {
        _ = server;
        await using var upstream = await FakeUpstream.StartAsync();
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        upstream.Handler = context => Answer(context, status, body);

        using var v1 = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", V1Body));
        Assert.Equal(HttpStatusCode.NotFound, v1.StatusCode);
        var envelope = (await Requests.JsonAsync(v1)).GetProperty("error");
        Assert.Equal("model_not_found", envelope.GetProperty("code").GetString());
        Assert.Equal(message, envelope.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.String, envelope.GetProperty("type").ValueKind);
        Assert.True(envelope.TryGetProperty("param", out _));

        using var classic = await proxy.Client.SendAsync(Requests.Post("proxy", ClassicBody));
        Assert.Equal(HttpStatusCode.NotFound, classic.StatusCode);
        var classicBody = await Requests.JsonAsync(classic);
        Assert.Equal("Model Not Found", classicBody.GetProperty("error").GetString());
        Assert.Equal(message, classicBody.GetProperty("detail").GetString());
        Assert.Equal(Requests.RequestId(classic), classicBody.GetProperty("request_id").GetString());

        await AssertStillServesAsync(upstream, proxy);
    }

    [Theory]
    [InlineData(429, """{"error":{"message":"too many requests, slow down","type":"rate_limit_error","param":null,"code":"rate_limited"}}""", "too many requests, slow down")]
    [InlineData(503, """{"error":"server busy, please try again. maximum pending requests exceeded"}""", "server busy, please try again. maximum pending requests exceeded")]
    public async Task Status_429_and_503_pass_through_with_Retry_After(int status, string body, string message)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        upstream.Handler = context =>
        {
            context.Response.Headers.RetryAfter = "7";
            return Answer(context, status, body);
        };

        using var v1 = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", V1Body));
        Assert.Equal(status, (int)v1.StatusCode);
        Assert.Equal("7", v1.Headers.RetryAfter?.ToString());
        Assert.Equal(message, (await Requests.JsonAsync(v1)).GetProperty("error").GetProperty("message").GetString());

        using var classic = await proxy.Client.SendAsync(Requests.Post("proxy/stream", ClassicBody));
        Assert.Equal(status, (int)classic.StatusCode);
        Assert.Equal("7", classic.Headers.RetryAfter?.ToString());
        Assert.Equal(message, (await Requests.JsonAsync(classic)).GetProperty("detail").GetString());

        await AssertStillServesAsync(upstream, proxy);
    }

    [Fact]
    public async Task Other_4xx_keeps_status_message_and_param()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => Answer(context, 400,
            """{"error":{"message":"temperature must be between 0 and 2","type":"invalid_request_error","param":"temperature","code":null}}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var v1 = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", V1Body));
        Assert.Equal(HttpStatusCode.BadRequest, v1.StatusCode);
        var error = (await Requests.JsonAsync(v1)).GetProperty("error");
        Assert.Equal("temperature must be between 0 and 2", error.GetProperty("message").GetString());
        Assert.Equal("temperature", error.GetProperty("param").GetString());

        await AssertStillServesAsync(upstream, proxy);
    }

    [Fact]
    public async Task Ollama_403_with_an_empty_body_is_403_with_a_message()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => Answer(context, 403, ""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var classic = await proxy.Client.SendAsync(Requests.Post("proxy", ClassicBody));
        Assert.Equal(HttpStatusCode.Forbidden, classic.StatusCode);
        Assert.Contains("403", (await Requests.JsonAsync(classic)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        await AssertStillServesAsync(upstream, proxy);
    }

    [Theory]
    [InlineData(500, """{"error":{"message":"CUDA error: out of memory","type":"server_error","param":null,"code":null}}""", "CUDA error: out of memory")]
    [InlineData(500, """{"object":"error","message":"engine dead","type":"InternalServerError","param":null,"code":500}""", "engine dead")]
    [InlineData(502, "upstream of the upstream is down", "upstream of the upstream is down")]
    public async Task Other_5xx_is_502_with_the_upstream_message(int status, string body, string message)
    {
        await using var upstream = await FakeUpstream.StartAsync(context => Answer(context, status, body));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var v1 = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", V1Body));
        Assert.Equal(HttpStatusCode.BadGateway, v1.StatusCode);
        Assert.Equal(message, (await Requests.JsonAsync(v1)).GetProperty("error").GetProperty("message").GetString());

        using var classic = await proxy.Client.SendAsync(Requests.Post("proxy", ClassicBody));
        Assert.Equal(HttpStatusCode.BadGateway, classic.StatusCode);
        var classicBody = await Requests.JsonAsync(classic);
        Assert.Equal("Bad Gateway", classicBody.GetProperty("error").GetString());
        Assert.Equal(message, classicBody.GetProperty("detail").GetString());

        await AssertStillServesAsync(upstream, proxy);
    }

    [Fact]
    public async Task Silence_before_the_headers_is_504_after_the_idle_timeout()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context => await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted));
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { UpstreamTimeout = TimeSpan.FromSeconds(1) });

        var clock = Stopwatch.StartNew();
        using var v1 = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", """{"model":"x","stream":true}"""));
        Assert.Equal(HttpStatusCode.GatewayTimeout, v1.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.Equal("upstream_timeout", (await Requests.JsonAsync(v1)).GetProperty("error").GetProperty("code").GetString());

        using var classic = await proxy.Client.SendAsync(Requests.Post("proxy", ClassicBody));
        Assert.Equal(HttpStatusCode.GatewayTimeout, classic.StatusCode);
        Assert.Equal("Gateway Timeout", (await Requests.JsonAsync(classic)).GetProperty("error").GetString());

        await AssertStillServesAsync(upstream, proxy);
    }

    [Fact]
    public async Task Connection_refused_is_502_in_both_dialects()
    {
        var closedPort = FreeLoopbackPort();
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings
        {
            DefaultProvider = ProviderNames.Ollama,
            OpenAiCompatBaseUrl = new Uri($"http://127.0.0.1:{closedPort}/v1/"),
            LogLevel = "ERROR",
        });

        using var v1 = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", V1Body));
        Assert.Equal(HttpStatusCode.BadGateway, v1.StatusCode);
        var error = (await Requests.JsonAsync(v1)).GetProperty("error");
        Assert.Equal("upstream_unreachable", error.GetProperty("code").GetString());
        Assert.Contains($"127.0.0.1:{closedPort}", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var classic = await proxy.Client.SendAsync(Requests.Post("proxy/stream", ClassicBody));
        Assert.Equal(HttpStatusCode.BadGateway, classic.StatusCode);
        Assert.Equal("Bad Gateway", (await Requests.JsonAsync(classic)).GetProperty("error").GetString());

        // Serving on: the routes that need no upstream still answer.
        using var health = await proxy.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_reset_before_any_byte_is_retried_twice_then_502()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = 0;
        using var stop = new CancellationTokenSource();
        var acceptLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var socket = await listener.AcceptSocketAsync(stop.Token);
                Interlocked.Increment(ref accepted);
                // RST without a byte of response: what a crashing model server looks like to its clients.
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
        });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var logs = new CapturingLoggerProvider();
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings
        {
            DefaultProvider = ProviderNames.Ollama,
            OpenAiCompatBaseUrl = new Uri($"http://127.0.0.1:{port}/v1/"),
            LogLevel = "ERROR",
        }, builder => builder.Logging.AddProvider(logs));

        using var v1 = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", V1Body));
        // Should it ever not be a 502, the proxy's own error lines say why (a 500 is an unhandled exception).
        Assert.True(v1.StatusCode == HttpStatusCode.BadGateway,
            $"{(int)v1.StatusCode}: {string.Join("\n", logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message + " " + e.Exception))}");
        Assert.Equal(3, Volatile.Read(ref accepted)); // the first try and two retries
        await stop.CancelAsync();
        listener.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => acceptLoop);
    }

    [Fact]
    public async Task A_reset_followed_by_a_healthy_upstream_succeeds_on_retry()
    {
        var calls = 0;
        await using var upstream = await FakeUpstream.StartAsync(context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Abort(); // the first attempt dies before a byte of response
                return Task.CompletedTask;
            }
            return Answer(context, 200, OkCompletion);
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var classic = await proxy.Client.SendAsync(Requests.Post("proxy", ClassicBody));
        Assert.Equal(HttpStatusCode.OK, classic.StatusCode);
        Assert.Equal(2, calls);
    }

    private static async Task AssertStillServesAsync(FakeUpstream upstream, KestrelProxy proxy)
    {
        upstream.Handler = context => Answer(context, 200, OkCompletion);
        using var ok = await proxy.Client.SendAsync(Requests.Post("proxy", ClassicBody));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("fine", (await Requests.JsonAsync(ok)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    internal static async Task Answer(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        if (body.Length > 0)
        {
            context.Response.ContentType = body.StartsWith('{') ? "application/json" : "text/plain";
            await context.Response.WriteAsync(body);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

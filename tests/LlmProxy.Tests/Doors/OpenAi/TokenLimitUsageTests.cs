using System.Net;
using System.Text;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Doors.OpenAi;

/// <summary>
/// Under a token limit a stream's usage is needed even when the client did not ask for it: the proxy asks the upstream
/// (a byte edit of the request), counts the usage chunk, and keeps that chunk from the client (docs/replicas.md,
/// "Token limits"). Real sockets on both sides.
/// </summary>
public class TokenLimitUsageTests
{
    private const string UsageChunk = """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}""";

    /// <summary>The proxy in front of an upstream that sends its usage chunk only when asked, as OpenAI's API does.</summary>
    private static async Task<(FakeUpstream Upstream, KestrelProxy Proxy)> StartAsync(long maxTokens)
    {
        FakeUpstream? upstream = null;
        upstream = await FakeUpstream.StartAsync(async context =>
        {
            var body = upstream!.Requests.Last().Body;
            using var document = JsonDocument.Parse(body);
            var asks = document.RootElement.TryGetProperty("stream_options", out var options)
                && options.TryGetProperty("include_usage", out var include) && include.GetBoolean();
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("hello"));
            await Sse.WriteEventAsync(context, """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""");
            if (asks)
            {
                await Sse.WriteEventAsync(context, UsageChunk);
            }
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { RateLimitMaxTokens = maxTokens });
        return (upstream, proxy);
    }

    private static async Task<long> WaitForTokensAsync(KestrelProxy proxy, long expected)
    {
        var store = Assert.IsType<InMemoryWindowStore>(proxy.App.Services.GetRequiredService<IWindowCounterStore>());
        long tokens = 0;
        for (var i = 0; i < 500 && !(store.TryPeek("ip:127.0.0.1", out _, out tokens, out _) && tokens == expected); i++)
        {
            await Task.Delay(10);
        }
        return tokens;
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("v1/chat/completions", """{"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("v1/completions", """{"model":"m","stream":true,"prompt":"hi"}""")]
    [InlineData("proxy/stream", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    public async Task A_stream_whose_client_did_not_ask_for_usage_is_counted_and_the_client_never_sees_the_usage_chunk(string path, string body)
    {
        var (upstream, proxy) = await StartAsync(maxTokens: 1000);
        await using var _upstream = upstream;
        await using var _proxy = proxy;

        using var response = await proxy.Client.SendAsync(Requests.Post(path, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Requests.SseData(await response.Content.ReadAsStringAsync());
        Assert.Contains(events, e => e.Contains("hello", StringComparison.Ordinal));
        Assert.Equal("[DONE]", events[^1]);
        Assert.DoesNotContain(events, e => e.Contains("\"usage\"", StringComparison.Ordinal));

        var sent = Encoding.UTF8.GetString(upstream.Requests.Single().Body);
        using (var document = JsonDocument.Parse(sent))
        {
            Assert.True(document.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean(), sent);
        }
        Assert.Equal(18, await WaitForTokensAsync(proxy, 18));
    }

    [Fact]
    public async Task A_client_that_asked_for_usage_gets_it_and_its_bytes_go_upstream_untouched()
    {
        var (upstream, proxy) = await StartAsync(maxTokens: 1000);
        await using var _upstream = upstream;
        await using var _proxy = proxy;
        const string Body = """{"model":"m", "stream":true, "stream_options":{"include_usage":true}, "messages":[{"role":"user","content":"hi"}]}""";

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Body));
        var events = Requests.SseData(await response.Content.ReadAsStringAsync());
        Assert.Contains(UsageChunk, events);
        Assert.Equal(Body, Encoding.UTF8.GetString(upstream.Requests.Single().Body));
        Assert.Equal(18, await WaitForTokensAsync(proxy, 18));
    }

    [Fact]
    public async Task Without_a_token_limit_the_client_s_bytes_go_upstream_untouched()
    {
        var (upstream, proxy) = await StartAsync(maxTokens: 0);
        await using var _upstream = upstream;
        await using var _proxy = proxy;
        const string Body = """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Body, Encoding.UTF8.GetString(upstream.Requests.Single().Body));
    }

    [Fact]
    public async Task Once_a_stream_took_the_client_past_its_token_limit_the_next_request_is_429()
    {
        var (upstream, proxy) = await StartAsync(maxTokens: 10);
        await using var _upstream = upstream;
        await using var _proxy = proxy;
        const string Body = """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
        using (var first = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Body)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            _ = await first.Content.ReadAsStringAsync();
        }
        Assert.Equal(18, await WaitForTokensAsync(proxy, 18));
        using var second = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Body));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("0", second.Headers.GetValues(RateLimitHeaders.RemainingTokens).Single());
        Assert.Single(upstream.Requests);
    }
}

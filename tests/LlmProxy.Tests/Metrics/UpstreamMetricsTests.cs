using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;
using LlmProxy.Tests.Upstreams;

namespace LlmProxy.Tests.Metrics;

/// <summary>
/// The LLM metrics (docs/operations.md, Metrics) recorded from real upstream calls (fake upstream on Kestrel): time to first token,
/// tokens from the upstream's usage, upstream errors by kind, streams in flight back to 0.
/// </summary>
public class UpstreamMetricsTests
{
    private const string StreamBody = """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""";
    private const string ChatBody = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task A_stream_records_time_to_first_token_and_the_usage_tokens()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("hi"));
            await Sse.WriteEventAsync(context, """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}""");
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream, KnowsModelM);
        using (var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", StreamBody)))
        {
            await Sse.ReadAllEventsAsync(response);
        }

        var text = await ScrapeAsync(proxy);
        Assert.Contains("llm_time_to_first_token_seconds_count{provider=\"ollama\",model=\"m\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_prompt_tokens_total{provider=\"ollama\",model=\"m\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_completion_tokens_total{provider=\"ollama\",model=\"m\"} 7\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_requests_total{provider=\"ollama\",model=\"m\",status=\"200\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("\nllm_streams_in_flight 0\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(404, """{"error":{"message":"model 'm' not found","type":"not_found_error","param":null,"code":null}}""", "model_not_found")]
    [InlineData(429, """{"error":{"message":"slow down","type":"rate_limit","param":null,"code":null}}""", "rate_limited")]
    [InlineData(400, """{"error":{"message":"bad temperature","type":"invalid_request_error","param":null,"code":null}}""", "client_error")]
    [InlineData(500, """{"error":{"message":"CUDA out of memory","type":"server_error","param":null,"code":null}}""", "server_error")]
    public async Task Upstream_errors_are_counted_by_kind(int status, string body, string kind)
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, status, body));
        await using var proxy = await KestrelProxy.StartAsync(upstream, KnowsModelM);
        using (var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", ChatBody)))
        {
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        }
        var text = await ScrapeAsync(proxy);
        Assert.Contains($"llm_upstream_errors_total{{provider=\"ollama\",model=\"m\",kind=\"{kind}\"}} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_upstream_is_a_connect_error()
    {
        var upstream = await FakeUpstream.StartAsync();
        await using var proxy = await KestrelProxy.StartAsync(upstream, KnowsModelM);
        await upstream.DisposeAsync();
        using (var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", ChatBody)))
        {
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }
        var text = await ScrapeAsync(proxy);
        // One per attempt: the first and the two retries of a refused connection each failed to reach the server.
        Assert.Contains("llm_upstream_errors_total{provider=\"ollama\",model=\"m\",kind=\"connect\"} 3\n", text, StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeAsync(KestrelProxy proxy)
    {
        using var response = await proxy.Client.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The map names the model "m": only configured (or listed) names become model labels.</summary>
    private static ProxySettings KnowsModelM(ProxySettings settings) => new(settings) { ModelProviderMap = "m=ollama" };
}

using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Operations;

/// <summary><c>GET /metrics</c> through the real pipeline (docs/operations.md, Metrics): what a Prometheus server scraping the proxy sees.</summary>
public class MetricsApiTests
{
    [Fact]
    public async Task Metrics_needs_no_auth_and_answers_the_0_0_4_content_type()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE http_requests_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_cpu_seconds_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("\nprocess_resident_memory_bytes ", text, StringComparison.Ordinal);
        Assert.Contains("\nprocess_start_time_seconds ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rate_limited_requests_are_counted()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { RateLimitEnabled = true, RateLimitMaxRequests = 1 });
        using (var first = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        for (var i = 0; i < 2; i++)
        {
            using var limited = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        }
        var text = await ScrapeAsync(proxy);
        Assert.Contains("\nllm_rate_limited_requests_total{reason=\"requests\"} 2\n", text, StringComparison.Ordinal);
        // Every reason has its series from the start, so a sum over reasons and each rate() work before the first refusal.
        Assert.Contains("\nllm_rate_limited_requests_total{reason=\"tokens\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("\nllm_rate_limited_requests_total{reason=\"failed_auth\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/proxy\",status=\"429\"} 2\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_are_counted_by_route_template_and_unmatched_paths_share_one_label()
    {
        // The map names the model: only configured (or listed) names become model labels.
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ModelProviderMap = "my-model=stub" });
        for (var i = 0; i < 3; i++)
        {
            using var ok = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var unauthorized = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat, authorization: null)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        }
        using (var invalid = await proxy.Client.SendAsync(Requests.Post("/proxy", """{"model":"m","messages":[]}""")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        }
        foreach (var path in new[] { "/nope", "/secret-token-abc123", "/v1/does/not/exist?x=1" })
        {
            using var missing = await proxy.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        var text = await ScrapeAsync(proxy);
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/proxy\",status=\"200\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/proxy\",status=\"401\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/proxy\",status=\"422\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("http_requests_total{method=\"GET\",path=\"unmatched\",status=\"404\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_count{method=\"POST\",path=\"/proxy\",status=\"200\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_bucket{method=\"POST\",path=\"/proxy\",status=\"200\",le=\"120\"} 3\n", text, StringComparison.Ordinal);
        // A raw URL never becomes a label value: a client cannot create series by inventing paths.
        Assert.DoesNotContain("/nope", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token-abc123", text, StringComparison.Ordinal);
        // Only requests that reached a provider count as LLM requests (not the 401 nor the 422).
        Assert.Contains("llm_requests_total{provider=\"stub\",model=\"my-model\",status=\"200\"} 3\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("llm_requests_total{provider=\"stub\",model=\"m\"", text, StringComparison.Ordinal);
        Assert.Contains("llm_completion_tokens_total{provider=\"stub\",model=\"my-model\"} 6\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_counts_its_time_to_first_token_and_leaves_no_stream_in_flight()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ModelProviderMap = "my-model=stub" });
        using (var stream = await proxy.Client.SendAsync(Requests.Post("/proxy/stream", Requests.ValidChat)))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
            Assert.Equal("[DONE]", Requests.SseData(await stream.Content.ReadAsStringAsync())[^1]);
        }

        var text = await ScrapeAsync(proxy);
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/proxy/stream\",status=\"200\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_time_to_first_token_seconds_count{provider=\"stub\",model=\"my-model\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_streams_in_flight 0\n", text, StringComparison.Ordinal);
        // The scrape itself is the one request in flight while it is written.
        Assert.Contains("http_requests_in_flight 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unhandled_exception_is_recorded_as_the_500_the_client_gets_and_wrong_methods_fold()
    {
        await using var proxy = await TestProxy.StartAsync(configureEndpoints: app =>
            app.MapGet("/test/throw/{id}", (HttpContext _) => throw new InvalidOperationException("boom")));
        using (var response = await proxy.Client.GetAsync("/test/throw/42"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }
        using (var brew = await proxy.Client.SendAsync(new HttpRequestMessage(new HttpMethod("BREW"), "/healthz")))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, brew.StatusCode);
        }

        var text = await ScrapeAsync(proxy);
        Assert.Contains("http_requests_total{method=\"GET\",path=\"/test/throw/{id}\",status=\"500\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("http_requests_total{method=\"other\",path=\"unmatched\",status=\"405\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BREW", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_authorization_value_never_reaches_the_scrape()
    {
        await using var proxy = await TestProxy.StartAsync();
        using (var ok = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat, authorization: "Bearer sk-very-secret-value")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        Assert.DoesNotContain("sk-very-secret-value", await ScrapeAsync(proxy), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/test/hang/quiet")]
    [InlineData("/test/hang/throw")]
    public async Task A_client_that_leaves_mid_answer_is_recorded_as_499(string path)
    {
        await using var proxy = await TestProxy.StartAsync(configureEndpoints: app =>
        {
            app.MapGet("/test/hang/quiet", async (HttpContext context) =>
            {
                await context.Response.StartAsync();
                await context.Response.Body.FlushAsync();
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // Stops quietly, as a stream relay does when its reader is gone.
                }
            });
            app.MapGet("/test/hang/throw", async (HttpContext context) =>
            {
                await context.Response.StartAsync();
                await context.Response.Body.FlushAsync();
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            });
        });
        using (var cts = new CancellationTokenSource())
        {
            using var response = await proxy.Client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await cts.CancelAsync();
            response.Dispose();
        }

        var expected = $"http_requests_total{{method=\"GET\",path=\"{path}\",status=\"499\"}} 1\n";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string text;
        do
        {
            text = await ScrapeAsync(proxy);
        }
        while (!text.Contains(expected, StringComparison.Ordinal) && DateTime.UtcNow < deadline && await Delay());
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.Contains("http_requests_in_flight 1\n", text, StringComparison.Ordinal);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(20);
        return true;
    }

    private static async Task<string> ScrapeAsync(TestProxy proxy)
    {
        using var response = await proxy.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}

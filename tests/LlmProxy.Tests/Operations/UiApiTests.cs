using System.Net;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Metrics;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Operations;

/// <summary>
/// <c>GET /ui</c> and <c>GET /ui/stats.json</c> through the real pipeline (docs/observability.md, The /ui page): the
/// embedded page and its headers, and figures that are the metrics' own.
/// </summary>
public class UiApiTests
{
    // Model names are label values once the configuration names them (docs/operations.md, Metrics); others are "other".
    private static readonly ProxySettings KnownModels = new() { ModelProviderMap = "my-model=stub,other-model=stub" };

    private const string StreamChat = """{"model":"my-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello there"}]}""";

    [Fact]
    public async Task The_page_is_the_source_trees_dashboard_with_no_cache_nosniff_and_a_frame_ancestors_policy()
    {
        // With API keys on: the page, like /metrics, needs none.
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ApiKeys = ["sk-some-key"] });
        using var response = await proxy.Client.GetAsync("/ui");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        var source = await File.ReadAllBytesAsync(Path.Combine(RepoRoot(), "src", "LlmProxy", "Operations", "Ui", "dashboard.html"));
        Assert.Equal(source, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Stats_totals_are_the_scrapes_api_traffic_without_the_operations_routes()
    {
        await using var proxy = await TestProxy.StartAsync(KnownModels);
        for (var i = 0; i < 3; i++)
        {
            await SendAsync(proxy, Requests.Post("/proxy", Requests.ValidChat), HttpStatusCode.OK);
        }
        await SendAsync(proxy, Requests.Post("/v1/chat/completions", StreamChat), HttpStatusCode.OK);
        await SendAsync(proxy, Requests.Post("/proxy", Requests.ValidChat, authorization: null), HttpStatusCode.Unauthorized);
        await SendAsync(proxy, new HttpRequestMessage(HttpMethod.Get, "/no-such-route"), HttpStatusCode.NotFound);
        foreach (var path in new[] { "/healthz", "/metrics", "/ui", "/ui/stats.json", "/openapi.json", "/ui/stats.json" })
        {
            await SendAsync(proxy, new HttpRequestMessage(HttpMethod.Get, path), HttpStatusCode.OK);
        }

        var scrape = await ScrapeAsync(proxy);
        var stats = await StatsAsync(proxy);
        var totals = stats.GetProperty("totals");
        Assert.Equal(6, totals.GetProperty("requests").GetInt64());
        Assert.Equal(2, totals.GetProperty("client_errors").GetInt64());
        Assert.Equal(0, totals.GetProperty("errors").GetInt64());
        Assert.Equal(0, totals.GetProperty("streams_open").GetInt64());
        Assert.Equal(0, totals.GetProperty("in_flight").GetInt64());
        Assert.Equal(0, totals.GetProperty("rate_limited").GetInt64());
        Assert.Equal(Sample(scrape, "llm_prompt_tokens_total{provider=\"stub\",model=\"my-model\"}"), totals.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(Sample(scrape, "llm_completion_tokens_total{provider=\"stub\",model=\"my-model\"}"), totals.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(4 * 2, totals.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(ProxyVersion.Text, stats.GetProperty("version").GetString());
        Assert.True(DateTimeOffset.TryParse(stats.GetProperty("time").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task The_model_table_joins_requests_errors_tokens_and_time_to_first_token_of_each_model()
    {
        await using var proxy = await TestProxy.StartAsync(KnownModels);
        await SendAsync(proxy, Requests.Post("/v1/chat/completions", StreamChat), HttpStatusCode.OK);
        await SendAsync(proxy, Requests.Post("/v1/chat/completions", StreamChat), HttpStatusCode.OK);
        await SendAsync(proxy, Requests.Post("/proxy", Requests.ValidChat.Replace("my-model", "other-model", StringComparison.Ordinal)), HttpStatusCode.OK);

        var models = (await StatsAsync(proxy)).GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["my-model", "other-model"], models.Select(m => m.GetProperty("model").GetString()));
        var streamed = models[0];
        Assert.Equal("stub", streamed.GetProperty("provider").GetString());
        Assert.Equal(2, streamed.GetProperty("requests").GetInt64());
        Assert.Equal(0, streamed.GetProperty("errors").GetInt64());
        Assert.Equal(2 * 2, streamed.GetProperty("prompt_tokens").GetInt64());
        // The estimate lies inside the bucket the two observations fell in, as histogram_quantile's would.
        var buckets = proxy.App.Services.GetRequiredService<LlmMetrics>().TimeToFirstToken.Series.Single().Child;
        Span<long> cumulative = stackalloc long[buckets.UpperBounds.Count + 1];
        buckets.CopyCumulativeBuckets(cumulative);
        Assert.Equal(HistogramQuantile.Estimate(0.5, buckets.UpperBounds, cumulative)!.Value, streamed.GetProperty("ttft_p50_seconds").GetDouble(), 6);
        Assert.Equal(HistogramQuantile.Estimate(0.95, buckets.UpperBounds, cumulative)!.Value, streamed.GetProperty("ttft_p95_seconds").GetDouble(), 6);
        Assert.Equal(JsonValueKind.Null, models[1].GetProperty("ttft_p50_seconds").ValueKind);
    }

    [Fact]
    public async Task Recent_requests_list_api_traffic_newest_first_with_the_route_template_and_the_outcome()
    {
        await using var proxy = await TestProxy.StartAsync();
        var streamed = await SendAsync(proxy, Requests.Post("/v1/chat/completions", StreamChat), HttpStatusCode.OK);
        await SendAsync(proxy, new HttpRequestMessage(HttpMethod.Get, "/v1/does-not-exist?api_key=sk-in-a-query"), HttpStatusCode.NotFound);
        var last = await SendAsync(proxy, Requests.Post("/proxy", Requests.ValidChat), HttpStatusCode.OK);
        await SendAsync(proxy, new HttpRequestMessage(HttpMethod.Get, "/metrics"), HttpStatusCode.OK);

        var text = await StatsTextAsync(proxy);
        Assert.DoesNotContain("sk-in-a-query", text, StringComparison.Ordinal);
        Assert.DoesNotContain("does-not-exist", text, StringComparison.Ordinal);
        var recent = JsonDocument.Parse(text).RootElement.GetProperty("recent").EnumerateArray().ToList();
        Assert.Equal(3, recent.Count);

        Assert.Equal(Requests.RequestId(last), recent[0].GetProperty("request_id").GetString());
        Assert.Equal("POST", recent[0].GetProperty("method").GetString());
        Assert.Equal("/proxy", recent[0].GetProperty("route").GetString());
        Assert.Equal("my-model", recent[0].GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Null, recent[0].GetProperty("upstream").ValueKind);
        Assert.Equal(200, recent[0].GetProperty("status").GetInt32());
        Assert.False(recent[0].GetProperty("stream").GetBoolean());
        Assert.Equal(1, recent[0].GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(2, recent[0].GetProperty("completion_tokens").GetInt32());
        Assert.True(recent[0].GetProperty("duration_ms").GetDouble() >= 0);

        Assert.Equal(JsonValueKind.Null, recent[1].GetProperty("route").ValueKind);
        Assert.Equal("GET", recent[1].GetProperty("method").GetString());
        Assert.Equal(404, recent[1].GetProperty("status").GetInt32());
        Assert.Equal(JsonValueKind.Null, recent[1].GetProperty("model").ValueKind);
        Assert.Equal(JsonValueKind.Null, recent[1].GetProperty("prompt_tokens").ValueKind);

        Assert.Equal(Requests.RequestId(streamed), recent[2].GetProperty("request_id").GetString());
        Assert.Equal("/v1/chat/completions", recent[2].GetProperty("route").GetString());
        Assert.True(recent[2].GetProperty("stream").GetBoolean());
        var times = recent.Select(r => DateTimeOffset.Parse(r.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(times[0] >= times[1] && times[1] >= times[2], string.Join(", ", times));
    }

    [Fact]
    public async Task Recent_requests_keep_the_last_fifty_and_cut_a_long_model_name()
    {
        await using var proxy = await TestProxy.StartAsync();
        var longModel = new string('m', 300);
        for (var i = 0; i < 55; i++)
        {
            var body = Requests.ValidChat.Replace("my-model", i == 54 ? longModel : "model-" + i, StringComparison.Ordinal);
            await SendAsync(proxy, Requests.Post("/proxy", body), HttpStatusCode.OK);
        }
        var recent = (await StatsAsync(proxy)).GetProperty("recent").EnumerateArray().ToList();
        Assert.Equal(50, recent.Count);
        Assert.Equal(new string('m', 128), recent[0].GetProperty("model").GetString());
        Assert.Equal("model-53", recent[1].GetProperty("model").GetString());
        Assert.Equal("model-5", recent[^1].GetProperty("model").GetString());
    }

    [Fact]
    public async Task History_starts_with_a_sample_taken_at_start()
    {
        await using var proxy = await TestProxy.StartAsync();
        var history = (await StatsAsync(proxy)).GetProperty("history").EnumerateArray().ToList();
        Assert.NotEmpty(history);
        var first = history[0];
        Assert.Equal(0, first.GetProperty("requests").GetInt64());
        Assert.True(first.GetProperty("t").GetDouble() > 1_600_000_000);
    }

    [Fact]
    public async Task Stats_are_json_never_cached_and_need_no_key_nor_count_against_the_rate_limit()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ApiKeys = ["sk-some-key"], RateLimitEnabled = true, RateLimitMaxRequests = 1 });
        for (var i = 0; i < 3; i++)
        {
            using var response = await proxy.Client.GetAsync("/ui/stats.json");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }
    }

    [Fact]
    public async Task With_every_model_on_the_stub_there_is_no_upstream_to_list()
    {
        await using var proxy = await TestProxy.StartAsync();
        Assert.Empty((await StatsAsync(proxy)).GetProperty("upstreams").EnumerateArray());
    }

    internal static async Task<HttpResponseMessage> SendAsync(TestProxy proxy, HttpRequestMessage request, HttpStatusCode expected)
    {
        using (request)
        {
            var response = await proxy.Client.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(expected, response.StatusCode);
            return response;
        }
    }

    private static async Task<string> StatsTextAsync(TestProxy proxy)
    {
        using var response = await proxy.Client.GetAsync("/ui/stats.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<JsonElement> StatsAsync(TestProxy proxy)
    {
        using var document = JsonDocument.Parse(await StatsTextAsync(proxy));
        return document.RootElement.Clone();
    }

    private static async Task<string> ScrapeAsync(TestProxy proxy)
    {
        using var response = await proxy.Client.GetAsync("/metrics");
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of one sample line of a scrape.</summary>
    private static long Sample(string scrape, string series)
    {
        var line = scrape.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return long.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LlmProxy.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("LlmProxy.sln not found above " + AppContext.BaseDirectory);
    }
}

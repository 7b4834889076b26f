using System.Net;
using System.Text.Json;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Operations;

/// <summary>
/// The /ui page's upstream table with the single OpenAI-compatible upstream (docs/observability.md, The /ui page): its
/// state learned from its own calls, its calls in flight, its URL without credentials.
/// </summary>
public class UiUpstreamsTests
{
    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task The_upstream_is_unknown_before_its_first_call_up_after_an_answer_and_down_once_it_refuses()
    {
        var upstream = await FakeUpstream.StartAsync(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("""{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}""");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        var before = await UpstreamAsync(proxy);
        Assert.Equal("ollama", before.GetProperty("name").GetString());
        Assert.Equal(upstream.BaseUrl.ToString().TrimEnd('/'), before.GetProperty("url").GetString());
        Assert.Equal("unknown", before.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, before.GetProperty("models").ValueKind);
        Assert.Equal(0, before.GetProperty("queued").GetInt32());
        Assert.Equal(0, before.GetProperty("max_concurrency").GetInt32());

        await ChatAsync(proxy, HttpStatusCode.OK);
        Assert.Equal("up", (await UpstreamAsync(proxy)).GetProperty("state").GetString());

        await upstream.DisposeAsync();
        await ChatAsync(proxy, HttpStatusCode.BadGateway);
        var after = await UpstreamAsync(proxy);
        Assert.Equal("down", after.GetProperty("state").GetString());
        Assert.Equal(0, after.GetProperty("in_flight").GetInt32());
    }

    [Fact]
    public async Task A_client_error_answer_still_means_the_upstream_is_up()
    {
        // A 4xx is a live server refusing one request; only no answer, a silence or 5xx in a row mark it down
        // (docs/upstreams.md, Health).
        await using var upstream = await FakeUpstream.StartAsync(context =>
        {
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("""{"error":{"message":"context length exceeded","type":"invalid_request_error"}}""");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        await ChatAsync(proxy, HttpStatusCode.BadRequest);
        Assert.Equal("up", (await UpstreamAsync(proxy)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_stream_being_relayed_counts_in_flight_until_it_ends()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("one"));
            await release.Task;
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        using var response = await proxy.Client.SendAsync(
            Requests.Post("v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"""),
            HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.NotNull(await Sse.ReadEventAsync(reader));

        using (var stats = await StatsAsync(proxy))
        {
            Assert.Equal(1, stats.RootElement.GetProperty("upstreams")[0].GetProperty("in_flight").GetInt32());
            Assert.Equal(1, stats.RootElement.GetProperty("totals").GetProperty("streams_open").GetInt32());
            Assert.Equal(1, stats.RootElement.GetProperty("totals").GetProperty("in_flight").GetInt32());
        }
        release.SetResult();
        Assert.Equal("[DONE]", await Sse.ReadEventAsync(reader));
        // The call ends (and leaves the count) as the handler returns, just after the last byte went out.
        for (var i = 0; i < 100 && (await UpstreamAsync(proxy)).GetProperty("in_flight").GetInt32() != 0; i++)
        {
            await Task.Delay(20);
        }
        Assert.Equal(0, (await UpstreamAsync(proxy)).GetProperty("in_flight").GetInt32());
    }

    [Fact]
    public async Task A_base_url_with_credentials_is_shown_without_them()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var withUser = new UriBuilder(upstream.BaseUrl) { UserName = "admin", Password = "pw-5ecret" }.Uri;
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new LlmProxy.Configuration.ProxySettings(s) { OpenAiCompatBaseUrl = withUser });
        using var stats = await StatsAsync(proxy);
        var text = stats.RootElement.GetRawText();
        Assert.DoesNotContain("pw-5ecret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", text, StringComparison.Ordinal);
        Assert.Equal($"http://{upstream.BaseUrl.Authority}/v1", stats.RootElement.GetProperty("upstreams")[0].GetProperty("url").GetString());
    }

    private static async Task ChatAsync(KestrelProxy proxy, HttpStatusCode expected)
    {
        using var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Chat));
        await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(expected, response.StatusCode);
    }

    private static async Task<JsonDocument> StatsAsync(KestrelProxy proxy)
    {
        using var response = await proxy.Client.GetAsync("ui/stats.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> UpstreamAsync(KestrelProxy proxy)
    {
        using var stats = await StatsAsync(proxy);
        return Assert.Single(stats.RootElement.GetProperty("upstreams").EnumerateArray().ToList()).Clone();
    }
}

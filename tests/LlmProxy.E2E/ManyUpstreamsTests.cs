using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// Many upstreams through the published binary in front of three fake model servers (docs/upstreams.md): one model
/// list, routing by model, priority, least busy, per-upstream keys, aliases, queues, and an upstream killed and brought
/// back in the middle of traffic.
/// </summary>
public class ManyUpstreamsTests
{
    private static Task<ProxyProcess> StartProxyAsync(IEnumerable<FakeModelServer> servers, Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string> { ["UPSTREAMS"] = string.Join(",", servers.Select(s => $"{s.Name}={s.Url}")) };
        foreach (var (key, value) in extra ?? [])
        {
            env[key] = value;
        }
        return ProxyProcess.StartAsync(env);
    }

    private static HttpRequestMessage Chat(string model, bool stream = false, string authorization = "Bearer client-key") =>
        Http.Post("v1/chat/completions", $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""", authorization: authorization);

    private static string? UpstreamOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-llm-upstream", out var values) ? values.Single() : null;

    private static async Task<JsonElement> HealthAsync(ProxyProcess proxy) => await Http.JsonAsync(await proxy.Client.GetAsync("healthz"));

    private static async Task<string?> StateAsync(ProxyProcess proxy, string upstream) =>
        (await HealthAsync(proxy)).GetProperty("upstreams").EnumerateArray()
            .Where(u => u.GetProperty("name").GetString() == upstream).Select(u => u.GetProperty("state").GetString()).SingleOrDefault();

    /// <summary>Polls until <paramref name="condition"/> holds; returns how long that took.</summary>
    private static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not within {timeout.TotalSeconds} s");
            }
            await Task.Delay(20);
        }
        return clock.Elapsed;
    }

    private static Task<TimeSpan> UntilListsReadAsync(ProxyProcess proxy, int count) => UntilAsync(async () =>
    {
        var upstreams = (await HealthAsync(proxy)).GetProperty("upstreams").EnumerateArray().ToList();
        return upstreams.Count == count && upstreams.All(u => u.GetProperty("models").ValueKind == JsonValueKind.Number);
    }, TimeSpan.FromSeconds(10), "model lists read");

    [Fact]
    public async Task One_model_list_over_three_servers_routes_each_model_to_its_server_with_its_own_key_and_aliases_spliced()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["llama3:latest", "shared"]);
        await using var b = await FakeModelServer.StartAsync("b", ["qwen2.5-coder:7b", "shared"]);
        await using var c = await FakeModelServer.StartAsync("c", ["mistral"]);
        await using var proxy = await StartProxyAsync([a, b, c], new()
        {
            ["UPSTREAM_B_API_KEY"] = "sk-for-b",
            ["MODEL_ALIASES"] = "gpt-4o=mistral",
            ["MODEL_PROVIDER_MAP"] = "test-model=stub",
        });

        using var list = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models") { Headers = { { "Authorization", "Bearer t" } } });
        var models = (await Http.JsonAsync(list)).GetProperty("data").EnumerateArray()
            .Select(m => $"{m.GetProperty("id").GetString()}@{m.GetProperty("owned_by").GetString()}").ToList();
        Assert.Equal(["llama3:latest@a", "shared@a", "qwen2.5-coder:7b@b", "mistral@c", "test-model@stub", "gpt-4o@c"], models);

        foreach (var (model, server) in new[] { ("llama3", a), ("qwen2.5-coder:7b", b), ("mistral", c) })
        {
            using var response = await proxy.Client.SendAsync(Chat(model));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(server.Name, UpstreamOf(response));
            Assert.Contains($"from {server.Name}", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // b has a key of its own: it gets that key, never the client's; a has none: it gets the client's header.
        Assert.Equal("Bearer sk-for-b", b.Chats.Single().Headers["Authorization"]);
        Assert.Equal("Bearer client-key", a.Chats.Single().Headers["Authorization"]);

        // The alias: c receives the client's bytes with only the model's value changed.
        const string odd = "{\n  \"stream\" : false ,\"model\":\t\"gpt-4o\" , \"x-extra\":{\"model\":\"gpt-4o\"},\"messages\":[{\"role\":\"user\",\"content\":\"\\u00e9t\u00e9 \\\"gpt-4o\\\"\"}] }";
        using (var aliased = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", odd)))
        {
            Assert.Equal(HttpStatusCode.OK, aliased.StatusCode);
            Assert.Equal("c", UpstreamOf(aliased));
        }
        Assert.Equal(Encoding.UTF8.GetBytes(odd.Replace("\"model\":\t\"gpt-4o\"", "\"model\":\t\"mistral\"", StringComparison.Ordinal)), c.Chats[^1].Body);
    }

    [Fact]
    public async Task The_preferred_upstream_takes_all_traffic_and_equals_share_it_by_load()
    {
        await using var gpu = await FakeModelServer.StartAsync("gpu", ["m"]);
        await using var b = await FakeModelServer.StartAsync("b", ["m"]);
        await using var c = await FakeModelServer.StartAsync("c", ["m"]);
        await using var proxy = await StartProxyAsync([gpu, b, c], new() { ["UPSTREAM_B_PRIORITY"] = "1", ["UPSTREAM_C_PRIORITY"] = "1" });
        await UntilListsReadAsync(proxy, 3);

        for (var i = 0; i < 5; i++)
        {
            using var response = await proxy.Client.SendAsync(Chat("m"));
            Assert.Equal("gpu", UpstreamOf(response));
        }
        Assert.Empty(b.Chats);
        Assert.Empty(c.Chats);

        // Without the preferred one, the two equals share concurrent requests: each holds its answers 400 ms, and
        // every new request goes to the one with fewer in flight.
        await gpu.Upstream.KillAsync();
        b.ChatDelay = c.ChatDelay = TimeSpan.FromMilliseconds(400);
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await proxy.Client.SendAsync(Chat("m"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return UpstreamOf(response)!;
        }));
        var toB = answers.Count(x => x == "b");
        var toC = answers.Count(x => x == "c");
        Assert.Equal(10, toB + toC);
        Assert.InRange(toB, 3, 7);
        Assert.InRange(b.Upstream.PeakConcurrency, 3, 7);
        Assert.InRange(c.Upstream.PeakConcurrency, 3, 7);
    }

    [Fact]
    public async Task Killing_an_upstream_mid_traffic_fails_no_request_that_had_not_started_and_it_is_down_in_seconds_and_up_when_back()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["m", "long-a"]);
        await using var b = await FakeModelServer.StartAsync("b", ["m"]);
        a.SlowModel = "long-a";
        a.StreamEvents = 100;
        a.EventGap = TimeSpan.FromMilliseconds(50);
        await using var proxy = await StartProxyAsync([a, b]);
        await UntilListsReadAsync(proxy, 2);

        // A stream flowing from a when it dies.
        using var longStream = await proxy.Client.SendAsync(Chat("long-a", stream: true), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("a", UpstreamOf(longStream));
        using var reader = new StreamReader(await longStream.Content.ReadAsStreamAsync());
        Assert.Contains("from a #0", await Sse.ReadEventAsync(reader), StringComparison.Ordinal);

        // Traffic on both, streamed and not, from four clients at once, before, during and after the kill.
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var served = new Dictionary<string, int>();
        var traffic = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var stream = (i + worker) % 2 == 0;
                using var response = await proxy.Client.SendAsync(Chat("m", stream));
                var body = await response.Content.ReadAsStringAsync();
                var whole = response.StatusCode == HttpStatusCode.OK && (stream
                    ? body.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal) && !body.Contains("\"error\"", StringComparison.Ordinal)
                    : body.Contains("\"from ", StringComparison.Ordinal));
                lock (failures)
                {
                    if (!whole)
                    {
                        failures.Add($"{(int)response.StatusCode} {body}");
                    }
                    var upstream = UpstreamOf(response) ?? "none";
                    served[upstream] = served.GetValueOrDefault(upstream) + 1;
                }
            }
        })).ToArray();
        await Task.Delay(300);

        await a.Upstream.KillAsync();
        var downAfter = await UntilAsync(async () => await StateAsync(proxy, "a") == "down", TimeSpan.FromSeconds(10), "a marked down");

        // The stream that was flowing from a ends with an error event and the one [DONE], not with silence.
        var rest = new List<string>();
        while (await Sse.ReadEventAsync(reader).WaitAsync(TimeSpan.FromSeconds(10)) is { } data)
        {
            rest.Add(data);
        }
        Assert.Equal("[DONE]", rest[^1]);
        Assert.Single(rest, e => e == "[DONE]");
        Assert.Contains("\"error\"", rest[^2], StringComparison.Ordinal);

        var chatsBeforeReturn = a.Chats.Count;
        await a.Upstream.RestartAsync();
        var upAfter = await UntilAsync(async () => await StateAsync(proxy, "a") == "up", TimeSpan.FromSeconds(40), "a back up");
        await UntilAsync(() => Task.FromResult(a.Chats.Count > chatsBeforeReturn), TimeSpan.FromSeconds(10), "a serving again");
        await stop.CancelAsync();
        await Task.WhenAll(traffic);

        Assert.True(failures.Count == 0, $"{failures.Count} failed requests: {string.Join(" | ", failures.Take(3))}");
        Assert.True(served.GetValueOrDefault("b") > 0 && served.GetValueOrDefault("a") > 0, string.Join(", ", served));
        Assert.True(downAfter < TimeSpan.FromSeconds(5), $"down after {downAfter.TotalSeconds:0.0} s");
        Assert.True(upAfter < TimeSpan.FromSeconds(35), $"up after {upAfter.TotalSeconds:0.0} s");
        var metrics = await (await proxy.Client.GetAsync("metrics")).Content.ReadAsStringAsync();
        Assert.Contains("llm_upstream_failovers_total{from=\"a\",to=\"b\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_upstream_up{upstream=\"a\"} 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_concurrency_cap_holds_with_requests_queued_in_order_and_none_lost()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["m"]);
        a.ChatDelay = TimeSpan.FromMilliseconds(200);
        await using var proxy = await StartProxyAsync([a], new() { ["UPSTREAM_A_MAX_CONCURRENCY"] = "2" });
        await UntilListsReadAsync(proxy, 1);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var response = await proxy.Client.SendAsync(Chat("m", stream: i % 2 == 0));
            await response.Content.ReadAsStringAsync();
            return response.StatusCode;
        }));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(2, a.Upstream.PeakConcurrency);
        Assert.Equal(8, a.Chats.Count);
        var metrics = await (await proxy.Client.GetAsync("metrics")).Content.ReadAsStringAsync();
        Assert.Contains("llm_upstream_queue_wait_seconds_count{upstream=\"a\"} 8\n", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_upstream_queue_depth{upstream=\"a\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_upstream_in_flight{upstream=\"a\"} 0\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wait_past_the_queue_timeout_is_503_with_retry_after_and_a_client_that_leaves_the_queue_frees_its_place_at_once()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["m"]);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var proxy = await StartProxyAsync([a], new() { ["UPSTREAM_A_MAX_CONCURRENCY"] = "1", ["QUEUE_TIMEOUT_SECONDS"] = "1" });
        await UntilListsReadAsync(proxy, 1);
        a.Chat = async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}]}""");
        };

        var holding = proxy.Client.SendAsync(Chat("m"));
        await UntilAsync(() => Task.FromResult(a.Upstream.InFlight == 1), TimeSpan.FromSeconds(5), "the slot taken");

        var clock = Stopwatch.StartNew();
        using (var refused = await proxy.Client.SendAsync(Chat("m")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
            Assert.Equal("upstream_busy", (await Http.JsonAsync(refused)).GetProperty("error").GetProperty("code").GetString());
        }
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 5);
        using (var classic = await proxy.Client.SendAsync(Http.Post("proxy", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, classic.StatusCode);
            Assert.Equal("Service Unavailable", (await Http.JsonAsync(classic)).GetProperty("error").GetString());
        }

        // A client that gives up while queued: its place is free at once, and the server never sees its request.
        using (var leaving = new CancellationTokenSource())
        {
            var queued = proxy.Client.SendAsync(Chat("m"), leaving.Token);
            await UntilAsync(async () => (await HealthAsync(proxy)).GetProperty("upstreams")[0].GetProperty("queued").GetInt32() == 1,
                TimeSpan.FromSeconds(5), "the request queued");
            await leaving.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
            var left = await UntilAsync(async () => (await HealthAsync(proxy)).GetProperty("upstreams")[0].GetProperty("queued").GetInt32() == 0,
                TimeSpan.FromSeconds(5), "the queue empty");
            Assert.True(left < TimeSpan.FromMilliseconds(500), $"left the queue after {left.TotalMilliseconds} ms");
        }
        release.SetResult();
        using (var first = await holding)
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        Assert.Single(a.Chats);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Routing;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Routing;

/// <summary>
/// Many upstreams through the whole proxy on real sockets (docs/upstreams.md): routing by model list, failover,
/// the error the client gets when every attempt failed, queues, aliases, /v1/models, /healthz and the metrics.
/// </summary>
public class ManyUpstreamsTests
{
    private static ProxySettings Settings(params (FakeModelServer Server, UpstreamOptions? Options)[] upstreams) => new()
    {
        Upstreams = [.. upstreams.Select(u => new UpstreamDefinition(u.Server.Name, new Uri(u.Server.Url), u.Options))],
        DefaultProvider = ProviderNames.Auto,
        LogLevel = "ERROR",
    };

    private static HttpRequestMessage Chat(string model, bool stream = false) =>
        Requests.Post("v1/chat/completions", $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""");

    private static string? UpstreamHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-llm-upstream", out var values) ? values.Single() : null;

    private static async Task<string> ContentAsync(HttpResponseMessage response) =>
        (await Requests.JsonAsync(response)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    /// <summary>Waits until /healthz shows every upstream's list read (the background read at start).</summary>
    private static async Task<JsonElement> WaitForListsAsync(KestrelProxy proxy, int upstreams)
    {
        for (var i = 0; i < 500; i++)
        {
            var health = await Requests.JsonAsync(await proxy.Client.GetAsync("healthz"));
            var entries = health.GetProperty("upstreams").EnumerateArray().ToList();
            if (entries.Count == upstreams && entries.All(e => e.GetProperty("models").ValueKind == JsonValueKind.Number))
            {
                return health;
            }
            await Task.Delay(10);
        }
        throw new Xunit.Sdk.XunitException("the model lists were not read");
    }

    private static async Task<string> MetricsAsync(KestrelProxy proxy) => await (await proxy.Client.GetAsync("metrics")).Content.ReadAsStringAsync();

    [Fact]
    public async Task Each_model_goes_to_the_upstream_whose_list_names_it_with_or_without_the_latest_tag()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["llama3:latest", "shared"]);
        await using var b = await FakeModelServer.StartAsync("b", ["qwen2.5-coder:7b", "shared"]);
        await using var proxy = await KestrelProxy.StartAsync(Settings((a, null), (b, null)));
        await WaitForListsAsync(proxy, 2);

        foreach (var (model, expected) in new[] { ("llama3", "a"), ("llama3:latest", "a"), ("qwen2.5-coder:7b", "b") })
        {
            using var response = await proxy.Client.SendAsync(Chat(model));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected, UpstreamHeader(response));
            Assert.Equal($"from {expected}", await ContentAsync(response));
        }
        // A model both list goes to both over time (equal priority, nothing in flight: they take turns).
        var served = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.Client.SendAsync(Chat("shared"));
            served.Add(UpstreamHeader(response)!);
        }
        Assert.Equal(["a", "b"], served.Order());
    }

    [Fact]
    public async Task A_model_no_list_names_is_404_model_not_found_naming_it_without_reaching_an_upstream()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["llama3"]);
        await using var proxy = await KestrelProxy.StartAsync(Settings((a, null)));
        await WaitForListsAsync(proxy, 1);

        using var response = await proxy.Client.SendAsync(Chat("no-such-model"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await Requests.JsonAsync(response)).GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("'no-such-model'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(UpstreamHeader(response));
        Assert.Empty(a.Chats);
        // The classic route says it in its own shape.
        using var classic = await proxy.Client.SendAsync(Requests.Post("proxy", """{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal("Model Not Found", (await Requests.JsonAsync(classic)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_upstream_that_died_since_its_list_was_read_is_left_for_the_next_candidate_before_any_byte_reached_the_client()
    {
        await using var gpu = await FakeModelServer.StartAsync("gpu", ["llama3"]);
        await using var laptop = await FakeModelServer.StartAsync("laptop", ["llama3"]);
        await using var proxy = await KestrelProxy.StartAsync(Settings((gpu, new UpstreamOptions { Priority = 0 }), (laptop, new UpstreamOptions { Priority = 1 })));
        await WaitForListsAsync(proxy, 2);
        using (var first = await proxy.Client.SendAsync(Chat("llama3")))
        {
            Assert.Equal("gpu", UpstreamHeader(first));
        }

        await gpu.Upstream.KillAsync();
        foreach (var stream in new[] { false, true })
        {
            using var response = await proxy.Client.SendAsync(Chat("llama3", stream));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("laptop", UpstreamHeader(response));
            Assert.Contains("from laptop", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var metrics = await MetricsAsync(proxy);
        Assert.Contains("llm_upstream_failovers_total{from=\"gpu\",to=\"laptop\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_upstream_errors_total{provider=\"gpu\",model=\"llama3\",kind=\"connect\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_requests_total{provider=\"laptop\",model=\"llama3\",status=\"200\"} 2\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_503_moves_the_request_on_but_a_400_is_the_clients_problem_and_is_answered_as_it_is()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["m"]);
        await using var b = await FakeModelServer.StartAsync("b", ["m"]);
        await using var proxy = await KestrelProxy.StartAsync(Settings((a, new UpstreamOptions { Priority = 0 }), (b, new UpstreamOptions { Priority = 1 })));
        await WaitForListsAsync(proxy, 2);

        a.Chat = context => Respond(context, 503, """{"error":{"message":"loading model","type":"server_error"}}""");
        using (var moved = await proxy.Client.SendAsync(Chat("m")))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
            Assert.Equal("b", UpstreamHeader(moved));
        }

        a.Chat = context => Respond(context, 400, """{"error":{"message":"temperature must be at most 2","type":"invalid_request_error","param":"temperature"}}""");
        var bChats = b.Chats.Count;
        using var refused = await proxy.Client.SendAsync(Chat("m"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("a", UpstreamHeader(refused));
        Assert.Equal("temperature must be at most 2", (await Requests.JsonAsync(refused)).GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(bChats, b.Chats.Count);
    }

    [Fact]
    public async Task When_every_attempt_fails_the_client_gets_the_upstream_answer_over_a_refused_connection_within_three_attempts()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["m"]);
        await using var b = await FakeModelServer.StartAsync("b", ["m"]);
        await using var c = await FakeModelServer.StartAsync("c", ["m"]);
        await using var d = await FakeModelServer.StartAsync("d", ["m"]);
        await using var proxy = await KestrelProxy.StartAsync(Settings(
            (a, new UpstreamOptions { Priority = 0 }), (b, new UpstreamOptions { Priority = 1 }), (c, new UpstreamOptions { Priority = 2 }), (d, new UpstreamOptions { Priority = 3 })));
        await WaitForListsAsync(proxy, 4);

        a.Chat = context =>
        {
            context.Response.Headers.RetryAfter = "7";
            return Respond(context, 503, """{"error":{"message":"a is overloaded","type":"server_error"}}""");
        };
        await b.Upstream.KillAsync();
        await c.Upstream.KillAsync();
        using var response = await proxy.Client.SendAsync(Chat("m"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("a", UpstreamHeader(response));
        Assert.Equal("7", response.Headers.RetryAfter?.ToString());
        Assert.Equal("a is overloaded", (await Requests.JsonAsync(response)).GetProperty("error").GetProperty("message").GetString());
        // The budget is three attempts in all: d, fourth in line, never heard of the request.
        Assert.Empty(d.Chats);
    }

    [Fact]
    public async Task A_full_upstream_queues_requests_in_order_and_a_wait_past_the_queue_timeout_is_503_with_retry_after()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["m"]);
        await using var proxy = await KestrelProxy.StartAsync(Settings((a, new UpstreamOptions { MaxConcurrency = 1 })));
        await WaitForListsAsync(proxy, 1);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.Chat = async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted);
            await Respond(context, 200, """{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}]}""");
        };

        var holding = proxy.Client.SendAsync(Chat("m"));
        await WaitAsync(() => a.Upstream.InFlight == 1);
        var queued = proxy.Client.SendAsync(Chat("m"));
        await WaitAsync(async () => await HealthQueuedAsync(proxy) == 1);
        Assert.Equal(1, a.Upstream.InFlight);
        release.SetResult();
        using (var first = await holding)
        using (var second = await queued)
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }
        Assert.Equal(1, a.Upstream.PeakConcurrency);
    }

    [Fact]
    public async Task A_queue_timeout_answers_503_upstream_busy_with_retry_after()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["m"]);
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings(Settings((a, new UpstreamOptions { MaxConcurrency = 1 })))
        {
            QueueTimeout = TimeSpan.FromMilliseconds(300),
        });
        await WaitForListsAsync(proxy, 1);
        a.ChatDelay = TimeSpan.FromSeconds(30);

        var holding = proxy.Client.SendAsync(Chat("m"));
        await WaitAsync(() => a.Upstream.InFlight == 1);
        using var refused = await proxy.Client.SendAsync(Chat("m"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        Assert.Equal("upstream_busy", (await Requests.JsonAsync(refused)).GetProperty("error").GetProperty("code").GetString());
        Assert.Null(UpstreamHeader(refused));
        Assert.Single(a.Chats);
        Assert.Contains("llm_upstream_errors_total{provider=\"a\",model=\"m\",kind=\"queue_timeout\"} 1\n", await MetricsAsync(proxy), StringComparison.Ordinal);
        a.ChatDelay = TimeSpan.Zero;
        proxy.Client.CancelPendingRequests();
        await Assert.ThrowsAnyAsync<Exception>(() => holding);
    }

    [Fact]
    public async Task An_alias_is_routed_as_its_target_and_only_the_model_value_of_the_body_changes_on_every_route()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["llama3.1:8b"]);
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings(Settings((a, null))) { ModelAliases = "gpt-4o=llama3.1:8b" });
        await WaitForListsAsync(proxy, 1);

        const string body = "{ \"model\" : \"gpt-4o\",\"temperature\":0.70,\"x\":\"gpt-4o ✓\" }";
        using (var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", body)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("a", UpstreamHeader(response));
        }
        Assert.Equal("{ \"model\" : \"llama3.1:8b\",\"temperature\":0.70,\"x\":\"gpt-4o ✓\" }", Encoding.UTF8.GetString(a.Chats[^1].Body));

        using (var classic = await proxy.Client.SendAsync(Requests.Post("proxy", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, classic.StatusCode);
        }
        using (var sent = JsonDocument.Parse(a.Chats[^1].Body))
        {
            Assert.Equal("llama3.1:8b", sent.RootElement.GetProperty("model").GetString());
        }

        // The translating doors send the route's model as well (docs/upstreams.md, Aliases).
        using (var anthropic = await proxy.Client.SendAsync(Doors.Anthropic.AnthropicRoutesTests.Post("v1/messages",
            """{"model":"gpt-4o","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, anthropic.StatusCode);
            Assert.Equal("a", UpstreamHeader(anthropic));
        }
        using (var sent = JsonDocument.Parse(a.Chats[^1].Body))
        {
            Assert.Equal("llama3.1:8b", sent.RootElement.GetProperty("model").GetString());
        }
        using (var ollama = await proxy.Client.SendAsync(Doors.Ollama.OllamaHttp.Post("api/chat",
            """{"model":"gpt-4o","stream":false,"messages":[{"role":"user","content":"hi"}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, ollama.StatusCode);
            // Ollama's answer names the model the client asked for, as Ollama's own would.
            Assert.Equal("gpt-4o", (await Requests.JsonAsync(ollama)).GetProperty("model").GetString());
        }
        using (var sent = JsonDocument.Parse(a.Chats[^1].Body))
        {
            Assert.Equal("llama3.1:8b", sent.RootElement.GetProperty("model").GetString());
        }
    }

    [Fact]
    public async Task Models_is_the_union_of_the_lists_with_the_upstream_as_owner_then_the_map_then_the_aliases()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["llama3:latest", "shared"]);
        await using var b = await FakeModelServer.StartAsync("b", ["shared", "qwen"]);
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings(Settings((a, null), (b, null)))
        {
            ModelProviderMap = "test-model=stub,qwen=b",
            ModelAliases = "gpt-4o=llama3:latest",
        });

        // No wait for the lists here: /v1/models waits for a first read still on its way.
        using var response = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models") { Headers = { { "Authorization", "Bearer t" } } });
        var data = (await Requests.JsonAsync(response)).GetProperty("data").EnumerateArray()
            .Select(e => (e.GetProperty("id").GetString(), e.GetProperty("owned_by").GetString())).ToList();
        Assert.Equal([("llama3:latest", "a"), ("shared", "a"), ("qwen", "b"), ("test-model", "stub"), ("gpt-4o", "a")], data);
    }

    [Fact]
    public async Task Healthz_lists_the_upstreams_without_credentials_and_is_degraded_but_200_when_one_is_down()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["m", "n"]);
        await using var b = await FakeModelServer.StartAsync("b", ["m"]);
        var settings = new ProxySettings(Settings())
        {
            Upstreams =
            [
                new UpstreamDefinition("a", new Uri(a.Url.Replace("http://", "http://user:pa55word@", StringComparison.Ordinal)), new UpstreamOptions { MaxConcurrency = 3 }),
                new UpstreamDefinition("b", new Uri(b.Url), new UpstreamOptions { Priority = -1 }),
            ],
        };
        await using var proxy = await KestrelProxy.StartAsync(settings);
        var health = await WaitForListsAsync(proxy, 2);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        var first = health.GetProperty("upstreams")[0];
        Assert.Equal("a", first.GetProperty("name").GetString());
        Assert.Equal(a.Url, first.GetProperty("url").GetString());
        Assert.Equal("up", first.GetProperty("state").GetString());
        Assert.Equal(2, first.GetProperty("models").GetInt32());
        Assert.Equal(0, first.GetProperty("in_flight").GetInt32());
        Assert.Equal(0, first.GetProperty("queued").GetInt32());

        await b.Upstream.KillAsync();
        // b is preferred: each request tries it first, fails to connect, and is served by a. The third marks it down.
        for (var i = 0; i < 3; i++)
        {
            using var served = await proxy.Client.SendAsync(Chat("m"));
            Assert.Equal("a", UpstreamHeader(served));
        }
        using var healthz = await proxy.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        var text = await healthz.Content.ReadAsStringAsync();
        Assert.Contains("\"status\":\"degraded\"", text, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"b\",", text, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"down\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55word", text, StringComparison.Ordinal);
        var metrics = await MetricsAsync(proxy);
        Assert.Contains("llm_upstream_up{upstream=\"b\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_upstream_up{upstream=\"a\"} 1\n", metrics, StringComparison.Ordinal);
        // Down: the next request goes to a at once, without trying b.
        var failovers = metrics.Split('\n').Single(l => l.StartsWith("llm_upstream_failovers_total{from=\"b\"", StringComparison.Ordinal));
        using (var direct = await proxy.Client.SendAsync(Chat("m")))
        {
            Assert.Equal("a", UpstreamHeader(direct));
        }
        Assert.Contains(failovers + "\n", await MetricsAsync(proxy), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Model_labels_come_only_from_the_lists_and_the_configuration_so_junk_names_cannot_crowd_them_out()
    {
        await using var a = await FakeModelServer.StartAsync("a", ["real-model"]);
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings(Settings((a, null))) { ModelProviderMap = "mapped=stub", DefaultProvider = "a" });
        await WaitForListsAsync(proxy, 1);
        for (var i = 0; i < 150; i++)
        {
            using var _ = await proxy.Client.SendAsync(Chat($"junk-{i}"));
        }
        using (var real = await proxy.Client.SendAsync(Chat("real-model")))
        using (var mapped = await proxy.Client.SendAsync(Chat("mapped")))
        {
            Assert.Equal(HttpStatusCode.OK, real.StatusCode);
            Assert.Equal(HttpStatusCode.OK, mapped.StatusCode);
        }
        var metrics = await MetricsAsync(proxy);
        Assert.Contains("llm_requests_total{provider=\"a\",model=\"real-model\",status=\"200\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_requests_total{provider=\"stub\",model=\"mapped\",status=\"200\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_requests_total{provider=\"a\",model=\"other\",status=\"200\"} 150\n", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("junk-", metrics, StringComparison.Ordinal);
    }

    private static async Task<int> HealthQueuedAsync(KestrelProxy proxy)
    {
        var health = await Requests.JsonAsync(await proxy.Client.GetAsync("healthz"));
        return health.GetProperty("upstreams").EnumerateArray().Sum(u => u.GetProperty("queued").GetInt32());
    }

    private static async Task Respond(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    private static Task WaitAsync(Func<bool> condition) => WaitAsync(() => Task.FromResult(condition()));

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 1000; i++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(10);
        }
        Assert.True(await condition());
    }
}

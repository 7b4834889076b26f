using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>OpenAI routes, errors and streaming (docs/api.md) through the published AOT binary in front of a fake upstream on real Kestrel.</summary>
public class UpstreamRelayTests
{
    private const string StreamBody = """{"model":"llama3","stream":true,"messages":[{"role":"user","content":"count"}]}""";

    private static Task<ProxyProcess> StartProxyAsync(FakeUpstream upstream, Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
        };
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }
        return ProxyProcess.StartAsync(env);
    }

    private static string Chunk(string content) =>
        $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"llama3","choices":[{"index":0,"delta":{"content":"{{content}}"},"finish_reason":null}]}""";

    private static async Task WriteEventAsync(HttpContext context, string payload)
    {
        await context.Response.WriteAsync($"data: {payload}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task<string?> ReadEventAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                await reader.ReadLineAsync(); // the blank line ending the event
                return line[6..];
            }
        }
        return null;
    }

    [Fact]
    public async Task Ten_chunks_100ms_apart_are_relayed_live_and_exactly()
    {
        var clock = Stopwatch.StartNew();
        var secondChunkSentAt = TimeSpan.MaxValue;
        // The upstream holds its second chunk (100 ms at least, 5 s at most) until the client has the first event. A
        // relay that buffers never delivers it alone, so the wait runs out and the assertion below fails; a live relay
        // passes however slow the machine is.
        var firstReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            for (var i = 0; i < 10; i++)
            {
                if (i == 1)
                {
                    secondChunkSentAt = clock.Elapsed;
                }
                await WriteEventAsync(context, Chunk($"w{i} "));
                await Task.Delay(100, context.RequestAborted);
                if (i == 0)
                {
                    await Task.WhenAny(firstReceived.Task, Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted));
                }
            }
            // No [DONE]: the proxy must add the one and only.
        });
        await using var proxy = await StartProxyAsync(upstream);

        using var response = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", StreamBody), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string> { (await ReadEventAsync(reader))! };
        var firstAt = clock.Elapsed;
        firstReceived.TrySetResult();
        while (await ReadEventAsync(reader) is { } e)
        {
            events.Add(e);
        }

        Assert.True(firstAt < secondChunkSentAt, $"first event at {firstAt.TotalMilliseconds} ms, second chunk sent at {secondChunkSentAt.TotalMilliseconds} ms");
        Assert.Equal("[DONE]", events[^1]);
        Assert.Single(events, e => e == "[DONE]");
        var text = string.Concat(events[..^1].Select(e =>
        {
            using var doc = JsonDocument.Parse(e);
            return doc.RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString();
        }));
        Assert.Equal("w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 ", text);
    }

    [Fact]
    public async Task A_client_disconnect_aborts_the_upstream_request_within_a_second()
    {
        var clock = Stopwatch.StartNew();
        var aborted = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            try
            {
                for (var i = 0; i < 100; i++)
                {
                    await WriteEventAsync(context, Chunk($"t{i}"));
                    await Task.Delay(100, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
            if (context.RequestAborted.IsCancellationRequested)
            {
                aborted.TrySetResult(clock.Elapsed);
            }
        });
        await using var proxy = await StartProxyAsync(upstream);

        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = proxy.BaseUrl };
        var response = await client.SendAsync(Http.Post("v1/chat/completions", StreamBody), HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await ReadEventAsync(reader));
        }
        var leftAt = clock.Elapsed;
        reader.Dispose();
        response.Dispose();

        Assert.True(await Task.WhenAny(aborted.Task, Task.Delay(5000)) == aborted.Task, "the upstream request was never aborted");
        var delay = await aborted.Task - leftAt;
        Assert.True(delay < TimeSpan.FromSeconds(1), $"upstream aborted {delay.TotalMilliseconds} ms after the client left");
    }

    [Fact]
    public async Task Bodies_pass_byte_identical_and_upstream_errors_map_per_the_contract()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var proxy = await StartProxyAsync(upstream);

        // Byte for byte, unknown fields and odd spacing included; the upstream gets its own Host.
        var body = Encoding.UTF8.GetBytes("{\"model\":\"llama3\" , \"tools\":[],\"temperature\":0.10,\"messages\":[{\"role\":\"user\",\"content\":\"\\u00e9\"}]}");
        upstream.Handler = context => Respond(context, 200, """{"object":"chat.completion","choices":[]}""");
        using var ok = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("""{"object":"chat.completion","choices":[]}""", await ok.Content.ReadAsStringAsync());
        var received = upstream.Requests.Single();
        Assert.Equal(body, received.Body);
        Assert.Equal(upstream.Root.Authority, received.Headers["Host"]);

        // vLLM's unknown model → 404 model_not_found (v1) / Model Not Found (classic).
        upstream.Handler = context => Respond(context, 404, """{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":"model","code":404}}""");
        using var v1 = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"x"}"""));
        Assert.Equal(HttpStatusCode.NotFound, v1.StatusCode);
        Assert.Equal("model_not_found", (await Http.JsonAsync(v1)).GetProperty("error").GetProperty("code").GetString());
        using var classic = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat));
        Assert.Equal(HttpStatusCode.NotFound, classic.StatusCode);
        Assert.Equal("Model Not Found", (await Http.JsonAsync(classic)).GetProperty("error").GetString());

        // A 5xx → 502 keeping the message; 429 keeps Retry-After.
        upstream.Handler = context => Respond(context, 500, """{"error":"llama runner process has terminated"}""");
        using var bad = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat));
        Assert.Equal(HttpStatusCode.BadGateway, bad.StatusCode);
        Assert.Equal("llama runner process has terminated", (await Http.JsonAsync(bad)).GetProperty("detail").GetString());
        upstream.Handler = context =>
        {
            context.Response.Headers.RetryAfter = "3";
            return Respond(context, 429, """{"error":{"message":"slow down"}}""");
        };
        using var limited = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"x"}"""));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("3", limited.Headers.RetryAfter?.ToString());

        // A mid-stream error event → one error event, then [DONE].
        upstream.Handler = async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await WriteEventAsync(context, Chunk("a"));
            await WriteEventAsync(context, """{"error":{"message":"out of memory"}}""");
        };
        using var stream = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", StreamBody));
        var events = Http.SseData(await stream.Content.ReadAsStringAsync());
        Assert.Equal(3, events.Count);
        Assert.Equal("out of memory", JsonDocument.Parse(events[1]).RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("[DONE]", events[2]);
    }

    [Fact]
    public async Task An_unreachable_upstream_is_502_and_models_still_lists_the_map()
    {
        var port = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = $"http://127.0.0.1:{port}/v1",
            ["MODEL_PROVIDER_MAP"] = "llama3=ollama",
        });
        using var chat = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"llama3"}"""));
        Assert.Equal(HttpStatusCode.BadGateway, chat.StatusCode);
        Assert.Equal("upstream_unreachable", (await Http.JsonAsync(chat)).GetProperty("error").GetProperty("code").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer t");
        using var models = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        var list = await Http.JsonAsync(models);
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Equal("llama3", list.GetProperty("data")[0].GetProperty("id").GetString());
    }

    private static async Task Respond(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }
}

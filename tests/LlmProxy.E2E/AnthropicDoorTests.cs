using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// The Anthropic Messages door (docs/anthropic.md) through the published AOT binary: over the stub and in front of a
/// fake OpenAI-compatible server — create, stream, streaming tool use, errors in Anthropic's shape, and a client that
/// leaves cancelling the upstream.
/// </summary>
public class AnthropicDoorTests
{
    private const string Hello = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"say hi"}]}""";
    private const string HelloStream = """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"say hi"}]}""";

    private static HttpRequestMessage Messages(string body, string path = "v1/messages", string? apiKey = "sk-ant-e2e")
    {
        var request = Http.Post(path, body, authorization: null);
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        }
        return request;
    }

    private static Task<ProxyProcess> StartProxyAsync(FakeUpstream upstream) => ProxyProcess.StartAsync(new Dictionary<string, string>
    {
        ["LLM_PROVIDER"] = "ollama",
        ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
    });

    private static string Chunk(string delta, string? finish = null) =>
        $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}]}""";

    private static async Task WriteEventAsync(HttpContext context, string payload)
    {
        await context.Response.WriteAsync($"data: {payload}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    /// <summary>The events of an Anthropic stream as (type, data), checking the framing on the way.</summary>
    private static List<(string Type, JsonNode Data)> Events(string body)
    {
        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        var events = new List<(string, JsonNode)>();
        foreach (var frame in body[..^2].Split("\n\n"))
        {
            var lines = frame.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            var data = JsonNode.Parse(lines[1][6..])!;
            Assert.Equal(lines[0][7..], (string)data["type"]!);
            events.Add((lines[0][7..], data));
        }
        return events;
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        Assert.Equal("error", document.RootElement.GetProperty("type").GetString());
        Assert.Equal(type, document.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(Http.RequestId(response), document.RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Over_the_stub_create_and_stream_answer_in_Anthropics_shapes_and_count_tokens_answers()
    {
        await using var proxy = await ProxyProcess.StartAsync();
        using var created = await proxy.Client.SendAsync(Messages(Hello, "v1/messages?beta=true"));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var message = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal("message", (string)message["type"]!);
        Assert.Equal("stub response", (string)message["content"]![0]!["text"]!);
        Assert.Equal("end_turn", (string)message["stop_reason"]!);

        using var streamed = await proxy.Client.SendAsync(Messages(HelloStream));
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        var events = Events(await streamed.Content.ReadAsStringAsync());
        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Type));
        Assert.Equal("stub response", string.Concat(events.Where(e => e.Type == "content_block_delta").Select(e => (string)e.Data["delta"]!["text"]!)));

        using var count = await proxy.Client.SendAsync(Messages("""{"model":"m","messages":[{"role":"user","content":"twelve bytes"}]}""", "v1/messages/count_tokens?beta=true"));
        Assert.Equal(HttpStatusCode.OK, count.StatusCode);
        // 14 bytes with the quotes → 4 tokens, plus 4 for the message's template markers.
        Assert.Equal(8, (int)JsonNode.Parse(await count.Content.ReadAsStringAsync())!["input_tokens"]!);
    }

    [Fact]
    public async Task Auth_and_edge_errors_are_in_Anthropics_shape()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["PROXY_API_KEYS"] = "e2e-proxy-key" });
        using (var anonymous = await proxy.Client.SendAsync(Messages(Hello, apiKey: null)))
        {
            await AssertErrorAsync(anonymous, HttpStatusCode.Unauthorized, "authentication_error");
        }
        using (var wrong = await proxy.Client.SendAsync(Messages(Hello, apiKey: "not-the-key")))
        {
            await AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, "authentication_error");
        }
        using (var ok = await proxy.Client.SendAsync(Messages(Hello, apiKey: "e2e-proxy-key")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var invalid = await proxy.Client.SendAsync(Messages("""{"model":"m","max_tokens":"many","messages":[]}""", apiKey: "e2e-proxy-key")))
        {
            await AssertErrorAsync(invalid, HttpStatusCode.BadRequest, "invalid_request_error");
        }
        using (var unknown = await proxy.Client.SendAsync(Messages(Hello, "v1/messages/nope", apiKey: "e2e-proxy-key")))
        {
            await AssertErrorAsync(unknown, HttpStatusCode.NotFound, "not_found_error");
        }
    }

    [Fact]
    public async Task In_front_of_a_server_a_streamed_tool_call_arrives_as_tool_use_with_its_arguments_in_order()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await WriteEventAsync(context, Chunk("""{"role":"assistant","content":"Checking.","tool_calls":[]}"""));
            await WriteEventAsync(context, Chunk("""{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}"""));
            await WriteEventAsync(context, Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"""));
            await WriteEventAsync(context, Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":" \"Paris\"}"}}]}"""));
            await WriteEventAsync(context, Chunk("{}", "tool_calls"));
            await WriteEventAsync(context, """{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}}""");
            await WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await StartProxyAsync(upstream);
        const string body = """{"model":"qwen3","max_tokens":64,"stream":true,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"Paris?"}]}""";
        using var response = await proxy.Client.SendAsync(Messages(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Events(await response.Content.ReadAsStringAsync());

        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Type));
        var toolStart = events[4].Data["content_block"]!;
        Assert.Equal("tool_use", (string)toolStart["type"]!);
        Assert.Equal("call_a", (string)toolStart["id"]!);
        Assert.Equal("get_weather", (string)toolStart["name"]!);
        var json = string.Concat(events.Where(e => e.Type == "content_block_delta" && (int)e.Data["index"]! == 1).Select(e => (string)e.Data["delta"]!["partial_json"]!));
        Assert.Equal("Paris", (string)JsonNode.Parse(json)!["city"]!);
        Assert.Equal("tool_use", (string)events[^2].Data["delta"]!["stop_reason"]!);
        Assert.Equal(12, (int)events[^2].Data["usage"]!["output_tokens"]!);

        var sent = JsonNode.Parse(upstream.Requests.Single().Body)!;
        Assert.Equal("get_weather", (string)sent["tools"]![0]!["function"]!["name"]!);
        Assert.False(upstream.Requests.Single().Headers.ContainsKey("x-api-key"));

        var metrics = await proxy.Client.GetStringAsync("metrics");
        Assert.Contains("llm_requests_total{provider=\"ollama\",model=\"qwen3\",status=\"200\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_completion_tokens_total{provider=\"ollama\",model=\"qwen3\"} 12", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_front_of_a_server_an_unknown_model_is_404_and_an_error_mid_stream_is_an_error_event()
    {
        FakeUpstream? self = null;
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            // The fake recorded the body before this handler runs: find it by the request id the proxy sent.
            var id = context.Request.Headers["x-request-id"].ToString();
            var body = Encoding.UTF8.GetString(self!.Requests.Last(r => r.Headers.GetValueOrDefault("x-request-id") == id).Body);
            if (body.Contains("\"missing\"", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 404;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"error":{"message":"model 'missing' not found","type":"not_found_error"}}""");
                return;
            }
            context.Response.ContentType = "text/event-stream";
            await WriteEventAsync(context, Chunk("""{"content":"partial"}"""));
            await WriteEventAsync(context, """{"error":{"message":"the model runner crashed","type":"server_error"}}""");
        });
        self = upstream;
        await using var proxy = await StartProxyAsync(upstream);

        using (var missing = await proxy.Client.SendAsync(Messages(HelloStream.Replace("claude-sonnet-4-5", "missing", StringComparison.Ordinal))))
        {
            await AssertErrorAsync(missing, HttpStatusCode.NotFound, "not_found_error");
        }
        using var broken = await proxy.Client.SendAsync(Messages(HelloStream));
        Assert.Equal(HttpStatusCode.OK, broken.StatusCode);
        var events = Events(await broken.Content.ReadAsStringAsync());
        Assert.Equal("error", events[^1].Type);
        Assert.Equal("api_error", (string)events[^1].Data["error"]!["type"]!);
        Assert.Contains("the model runner crashed", (string)events[^1].Data["error"]!["message"]!, StringComparison.Ordinal);
        Assert.DoesNotContain(events, e => e.Type == "message_stop");
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_cancels_the_upstream_request_within_a_second()
    {
        var aborted = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            try
            {
                for (var i = 0; i < 200; i++)
                {
                    await WriteEventAsync(context, Chunk($$"""{"content":"t{{i}} "}"""));
                    await Task.Delay(50, context.RequestAborted);
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

        // A disposed response closes the socket at once, as a client that hangs up does (the default drains it for up to 2 s).
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = proxy.BaseUrl };
        var response = await client.SendAsync(Messages(HelloStream), HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var deltas = 0;
        while (deltas < 3 && await reader.ReadLineAsync() is { } line)
        {
            deltas += line.Contains("text_delta", StringComparison.Ordinal) ? 1 : 0;
        }
        Assert.Equal(3, deltas);
        var leftAt = clock.Elapsed;
        reader.Dispose();
        response.Dispose();

        var done = await Task.WhenAny(aborted.Task, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(done == aborted.Task, "the upstream request was never cancelled");
        var delay = await aborted.Task - leftAt;
        Assert.True(delay < TimeSpan.FromSeconds(1), $"the upstream was cancelled {delay.TotalMilliseconds} ms after the client left");
    }
}

using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;
using LlmProxy.Tests.Upstreams;

namespace LlmProxy.Tests.Doors.Anthropic;

/// <summary>
/// /v1/messages in front of a real (fake) OpenAI-compatible server on loopback (docs/anthropic.md): what is sent
/// upstream, answers and streams translated back as the upstream's chunks arrive, failures before the first byte as
/// Anthropic HTTP errors, failures after it as one error event, and a client that leaves cancels the upstream.
/// </summary>
public class AnthropicUpstreamTests
{
    private const string ToolRequest = """
        {"model":"qwen3-coder","max_tokens":512,"stream":true,"system":"You are terse.",
         "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                  {"name":"get_time","input_schema":{"type":"object","properties":{"zone":{"type":"string"}}}}],
         "messages":[{"role":"user","content":"Weather and time in Paris?"}]}
        """;

    private static string Chunk(string delta, string? finish = null) =>
        $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}]}""";

    private static Func<HttpContext, Task> Streams(params string[] payloads) => async context =>
    {
        Sse.Start(context);
        foreach (var payload in payloads)
        {
            await Sse.WriteEventAsync(context, payload);
        }
    };

    private static async Task<(HttpResponseMessage Response, List<SseTestEvent> Events)> StreamAsync(KestrelProxy proxy, string body)
    {
        var response = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("v1/messages", body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return (response, SseTestEvents.Parse(text));
    }

    [Fact]
    public async Task The_upstream_gets_an_OpenAI_chat_request_without_the_clients_key_and_the_answer_comes_back_as_a_message()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"id":"x","object":"chat.completion","created":1,"model":"qwen3","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":31,"completion_tokens":9,"total_tokens":40}}"""));
        // The model is a label value once the configuration names it (docs/operations.md, Metrics).
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ModelProviderMap = "qwen3-coder=ollama" });
        var body = ToolRequest.Replace("\"stream\":true,", "", StringComparison.Ordinal);

        using var response = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("v1/messages?beta=true", body, apiKey: "sk-ant-secret"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        AnthropicTestJson.Equal("""
            [{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]
            """, message["content"]);
        Assert.Equal("tool_use", (string)message["stop_reason"]!);
        Assert.Equal("qwen3-coder", (string)message["model"]!);
        Assert.Equal(31, (int)message["usage"]!["input_tokens"]!);
        Assert.Equal(9, (int)message["usage"]!["output_tokens"]!);

        var sent = upstream.Requests.Single();
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.False(sent.Headers.ContainsKey("x-api-key"), "the client's x-api-key reached the upstream");
        Assert.False(sent.Headers.ContainsKey("authorization"), "an Authorization header was invented for the upstream");
        Assert.Equal(Requests.RequestId(response), sent.Headers["x-request-id"]);
        var openAi = JsonNode.Parse(sent.Body)!;
        AnthropicTestJson.Equal(AnthropicTestJson.ToOpenAiText(body), openAi);
        Assert.Equal("system", (string)openAi["messages"]![0]!["role"]!);
        Assert.Equal("get_weather", (string)openAi["tools"]![0]!["function"]!["name"]!);

        var metrics = await proxy.Client.GetStringAsync("metrics");
        Assert.Contains("llm_prompt_tokens_total{provider=\"ollama\",model=\"qwen3-coder\"} 31", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_completion_tokens_total{provider=\"ollama\",model=\"qwen3-coder\"} 9", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_key_is_never_forwarded_and_the_upstreams_own_key_is_sent_instead()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ApiKeys = ["proxy-key"], OpenAiCompatApiKey = "upstream-key" });
        using (var byHeader = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("v1/messages", AnthropicRoutesTests.Hello, apiKey: "proxy-key")))
        {
            Assert.Equal(HttpStatusCode.OK, byHeader.StatusCode);
        }
        using (var byBearer = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("v1/messages", AnthropicRoutesTests.Hello, apiKey: null, authorization: "Bearer proxy-key")))
        {
            Assert.Equal(HttpStatusCode.OK, byBearer.StatusCode);
        }
        Assert.Equal(2, upstream.Requests.Count);
        foreach (var sent in upstream.Requests)
        {
            Assert.False(sent.Headers.ContainsKey("x-api-key"));
            Assert.Equal("Bearer upstream-key", sent.Headers["authorization"]);
        }
    }

    [Fact]
    public async Task A_stream_is_translated_event_by_event_and_each_event_reaches_the_client_before_the_next_chunk_is_sent()
    {
        var firstReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        TimeSpan secondSentAt = default;
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Chunk("""{"role":"assistant","content":"Hel"}"""));
            await Task.WhenAny(firstReceived.Task, Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted));
            secondSentAt = clock.Elapsed;
            // vLLM and mlx_lm send an empty tool_calls list in plain text deltas: it must not turn the text into a tool call.
            await Sse.WriteEventAsync(context, Chunk("""{"content":"lo","tool_calls":[]}"""));
            await Sse.WriteEventAsync(context, Chunk("{}", "stop"));
            await Sse.WriteEventAsync(context, """{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}}""");
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("v1/messages", AnthropicRoutesTests.HelloStream), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var text = new StringBuilder();
        string? line;
        // message_start, content_block_start, the first text_delta: all out before the upstream sent its second chunk.
        while ((line = await reader.ReadLineAsync()) is not null && !line.Contains("text_delta", StringComparison.Ordinal))
        {
            text.Append(line).Append('\n');
        }
        var firstDeltaAt = clock.Elapsed;
        firstReceived.TrySetResult();
        text.Append(line).Append('\n').Append(await reader.ReadToEndAsync());

        Assert.True(firstDeltaAt < secondSentAt, $"the first delta arrived at {firstDeltaAt.TotalMilliseconds} ms, after the second chunk was sent at {secondSentAt.TotalMilliseconds} ms");
        var events = SseTestEvents.Parse(text.ToString());
        Assert.Single(events, e => e.Type == "message_stop");
        Assert.Equal("message_stop", events[^1].Type);
        var message = SdkStyleAccumulator.Accumulate(events);
        AnthropicTestJson.Equal("""[{"type":"text","text":"Hello"}]""", message["content"]);
        Assert.Equal("end_turn", (string)message["stop_reason"]!);
        Assert.Equal(12, (int)message["usage"]!["input_tokens"]!);
        Assert.Equal(2, (int)message["usage"]!["output_tokens"]!);

        var sent = JsonNode.Parse(upstream.Requests.Single().Body)!;
        Assert.True((bool)sent["stream"]!);
        Assert.True((bool)sent["stream_options"]!["include_usage"]!);
    }

    [Fact]
    public async Task Streamed_tool_calls_in_pieces_and_several_in_one_chunk_become_ordered_tool_use_blocks_with_their_input()
    {
        await using var upstream = await FakeUpstream.StartAsync(Streams(
            Chunk("""{"role":"assistant","content":"Let me check."}"""),
            // vLLM style: id and name first, the arguments in pieces split at awkward places.
            Chunk("""{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"ty\": \"Par"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"is\"}"}}]}"""),
            // Ollama style: whole calls, two in one chunk.
            Chunk("""{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"zone\":\"CET\"}"}},{"index":2,"id":"call_c","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Lyon\"}"}}]}"""),
            Chunk("{}", "tool_calls"),
            "[DONE]"));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        var (response, events) = await StreamAsync(proxy, ToolRequest);
        using (response)
        {
            var message = SdkStyleAccumulator.Accumulate(events);
            AnthropicTestJson.Equal("""
                [{"type":"text","text":"Let me check."},
                 {"type":"tool_use","id":"call_a","name":"get_weather","input":{"city":"Paris"}},
                 {"type":"tool_use","id":"call_b","name":"get_time","input":{"zone":"CET"}},
                 {"type":"tool_use","id":"call_c","name":"get_weather","input":{"city":"Lyon"}}]
                """, message["content"]);
            Assert.Equal("tool_use", (string)message["stop_reason"]!);
            // The arguments arrived in three pieces and go out as three input_json_delta events, in order.
            var pieces = events.Where(e => e.Type == "content_block_delta" && (int)e.Json["index"]! == 1)
                .Select(e => (string)e.Json["delta"]!["partial_json"]!).ToList();
            Assert.Equal(["{\"ci", "ty\": \"Par", "is\"}"], pieces);
        }
    }

    [Theory]
    [InlineData(404, """{"error":"model 'qwen3-coder' not found"}""", null, 404, "not_found_error")]
    [InlineData(429, """{"error":{"message":"slow down","type":"rate_limit"}}""", "7", 429, "rate_limit_error")]
    [InlineData(503, """{"error":{"message":"loading model","type":"unavailable"}}""", "3", 503, "overloaded_error")]
    [InlineData(500, """{"error":{"message":"CUDA out of memory","type":"server_error"}}""", null, 502, "api_error")]
    [InlineData(400, """{"object":"error","message":"maximum context length is 8192 tokens","type":"BadRequestError","code":400}""", null, 400, "invalid_request_error")]
    public async Task Upstream_failures_before_the_first_byte_are_Anthropic_errors_with_the_matching_status_in_both_modes(
        int upstreamStatus, string upstreamBody, string? retryAfter, int status, string type)
    {
        await using var upstream = await FakeUpstream.StartAsync(context =>
        {
            if (retryAfter is not null)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }
            return UpstreamErrorMappingTests.Answer(context, upstreamStatus, upstreamBody);
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        foreach (var body in new[] { AnthropicRoutesTests.Hello, AnthropicRoutesTests.HelloStream })
        {
            using var response = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("v1/messages", body));
            var message = await AnthropicRoutesTests.AssertAnthropicErrorAsync(response, (HttpStatusCode)status, type);
            Assert.Equal(retryAfter, response.Headers.RetryAfter?.ToString());
            if (upstreamStatus != 404)
            {
                // The upstream's own words reach the client.
                Assert.Contains(upstreamBody.Contains("CUDA", StringComparison.Ordinal) ? "CUDA out of memory" : upstreamBody.Contains("maximum", StringComparison.Ordinal) ? "maximum context length" : upstreamStatus == 429 ? "slow down" : "loading model",
                    message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task An_unreachable_upstream_is_502_api_error()
    {
        var port = UnusedPort();
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings
        {
            DefaultProvider = "ollama",
            OpenAiCompatBaseUrl = new Uri($"http://127.0.0.1:{port}/v1/"),
            LogLevel = "ERROR",
        });
        using var response = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("v1/messages", AnthropicRoutesTests.HelloStream));
        Assert.Contains("unreachable", await AnthropicRoutesTests.AssertAnthropicErrorAsync(response, HttpStatusCode.BadGateway, "api_error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_error_event_mid_stream_is_one_error_event_and_nothing_after_it()
    {
        await using var upstream = await FakeUpstream.StartAsync(Streams(
            Chunk("""{"role":"assistant","content":"Par"}"""),
            """{"error":{"message":"the model runner crashed","type":"server_error"}}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        var (response, events) = await StreamAsync(proxy, AnthropicRoutesTests.HelloStream);
        using (response)
        {
            Assert.Equal(["message_start", "content_block_start", "content_block_delta", "error"], SseTestEvents.Types(events));
            Assert.Equal("api_error", (string)events[^1].Json["error"]!["type"]!);
            Assert.Contains("the model runner crashed", (string)events[^1].Json["error"]!["message"]!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_connection_lost_mid_stream_is_one_error_event()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Chunk("""{"role":"assistant","content":"Par"}"""));
            // Abort resets the socket and drops output still queued in Kestrel: let the event leave first.
            await Task.Delay(200);
            context.Abort();
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        var (response, events) = await StreamAsync(proxy, AnthropicRoutesTests.HelloStream);
        using (response)
        {
            Assert.Equal("error", events[^1].Type);
            Assert.DoesNotContain(events, e => e.Type == "message_stop");
            Assert.Equal("api_error", (string)events[^1].Json["error"]!["type"]!);
        }
    }

    [Fact]
    public async Task A_server_that_ignores_stream_true_and_answers_json_still_gives_the_client_an_event_stream()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"id":"x","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"whole answer"},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":100,"total_tokens":105}}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        var (response, events) = await StreamAsync(proxy, AnthropicRoutesTests.HelloStream);
        using (response)
        {
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var message = SdkStyleAccumulator.Accumulate(events);
            AnthropicTestJson.Equal("""[{"type":"text","text":"whole answer"}]""", message["content"]);
            Assert.Equal("max_tokens", (string)message["stop_reason"]!);
            Assert.Equal(100, (int)message["usage"]!["output_tokens"]!);
        }
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_aborts_the_upstream_request_within_a_second()
    {
        var aborted = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            try
            {
                for (var i = 0; i < 100; i++)
                {
                    await Sse.WriteEventAsync(context, Chunk($$"""{"content":"t{{i}} "}"""));
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
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        var response = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("v1/messages", AnthropicRoutesTests.HelloStream), HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var deltas = 0;
        while (deltas < 3 && await reader.ReadLineAsync() is { } line)
        {
            deltas += line.Contains("text_delta", StringComparison.Ordinal) ? 1 : 0;
        }
        var disconnectedAt = clock.Elapsed;
        reader.Dispose();
        response.Dispose();

        var completed = await Task.WhenAny(aborted.Task, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(completed == aborted.Task, "the upstream request was never aborted");
        var delay = await aborted.Task - disconnectedAt;
        Assert.True(delay < TimeSpan.FromSeconds(1), $"upstream aborted {delay.TotalMilliseconds} ms after the client left");

        // The request is recorded as the client's leaving (499), and the stream gauge is back to 0.
        var deadline = Stopwatch.StartNew();
        string metrics;
        do
        {
            metrics = await proxy.Client.GetStringAsync("metrics");
        }
        while (!metrics.Contains("status=\"499\"", StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/v1/messages\",status=\"499\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_streams_in_flight 0", metrics, StringComparison.Ordinal);
    }

    private static int UnusedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

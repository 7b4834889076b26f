using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Tests.Support;
using LlmProxy.Tests.Upstreams;

namespace LlmProxy.Tests.Doors.Ollama;

/// <summary>
/// Ollama's routes in front of an OpenAI-compatible server, on real sockets on both sides (docs/ollama.md): what the
/// upstream is sent, NDJSON lines as the events arrive, tool calls whole, the one end of every stream, upstream
/// failures in Ollama's shape, cancel on disconnect, embeddings, the model list and /api/ps.
/// </summary>
public class OllamaUpstreamTests
{
    private static string Chunk(string delta, string? finish = null, string? usage = null) =>
        $$"""{"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}]{{(usage is null ? "" : $",\"usage\":{usage}")}}}""";

    private static string Text(string content) => Chunk($$"""{"content":"{{JsonEncodedText.Encode(content)}}"}""");

    [Fact]
    public async Task Chat_goes_upstream_as_an_OpenAI_request_and_its_stream_comes_back_as_NDJSON_lines()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Chunk("""{"role":"assistant","content":""}"""));
            await Sse.WriteEventAsync(context, Text("Hel"));
            await Sse.WriteEventAsync(context, Text("lo"));
            await Sse.WriteEventAsync(context, Chunk("{}", "stop"));
            await Sse.WriteEventAsync(context, """{"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}""");
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/chat",
            """{"model":"llama3","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"options":{"temperature":0.2,"num_predict":64,"num_ctx":4096},"format":"json","keep_alive":"5m"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        var lines = await OllamaHttp.LinesAsync(response);
        // The role-only first chunk and the finish chunk write nothing: two text lines, one done line.
        Assert.Equal(3, lines.Count);
        Assert.Equal("Hello", OllamaHttp.Text(lines));
        Assert.Equal(7, lines[^1].GetProperty("prompt_eval_count").GetInt32());
        Assert.Equal(2, lines[^1].GetProperty("eval_count").GetInt32());

        var sent = upstream.Requests.Single();
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.False(sent.Headers.ContainsKey("Authorization"));
        using var body = JsonDocument.Parse(sent.Body);
        var root = body.RootElement;
        Assert.Equal("llama3", root.GetProperty("model").GetString());
        Assert.True(root.GetProperty("stream").GetBoolean());
        Assert.True(root.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal(2, root.GetProperty("messages").GetArrayLength());
        Assert.Equal(0.2, root.GetProperty("temperature").GetDouble());
        Assert.Equal(64, root.GetProperty("max_tokens").GetInt32());
        Assert.Equal("json_object", root.GetProperty("response_format").GetProperty("type").GetString());
        Assert.False(root.TryGetProperty("keep_alive", out _));
        Assert.False(root.TryGetProperty("num_ctx", out _));
    }

    [Fact]
    public async Task Each_upstream_event_is_in_the_clients_hands_as_its_line_before_the_next_event_is_sent()
    {
        var clock = Stopwatch.StartNew();
        var secondSentAt = TimeSpan.MaxValue;
        // The upstream holds its second event until the client has the first line (5 s at most): a door that buffers
        // never delivers the first line alone, the wait runs out and the assertion below fails.
        var firstReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Text("first "));
            await Task.WhenAny(firstReceived.Task, Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted));
            secondSentAt = clock.Elapsed;
            await Sse.WriteEventAsync(context, Text("second"));
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/generate", """{"model":"llama3","prompt":"go"}"""), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await OllamaHttp.ReadLineAsync(reader);
        var firstAt = clock.Elapsed;
        firstReceived.TrySetResult();
        var rest = new List<JsonElement>();
        while (await OllamaHttp.ReadLineAsync(reader) is { } line)
        {
            rest.Add(line);
        }

        Assert.True(firstAt < secondSentAt, $"first line at {firstAt.TotalMilliseconds} ms, second event sent at {secondSentAt.TotalMilliseconds} ms");
        Assert.Equal("first ", first!.Value.GetProperty("response").GetString());
        Assert.Equal("second", OllamaHttp.Text(rest));
        Assert.True(rest[^1].GetProperty("done").GetBoolean());
    }

    [Fact]
    public async Task Tool_call_pieces_become_one_message_with_the_arguments_as_an_object()
    {
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Chunk("""{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}"""));
            await Sse.WriteEventAsync(context, Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"""));
            await Sse.WriteEventAsync(context, Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}"""));
            await Sse.WriteEventAsync(context, Chunk("{}", "tool_calls"));
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/chat",
            """{"model":"llama3","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"""));
        var lines = await OllamaHttp.LinesAsync(response);

        var call = Assert.Single(lines, l => l.GetProperty("message").TryGetProperty("tool_calls", out _))
            .GetProperty("message").GetProperty("tool_calls").EnumerateArray().Single();
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("Paris", call.GetProperty("function").GetProperty("arguments").GetProperty("city").GetString());
        Assert.Equal("stop", lines[^1].GetProperty("done_reason").GetString());
        using var sent = JsonDocument.Parse(upstream.Requests.Single().Body);
        Assert.Equal("get_weather", sent.RootElement.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failure_after_the_first_line_is_the_last_line_and_no_done_line_follows(bool connectionLost)
    {
        // The upstream fails only once the client holds the first line, so the failure is surely mid-stream.
        var firstReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Text("partial"));
            await firstReceived.Task.WaitAsync(TimeSpan.FromSeconds(10), context.RequestAborted);
            if (connectionLost)
            {
                context.Abort();
                return;
            }
            await Sse.WriteEventAsync(context, """{"error":{"message":"the model runner crashed","type":"server_error"}}""");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/chat", OllamaHttp.Chat), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await OllamaHttp.ReadLineAsync(reader);
        firstReceived.SetResult();
        Assert.Equal("partial", first!.Value.GetProperty("message").GetProperty("content").GetString());
        var rest = new List<JsonElement>();
        while (await OllamaHttp.ReadLineAsync(reader) is { } line)
        {
            rest.Add(line);
        }
        var error = Assert.Single(Assert.Single(rest).EnumerateObject());
        Assert.Equal("error", error.Name);
        Assert.Contains(connectionLost ? "lost" : "the model runner crashed", error.Value.GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/chat", OllamaHttp.Chat)]
    [InlineData("api/generate", """{"model":"llama3","prompt":"hi","stream":false}""")]
    [InlineData("api/embed", """{"model":"llama3","input":"hi"}""")]
    public async Task An_unknown_model_is_404_in_Ollamas_words_naming_the_model_the_client_sent(string path, string body)
    {
        // Ollama's /v1 wording; other servers word it differently, the client always reads Ollama's.
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 404,
            """{"error":{"message":"model \"llama3\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(OllamaHttp.Post(path, body));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("model 'llama3' not found", await OllamaHttp.ErrorAsync(response));
    }

    [Fact]
    public async Task A_busy_upstream_keeps_its_status_and_Retry_After_and_its_message()
    {
        await using var upstream = await FakeUpstream.StartAsync(context =>
        {
            context.Response.Headers.RetryAfter = "7";
            return UpstreamErrorMappingTests.Answer(context, 503, """{"error":{"message":"server busy, try later","type":"server_error"}}""");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/chat", OllamaHttp.Chat));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("server busy, try later", await OllamaHttp.ErrorAsync(response));
    }

    [Fact]
    public async Task An_unreachable_upstream_is_502_in_Ollama_shape()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var proxy = await KestrelProxy.StartAsync(new ProxySettings
        {
            DefaultProvider = ProviderNames.Ollama,
            OpenAiCompatBaseUrl = new Uri($"http://127.0.0.1:{port}/v1/"),
            LogLevel = "ERROR",
        });
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/generate", """{"model":"m","prompt":"hi"}"""));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(await OllamaHttp.ErrorAsync(response)));
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_cancels_the_upstream_and_is_counted_as_499()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            try
            {
                for (var i = 0; i < 100; i++)
                {
                    await Sse.WriteEventAsync(context, Text($"t{i} "));
                    await Task.Delay(100, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
            if (context.RequestAborted.IsCancellationRequested)
            {
                aborted.TrySetResult();
            }
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/chat", OllamaHttp.Chat), HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        for (var i = 0; i < 2; i++)
        {
            Assert.NotNull(await OllamaHttp.ReadLineAsync(reader));
        }
        reader.Dispose();
        response.Dispose();

        Assert.Same(aborted.Task, await Task.WhenAny(aborted.Task, Task.Delay(TimeSpan.FromSeconds(5))));
        var metrics = proxy.App.Services.GetRequiredService<LlmMetrics>();
        await WaitUntilAsync(() => metrics.StreamsInFlight == 0);
        using var scrape = await proxy.Client.GetAsync("metrics");
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/api/chat\",status=\"499\"} 1\n", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_in_progress_shows_its_model_in_ps_and_in_llm_streams_in_flight_until_it_ends()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Text("hold"));
            await release.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        // /api/ps names known models only, as /metrics does (docs/ollama.md, Model routes).
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ModelProviderMap = "qwen2.5:7b=ollama" });
        var metrics = proxy.App.Services.GetRequiredService<LlmMetrics>();

        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/chat", """{"model":"qwen2.5:7b","messages":[{"role":"user","content":"hi"}]}"""), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.NotNull(await OllamaHttp.ReadLineAsync(reader));
        Assert.Equal(1, metrics.StreamsInFlight);
        using (var ps = await proxy.Client.GetAsync("api/ps"))
        {
            var running = Assert.Single((await Requests.JsonAsync(ps)).GetProperty("models").EnumerateArray());
            Assert.Equal("qwen2.5:7b", running.GetProperty("name").GetString());
            Assert.Equal("qwen2.5:7b", running.GetProperty("model").GetString());
        }

        release.SetResult();
        while (await OllamaHttp.ReadLineAsync(reader) is not null)
        {
        }
        await WaitUntilAsync(() => metrics.StreamsInFlight == 0);
        using var after = await proxy.Client.GetAsync("api/ps");
        Assert.Equal(0, (await Requests.JsonAsync(after)).GetProperty("models").GetArrayLength());
    }

    [Fact]
    public async Task A_server_that_answers_a_stream_with_one_JSON_completion_gives_a_one_line_stream()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"id":"c","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"whole"},"finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":1,"total_tokens":5}}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/chat", OllamaHttp.Chat));
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var line = Assert.Single(await OllamaHttp.LinesAsync(response));
        Assert.Equal("whole", line.GetProperty("message").GetProperty("content").GetString());
        Assert.True(line.GetProperty("done").GetBoolean());
        Assert.Equal("length", line.GetProperty("done_reason").GetString());
        Assert.Equal(1, line.GetProperty("eval_count").GetInt32());
    }

    [Fact]
    public async Task An_answer_that_is_not_a_chat_completion_is_502()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200, """{"hello":"world"}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("api/generate", """{"model":"m","prompt":"hi","stream":false}"""));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("not a chat completion", await OllamaHttp.ErrorAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embed_and_embeddings_copy_the_upstream_vectors_in_input_order()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"object":"list","model":"e","data":[{"object":"embedding","index":1,"embedding":[0.5,-2.5e-3]},{"object":"embedding","index":0,"embedding":[0.125,1]}],"usage":{"prompt_tokens":4,"total_tokens":4}}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        using var embed = await proxy.Client.SendAsync(OllamaHttp.Post("api/embed", """{"model":"nomic-embed-text","input":["a","b"],"truncate":true}"""));
        Assert.Equal(HttpStatusCode.OK, embed.StatusCode);
        var text = await embed.Content.ReadAsStringAsync();
        // The upstream's number bytes, not a re-print of parsed doubles.
        Assert.Contains("""[[0.125,1],[0.5,-2.5e-3]]""", text, StringComparison.Ordinal);
        var answer = OllamaHttp.Parse(text);
        Assert.Equal("nomic-embed-text", answer.GetProperty("model").GetString());
        Assert.Equal(4, answer.GetProperty("prompt_eval_count").GetInt32());

        using var legacy = await proxy.Client.SendAsync(OllamaHttp.Post("api/embeddings", """{"model":"nomic-embed-text","prompt":"a"}"""));
        var vector = (await Requests.JsonAsync(legacy)).GetProperty("embedding");
        Assert.Equal([0.125, 1.0], vector.EnumerateArray().Select(v => v.GetDouble()));

        var sent = upstream.Requests.ToArray();
        Assert.All(sent, r => Assert.Equal("/v1/embeddings", r.Path));
        using var first = JsonDocument.Parse(sent[0].Body);
        Assert.Equal(2, first.RootElement.GetProperty("input").GetArrayLength());
        Assert.Equal("float", first.RootElement.GetProperty("encoding_format").GetString());
    }

    [Fact]
    public async Task Tags_lists_the_upstream_models_and_show_knows_a_name_without_tag_as_latest()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"object":"list","data":[{"id":"llama3:latest","object":"model","created":1700000000,"owned_by":"library"},{"id":"odd","created":99999999999999}]}"""));
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { ModelProviderMap = "house=stub" });

        using var tags = await proxy.Client.GetAsync("api/tags");
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
        var models = (await Requests.JsonAsync(tags)).GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["llama3:latest", "odd", "house"], models.Select(m => m.GetProperty("name").GetString()));
        Assert.StartsWith("2023-11-14T22:13:20", models[0].GetProperty("modified_at").GetString(), StringComparison.Ordinal);

        foreach (var name in new[] { "llama3", "llama3:latest", "house" })
        {
            using var show = await proxy.Client.SendAsync(OllamaHttp.Post("api/show", $$"""{"model":"{{name}}"}"""));
            Assert.Equal(HttpStatusCode.OK, show.StatusCode);
        }
        using var missing = await proxy.Client.SendAsync(OllamaHttp.Post("api/show", """{"model":"llama3:70b"}"""));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("model 'llama3:70b' not found", await OllamaHttp.ErrorAsync(missing));

        // A load call for a model the proxy cannot serve is 404 too, and sends no chat upstream.
        using var load = await proxy.Client.SendAsync(OllamaHttp.Post("api/generate", """{"model":"ghost"}"""));
        Assert.Equal(HttpStatusCode.NotFound, load.StatusCode);
        Assert.DoesNotContain(upstream.Requests, r => r.Path != "/v1/models");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5), "the condition never held");
            await Task.Delay(20);
        }
    }
}

using System.Text;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// OpenTelemetry traces from the published binary (docs/observability.md, Traces) as a collector receives them: an
/// in-test OTLP/HTTP receiver decodes the protobuf export, a fake model server records the <c>traceparent</c> it got.
/// </summary>
public class TracingTests
{
    private const string ClientTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string ClientSpanId = "00f067aa0ba902b7";
    private const string ClientTraceParent = "00-" + ClientTraceId + "-" + ClientSpanId + "-01";

    [Fact]
    public async Task Each_request_is_a_server_span_with_one_client_child_per_upstream_attempt_carrying_the_genai_attributes()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var upstream = await StartModelServerAsync();
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString(),
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Url,
            // Export every 100 ms instead of every 5 s, so the test does not wait.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });

        var stream = Http.Post("v1/chat/completions",
            """{"model":"llama3","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        stream.Headers.TryAddWithoutValidation("traceparent", ClientTraceParent);
        stream.Headers.TryAddWithoutValidation("tracestate", "vendor=abc");
        string streamRequestId;
        using (var response = await proxy.Client.SendAsync(stream))
        {
            Assert.Contains("data: [DONE]", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            streamRequestId = response.Headers.GetValues("x-request-id").Single();
        }
        using (var response = await proxy.Client.SendAsync(Http.Post("v1/embeddings", """{"model":"nomic-embed-text","input":"hi"}""")))
        {
            Assert.Equal(200, (int)response.StatusCode);
        }
        using (var response = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}""")))
        {
            Assert.Equal(404, (int)response.StatusCode);
        }

        var spans = await receiver.WaitForAsync(s => s.Count(x => x.Kind == OtlpSpanKind.Server) >= 3 && s.Count(x => x.Kind == OtlpSpanKind.Client) >= 3);

        // The streamed chat: the client's trace continued, the server span under the client's span.
        var server = spans.Single(s => s.Kind == OtlpSpanKind.Server && s.TraceId == ClientTraceId);
        Assert.Equal("POST /v1/chat/completions", server.Name);
        Assert.Equal(ClientSpanId, server.ParentSpanId);
        Assert.Equal("Microsoft.AspNetCore", server.Scope);
        Assert.Equal("llm-proxy", server.Resource["service.name"]);
        Assert.Equal("POST", server["http.request.method"]);
        Assert.Equal("/v1/chat/completions", server["http.route"]);
        Assert.Equal(200L, server["http.response.status_code"]);
        Assert.Equal(streamRequestId, server["llm_proxy.request_id"]);
        Assert.Equal("chat", server["gen_ai.operation.name"]);
        Assert.Equal("llama3", server["gen_ai.request.model"]);
        Assert.Equal(5L, server["gen_ai.usage.input_tokens"]);
        Assert.Equal(7L, server["gen_ai.usage.output_tokens"]);
        Assert.Equal("ollama", server["llm_proxy.upstream"]);
        Assert.Equal(0, server.StatusCode);

        var attempt = spans.Single(s => s.Kind == OtlpSpanKind.Client && s.TraceId == ClientTraceId);
        Assert.Equal("chat llama3", attempt.Name);
        Assert.Equal(server.SpanId, attempt.ParentSpanId);
        Assert.Equal("llm-proxy", attempt.Scope);
        Assert.Equal("chat", attempt["gen_ai.operation.name"]);
        Assert.Equal("openai", attempt["gen_ai.provider.name"]);
        Assert.Equal("llama3", attempt["gen_ai.request.model"]);
        Assert.Equal("llama3:8b-instruct-q4", attempt["gen_ai.response.model"]);
        Assert.Equal(5L, attempt["gen_ai.usage.input_tokens"]);
        Assert.Equal(7L, attempt["gen_ai.usage.output_tokens"]);
        Assert.Equal("127.0.0.1", attempt["server.address"]);
        Assert.Equal((long)upstream.Root.Port, attempt["server.port"]);
        Assert.Equal(200L, attempt["http.response.status_code"]);
        Assert.Equal("ollama", attempt["llm_proxy.upstream"]);
        Assert.True(attempt.StartUnixNano >= server.StartUnixNano && attempt.EndUnixNano <= server.EndUnixNano, "the attempt lies inside the request");
        var firstToken = Assert.Single(attempt.Events);
        Assert.Equal("gen_ai.first_token", firstToken.Name);
        Assert.InRange(firstToken.TimeUnixNano, attempt.StartUnixNano, attempt.EndUnixNano);
        var ttft = Assert.IsType<double>(firstToken.Attributes["gen_ai.server.time_to_first_token"]);
        // The fake server waits 50 ms before its first event.
        Assert.InRange(ttft, 0.04, 10);

        // The model server got the attempt's context (the client's tracestate kept), not the client's own span.
        var received = upstream.Requests.Single(r => r.Path == "/v1/chat/completions" && r.Body.AsSpan().IndexOf("\"llama3\""u8) >= 0);
        Assert.Equal($"00-{ClientTraceId}-{attempt.SpanId}-01", received.Headers["traceparent"]);
        Assert.Equal("vendor=abc", received.Headers["tracestate"]);

        // Embeddings: a new trace (no traceparent from the client), operation "embeddings", no first-token event.
        var embeddings = spans.Single(s => s.Kind == OtlpSpanKind.Client && s.Name == "embeddings nomic-embed-text");
        Assert.Equal("embeddings", embeddings["gen_ai.operation.name"]);
        Assert.Empty(embeddings.Events);
        var embeddingsServer = spans.Single(s => s.SpanId == embeddings.ParentSpanId);
        Assert.Equal("POST /v1/embeddings", embeddingsServer.Name);
        Assert.Equal("", embeddingsServer.ParentSpanId);

        // A model the server does not know: the attempt failed (error.type, status Error); the request's 404 is the client's.
        var failed = spans.Single(s => s.Kind == OtlpSpanKind.Client && s.Name == "chat no-such-model");
        Assert.Equal(2, failed.StatusCode);
        Assert.Equal("model_not_found", failed["error.type"]);
        Assert.Equal(404L, failed["http.response.status_code"]);
        var failedServer = spans.Single(s => s.SpanId == failed.ParentSpanId);
        Assert.Equal(404L, failedServer["http.response.status_code"]);
        Assert.Equal(0, failedServer.StatusCode);
        Assert.Null(failedServer["error.type"]);

        // Operations routes are not traced: the start-up /healthz probes left no span.
        Assert.DoesNotContain(spans, s => s.Name.Contains("/healthz", StringComparison.Ordinal));
        Assert.All(receiver.Requests, r => Assert.Equal("application/x-protobuf", r.ContentType));
        Assert.All(receiver.Requests, r => Assert.Equal("/v1/traces", r.Path));
    }

    [Fact]
    public async Task An_upstream_that_refuses_the_connection_ends_each_attempt_as_a_connect_error_and_the_request_as_a_502()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = $"http://127.0.0.1:{FreePort.Next()}/v1",
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = receiver.Url + "/v1/traces",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_SERVICE_NAME"] = "edge-gateway",
        });
        using (var response = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""")))
        {
            Assert.Equal(502, (int)response.StatusCode);
        }
        // A refused connection is tried three times in all (docs/upstreams.md, Failover): each attempt is its own
        // CLIENT span, the three siblings under the request's SERVER span.
        var spans = await receiver.WaitForAsync(s => s.Any(x => x.Kind == OtlpSpanKind.Server) && s.Count(x => x.Kind == OtlpSpanKind.Client) >= 3);
        var server = spans.Single(s => s.Kind == OtlpSpanKind.Server);
        var attempts = spans.Where(s => s.Kind == OtlpSpanKind.Client).ToList();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, attempt =>
        {
            Assert.Equal("connect", attempt["error.type"]);
            Assert.Equal(2, attempt.StatusCode);
            Assert.Equal(server.SpanId, attempt.ParentSpanId);
        });
        Assert.Equal("502", server["error.type"]);
        Assert.Equal(2, server.StatusCode);
        Assert.Equal("edge-gateway", server.Resource["service.name"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_tracing_off_nothing_is_exported_and_the_clients_traceparent_reaches_the_upstream_untouched(bool endpointSetButDisabled)
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var upstream = await StartModelServerAsync();
        var env = new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString(),
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        };
        if (endpointSetButDisabled)
        {
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Url;
            env["OTEL_SDK_DISABLED"] = "true";
        }
        await using var proxy = await ProxyProcess.StartAsync(env);
        var request = Http.Post("v1/chat/completions", """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""");
        request.Headers.TryAddWithoutValidation("traceparent", ClientTraceParent);
        using (var response = await proxy.Client.SendAsync(request))
        {
            Assert.Equal(200, (int)response.StatusCode);
        }
        using (var response = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"llama3","messages":[{"role":"user","content":"hi"}]}""")))
        {
            Assert.Equal(200, (int)response.StatusCode);
        }
        var received = upstream.Requests.Where(r => r.Path == "/v1/chat/completions").ToList();
        Assert.Equal(ClientTraceParent, received[0].Headers["traceparent"]);
        Assert.False(received[1].Headers.ContainsKey("traceparent"));
        // Ten export intervals: an SDK that were running would have sent by now.
        await Task.Delay(1000);
        Assert.Empty(receiver.Requests);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]
    [InlineData("OTEL_TRACES_SAMPLER", "sometimes")]
    public async Task A_bad_otel_variable_exits_2_naming_it(string name, string value)
    {
        var (code, stdout, stderr) = await ProxyProcess.RunToExitAsync([], new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318",
            [name] = value,
        });
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains($"{name}='{value}'", line, StringComparison.Ordinal);
        Assert.Equal("", stdout.Trim());
    }

    /// <summary>
    /// A model server: chat streamed (after 50 ms, three events with usage, [DONE]) or whole, embeddings; an unknown
    /// model is a 404 in OpenAI's words. It answers with a more precise model name than it was asked for, as Ollama does.
    /// </summary>
    private static async Task<FakeUpstream> StartModelServerAsync()
    {
        var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = context => ModelServerAsync(context, upstream);
        return upstream;
    }

    private static async Task ModelServerAsync(HttpContext context, FakeUpstream upstream)
    {
        // FakeUpstream recorded the request (body read) before this runs: find it by its x-request-id.
        var id = context.Request.Headers["x-request-id"].ToString();
        var body = Encoding.UTF8.GetString(upstream.Requests.Last(r => r.Headers.GetValueOrDefault("x-request-id") == id).Body);
        if (body.Contains("no-such-model", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"error":{"message":"model \"no-such-model\" not found, try pulling it first","type":"api_error","param":null,"code":null}}""");
            return;
        }
        if (context.Request.Path.Value!.EndsWith("/embeddings", StringComparison.Ordinal))
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"nomic-embed-text","usage":{"prompt_tokens":1,"total_tokens":1}}""");
            return;
        }
        const string Model = "llama3:8b-instruct-q4";
        if (body.Contains("\"stream\":true", StringComparison.Ordinal))
        {
            context.Response.ContentType = "text/event-stream";
            await Task.Delay(50);
            foreach (var piece in new[] { "one", " two" })
            {
                await context.Response.WriteAsync($$"""data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"{{Model}}","choices":[{"index":0,"delta":{"content":"{{piece}}"},"finish_reason":null}]}""" + "\n\n");
                await context.Response.Body.FlushAsync();
            }
            await context.Response.WriteAsync($$$"""data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"{{{Model}}}","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}""" + "\n\ndata: [DONE]\n\n");
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($$$"""{"id":"c2","object":"chat.completion","created":1,"model":"{{{Model}}}","choices":[{"index":0,"message":{"role":"assistant","content":"one two"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}""");
    }
}

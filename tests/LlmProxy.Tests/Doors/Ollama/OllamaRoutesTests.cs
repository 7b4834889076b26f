using System.Globalization;
using System.Net;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Doors.Ollama;
using LlmProxy.Http;
using LlmProxy.Http.Errors;
using LlmProxy.Operations;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Doors.Ollama;

/// <summary>
/// Ollama's routes through the whole pipeline on the test server, over the stub (docs/ollama.md): streaming by default,
/// bodies and content types as Ollama's clients send them, auth only in key mode, every /api error in Ollama's shape,
/// the model routes, the load calls, metrics and the API description.
/// </summary>
public class OllamaRoutesTests
{
    private const string Key = "sk-ollama-door-7f3a";

    [Fact]
    public async Task Chat_streams_NDJSON_by_default_and_ends_with_exactly_one_done_line_carrying_counts_and_durations()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", OllamaHttp.Chat));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = await OllamaHttp.LinesAsync(response);
        Assert.Equal("stub response", OllamaHttp.Text(lines));
        Assert.Single(lines, l => l.GetProperty("done").GetBoolean());
        var last = lines[^1];
        Assert.True(last.GetProperty("done").GetBoolean());
        Assert.Equal("stop", last.GetProperty("done_reason").GetString());
        // The stub counts words: "one two three" in, "stub response" out.
        Assert.Equal(3, last.GetProperty("prompt_eval_count").GetInt32());
        Assert.Equal(2, last.GetProperty("eval_count").GetInt32());
        var total = last.GetProperty("total_duration").GetInt64();
        Assert.True(total > 0);
        Assert.Equal(total, last.GetProperty("prompt_eval_duration").GetInt64() + last.GetProperty("eval_duration").GetInt64());
        foreach (var line in lines)
        {
            Assert.Equal("llama3", line.GetProperty("model").GetString());
            Assert.Equal("assistant", line.GetProperty("message").GetProperty("role").GetString());
            Assert.True(DateTimeOffset.TryParse(line.GetProperty("created_at").GetString(), CultureInfo.InvariantCulture, out _));
        }
    }

    [Fact]
    public async Task Generate_and_chat_with_stream_false_answer_one_JSON_object()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var generate = await proxy.Client.SendAsync(OllamaHttp.Post("/api/generate", """{"model":"llama3","prompt":"why is the sky blue","stream":false}"""));
        Assert.Equal(HttpStatusCode.OK, generate.StatusCode);
        Assert.Equal("application/json", generate.Content.Headers.ContentType?.MediaType);
        var answer = await Requests.JsonAsync(generate);
        Assert.Equal("stub response", answer.GetProperty("response").GetString());
        Assert.True(answer.GetProperty("done").GetBoolean());
        Assert.Equal(5, answer.GetProperty("prompt_eval_count").GetInt32());

        using var chat = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", """{"model":"llama3","stream":false,"messages":[{"role":"user","content":"hi"}]}"""));
        var message = (await Requests.JsonAsync(chat)).GetProperty("message");
        Assert.Equal("stub response", message.GetProperty("content").GetString());
    }

    [Fact]
    public async Task Generate_streams_response_lines_by_default()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("/api/generate", """{"model":"llama3","prompt":"hi"}"""));
        var lines = await OllamaHttp.LinesAsync(response);
        Assert.Equal("stub response", OllamaHttp.Text(lines));
        Assert.True(lines[^1].GetProperty("done").GetBoolean());
        Assert.All(lines, l => Assert.False(l.TryGetProperty("message", out _)));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model is required")]
    [InlineData("""{"model":"m","messages":"hi"}""", "messages must be a list")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"options":{"temperature":"hot"}}""", "options.temperature must be a number")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi","images":["not an image"]}]}""", "messages[0].images[0]")]
    [InlineData("""{"model":"m",""", "invalid JSON body")]
    [InlineData("""[1,2]""", "request body must be a JSON object")]
    [InlineData("", "missing request body")]
    public async Task A_bad_chat_body_is_400_in_Ollama_shape_naming_the_problem(string body, string expected)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await OllamaHttp.ErrorAsync(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Bodies_from_clients_that_are_not_web_pages_are_read_whatever_their_content_type(string? contentType)
    {
        // curl -d, the usage of Ollama's own docs, sends application/x-www-form-urlencoded; Ollama ignores the type.
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("/api/generate", """{"model":"m","prompt":"hi","stream":false}""", contentType));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("stub response", (await Requests.JsonAsync(response)).GetProperty("response").GetString());
    }

    [Fact]
    public async Task A_web_page_must_send_a_JSON_content_type_which_needs_a_CORS_preflight()
    {
        await using var proxy = await TestProxy.StartAsync();
        var request = OllamaHttp.Post("/api/chat", OllamaHttp.Chat, "text/plain");
        request.Headers.Add("Origin", "http://evil.example");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", await OllamaHttp.ErrorAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_keys_the_api_routes_need_no_Authorization_while_v1_still_does()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var chat = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", OllamaHttp.Chat));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        using var tags = await proxy.Client.GetAsync("/api/tags");
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
        using var v1 = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", Requests.ValidChat, authorization: null));
        Assert.Equal(HttpStatusCode.Unauthorized, v1.StatusCode);
    }

    [Theory]
    [InlineData(null, 401)]
    [InlineData("Bearer wrong-key", 401)]
    [InlineData(Key, 401)]
    [InlineData("Bearer " + Key, 200)]
    public async Task With_keys_configured_the_api_routes_need_a_bearer_key_and_refuse_in_Ollama_shape(string? authorization, int expected)
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ApiKeys = [Key] });
        using var chat = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", OllamaHttp.Chat, authorization: authorization));
        var tagsRequest = new HttpRequestMessage(HttpMethod.Get, "/api/tags");
        if (authorization is not null)
        {
            tagsRequest.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        using var tags = await proxy.Client.SendAsync(tagsRequest);

        Assert.Equal(expected, (int)chat.StatusCode);
        Assert.Equal(expected, (int)tags.StatusCode);
        if (expected == 401)
        {
            var message = await OllamaHttp.ErrorAsync(chat);
            Assert.DoesNotContain(Key, message, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(await OllamaHttp.ErrorAsync(tags)));
        }
        // The heartbeat stays open: it says nothing but that the server is there.
        using var heartbeat = await proxy.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode);
    }

    [Fact]
    public async Task Edge_errors_under_api_speak_Ollama_shape()
    {
        await using var proxy = await TestProxy.StartAsync(
            new ProxySettings { MaxRequestBytes = 200, RateLimitEnabled = true, RateLimitMaxRequests = 3 },
            TestClientAddress.Install,
            app => app.MapGet("/api/test/throws", (HttpContext _) => throw new InvalidOperationException("boom secret")));
        proxy.Client.DefaultRequestHeaders.Add(TestClientAddress.Header, "192.0.2.7");

        using var unknown = await proxy.Client.GetAsync("/api/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("/api/nope", await OllamaHttp.ErrorAsync(unknown), StringComparison.Ordinal);

        using var wrongMethod = await proxy.Client.GetAsync("/api/chat");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Contains("GET", await OllamaHttp.ErrorAsync(wrongMethod), StringComparison.Ordinal);

        using var tooLarge = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", $$"""{"model":"m","messages":[{"role":"user","content":"{{new string('x', 300)}}"}]}"""));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("200 bytes", await OllamaHttp.ErrorAsync(tooLarge), StringComparison.Ordinal);

        using var crash = await proxy.Client.GetAsync("/api/test/throws");
        Assert.Equal(HttpStatusCode.InternalServerError, crash.StatusCode);
        var crashMessage = await OllamaHttp.ErrorAsync(crash);
        Assert.Equal("Internal Server Error", crashMessage);

        // The limit is 3 a window: the fourth limited request at the latest is refused.
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 4 && limited is null; i++)
        {
            var response = await proxy.Client.GetAsync("/api/version");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }
        Assert.NotNull(limited);
        using (limited)
        {
            Assert.True(limited.Headers.Contains("Retry-After"));
            Assert.False(string.IsNullOrWhiteSpace(await OllamaHttp.ErrorAsync(limited)));
        }
    }

    [Fact]
    public async Task While_draining_the_api_routes_answer_503_in_Ollama_shape()
    {
        await using var proxy = await TestProxy.StartAsync();
        proxy.App.Services.GetRequiredService<HealthState>().MarkDraining();
        proxy.App.Services.GetRequiredService<ShutdownDrain>().BeginDrain();
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", OllamaHttp.Chat));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(DrainGateMiddleware.Detail, await OllamaHttp.ErrorAsync(response));
    }

    [Fact]
    public async Task The_request_log_line_of_an_Ollama_request_names_its_model_and_provider()
    {
        var logs = new CapturingLoggerProvider();
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { LogRequests = true }, builder => builder.Logging.AddProvider(logs));
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", OllamaHttp.Chat));
        await response.Content.ReadAsStringAsync();

        var line = Assert.Single(logs.Entries, e => e.Category == RequestLog.Category).State;
        Assert.Equal("/api/chat", line["Path"]);
        Assert.Equal(200, line["Status"]);
        Assert.Equal("llama3", line["Model"]);
        Assert.Equal("stub", line["Provider"]);
    }

    [Theory]
    [InlineData("/api/chat", true)]
    [InlineData("/API/Tags", true)]
    [InlineData("/api", true)]
    [InlineData("/apiary", false)]
    [InlineData("/v1/chat/completions", false)]
    public void The_Ollama_dialect_claims_the_api_prefix_by_whole_segments_in_any_case(string path, bool ollama)
    {
        var dialects = new ErrorDialects([
            new ErrorDialectRoute("/", LlmProxy.Doors.Classic.ClassicErrors.Dialect),
            new ErrorDialectRoute("/v1", LlmProxy.Doors.OpenAi.OpenAiErrors.Dialect),
            new ErrorDialectRoute("/api", OllamaErrors.Dialect),
        ]);
        Assert.Equal(ollama, dialects.For(path) is OllamaErrors);
    }

    [Fact]
    public async Task Version_and_the_heartbeat_answer_as_Ollama_does_also_to_HEAD()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var version = await proxy.Client.GetAsync("/api/version");
        Assert.Equal("0.9.0", (await Requests.JsonAsync(version)).GetProperty("version").GetString());

        using var heartbeat = await proxy.Client.GetAsync("/");
        Assert.Equal("text/plain", heartbeat.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Ollama is running", await heartbeat.Content.ReadAsStringAsync());

        foreach (var path in new[] { "/", "/api/version", "/api/tags" })
        {
            using var head = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }
    }

    [Fact]
    public async Task Tags_lists_the_map_models_and_show_describes_a_model_the_proxy_can_route()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ModelProviderMap = "house-model=stub" });
        using var tags = await proxy.Client.GetAsync("/api/tags");
        var model = Assert.Single((await Requests.JsonAsync(tags)).GetProperty("models").EnumerateArray());
        Assert.Equal("house-model", model.GetProperty("name").GetString());
        Assert.Equal("house-model", model.GetProperty("model").GetString());
        Assert.Equal(0, model.GetProperty("size").GetInt64());
        Assert.Equal("", model.GetProperty("digest").GetString());
        Assert.True(DateTimeOffset.TryParse(model.GetProperty("modified_at").GetString(), CultureInfo.InvariantCulture, out _));
        Assert.Equal(JsonValueKind.Object, model.GetProperty("details").ValueKind);

        // The stub answers every model, so every name is known; "name" is the older spelling of "model".
        foreach (var body in new[] { """{"model":"house-model"}""", """{"name":"anything-else"}""" })
        {
            using var show = await proxy.Client.SendAsync(OllamaHttp.Post("/api/show", body));
            Assert.Equal(HttpStatusCode.OK, show.StatusCode);
            var shown = await Requests.JsonAsync(show);
            Assert.Equal(["completion"], shown.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
            Assert.Equal(JsonValueKind.Object, shown.GetProperty("model_info").ValueKind);
        }

        using var nameless = await proxy.Client.SendAsync(OllamaHttp.Post("/api/show", "{}"));
        Assert.Equal(HttpStatusCode.BadRequest, nameless.StatusCode);
        Assert.Equal("model is required", await OllamaHttp.ErrorAsync(nameless));
    }

    [Fact]
    public async Task Ps_is_empty_when_nothing_is_in_flight()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var warm = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", OllamaHttp.Chat));
        await warm.Content.ReadAsStringAsync();
        using var ps = await proxy.Client.GetAsync("/api/ps");
        Assert.Equal(0, (await Requests.JsonAsync(ps)).GetProperty("models").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/chat", """{"model":"llama3"}""", "load")]
    [InlineData("/api/chat", """{"model":"llama3","messages":[],"keep_alive":0}""", "unload")]
    [InlineData("/api/generate", """{"model":"llama3"}""", "load")]
    [InlineData("/api/generate", """{"model":"llama3","keep_alive":0,"stream":true}""", "unload")]
    public async Task The_load_and_unload_calls_are_answered_without_an_upstream_call(string path, string body, string reason)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(OllamaHttp.Post(path, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var answer = await Requests.JsonAsync(response);
        Assert.True(answer.GetProperty("done").GetBoolean());
        Assert.Equal(reason, answer.GetProperty("done_reason").GetString());

        var metrics = await (await proxy.Client.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("llm_requests_total{provider=\"stub\",model=\"llama3\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embed_load_calls_are_answered_and_the_stub_refuses_real_embeddings_with_advice()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var load = await proxy.Client.SendAsync(OllamaHttp.Post("/api/embed", """{"model":"nomic"}"""));
        var loaded = await Requests.JsonAsync(load);
        Assert.Equal("nomic", loaded.GetProperty("model").GetString());
        Assert.Equal(0, loaded.GetProperty("embeddings").GetArrayLength());
        using var legacyLoad = await proxy.Client.SendAsync(OllamaHttp.Post("/api/embeddings", """{"model":"nomic","prompt":""}"""));
        Assert.Equal(0, (await Requests.JsonAsync(legacyLoad)).GetProperty("embedding").GetArrayLength());

        using var embed = await proxy.Client.SendAsync(OllamaHttp.Post("/api/embed", """{"model":"nomic","input":["a","b"]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, embed.StatusCode);
        Assert.Contains("MODEL_PROVIDER_MAP", await OllamaHttp.ErrorAsync(embed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ollama_requests_are_counted_in_the_http_and_llm_metrics_under_their_route()
    {
        // A model is a label value once the configuration names it (docs/operations.md, Metrics).
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ModelProviderMap = "llama3=stub" });
        for (var i = 0; i < 2; i++)
        {
            using var response = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", OllamaHttp.Chat));
            await response.Content.ReadAsStringAsync();
        }
        using var generate = await proxy.Client.SendAsync(OllamaHttp.Post("/api/generate", """{"model":"llama3","prompt":"a b","stream":false}"""));
        using var bad = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", """{"model":"llama3","messages":7}"""));

        var text = await (await proxy.Client.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/api/chat\",status=\"200\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/api/chat\",status=\"400\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/api/generate\",status=\"200\"} 1\n", text, StringComparison.Ordinal);
        // The bad body reached no provider: three LLM requests, with the tokens the stub counted (3+3+2 in, 2 each out).
        Assert.Contains("llm_requests_total{provider=\"stub\",model=\"llama3\",status=\"200\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_prompt_tokens_total{provider=\"stub\",model=\"llama3\"} 8\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_completion_tokens_total{provider=\"stub\",model=\"llama3\"} 6\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_description_documents_the_Ollama_routes_with_bodies_streams_and_errors()
    {
        await using var proxy = await TestProxy.StartAsync();
        var doc = await Requests.JsonAsync(await proxy.Client.GetAsync("/openapi.json"));
        var paths = doc.GetProperty("paths");
        foreach (var (path, method) in new[] { ("/api/chat", "post"), ("/api/generate", "post"), ("/api/embed", "post"), ("/api/embeddings", "post"),
            ("/api/show", "post"), ("/api/tags", "get"), ("/api/ps", "get"), ("/api/version", "get") })
        {
            var operation = paths.GetProperty(path).GetProperty(method);
            var responses = operation.GetProperty("responses");
            Assert.True(Resolve(doc, responses.GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema"))
                .TryGetProperty("properties", out _), $"{path} has no answer schema");
            foreach (var status in new[] { "401", "429" })
            {
                var error = Resolve(doc, responses.GetProperty(status).GetProperty("content").GetProperty("application/json").GetProperty("schema"));
                Assert.Equal("string", error.GetProperty("properties").GetProperty("error").GetProperty("type").GetString());
            }
            if (method == "post")
            {
                var request = Resolve(doc, operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
                Assert.True(request.GetProperty("properties").TryGetProperty("model", out _), $"{path} documents no model");
                Assert.True(responses.TryGetProperty("400", out _));
            }
        }
        var chat = paths.GetProperty("/api/chat").GetProperty("post");
        var chatRequest = Resolve(doc, chat.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(chatRequest.GetProperty("properties").TryGetProperty("messages", out _));
        // Only the model is required: an Ollama request may leave out everything else (no messages is the load call).
        Assert.Equal(["model"], chatRequest.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.True(chat.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/x-ndjson", out _));
    }

    private static JsonElement Resolve(JsonElement doc, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            return doc.GetProperty("components").GetProperty("schemas").GetProperty(name);
        }
        return schema;
    }
}

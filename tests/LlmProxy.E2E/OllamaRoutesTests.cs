using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// Ollama's native API on the real binary (docs/ollama.md; AOT: the translators, the NDJSON writer and the schema
/// context as shipped): over the stub, in key mode, and in front of an OpenAI-compatible upstream.
/// </summary>
public class OllamaRoutesTests
{
    private const string Chat = """{"model":"llama3","messages":[{"role":"user","content":"one two three"}]}""";

    private static HttpRequestMessage Post(string path, string body, string? contentType = "application/json", string? authorization = null) =>
        Http.Post(path, body, contentType, authorization);

    private static List<JsonElement> Lines(string body)
    {
        Assert.EndsWith("\n", body, StringComparison.Ordinal);
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        }).ToList();
    }

    private static string Text(IEnumerable<JsonElement> lines) => string.Concat(lines.Select(l =>
        l.TryGetProperty("message", out var m) ? m.GetProperty("content").GetString() : l.GetProperty("response").GetString()));

    private static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        var property = Assert.Single((await Http.JsonAsync(response)).EnumerateObject());
        Assert.Equal("error", property.Name);
        return property.Value.GetString()!;
    }

    private static string Chunk(string content) =>
        $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"{{content}}"},"finish_reason":null}]}""";

    private static async Task WriteEventAsync(HttpContext context, string payload)
    {
        await context.Response.WriteAsync($"data: {payload}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static Task<ProxyProcess> StartInFrontOfAsync(FakeUpstream upstream) => ProxyProcess.StartAsync(new Dictionary<string, string>
    {
        ["LLM_PROVIDER"] = "ollama",
        ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
    });

    [Fact]
    public async Task Over_the_stub_the_Ollama_routes_answer_as_Ollama_does_with_no_Authorization()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["MODEL_PROVIDER_MAP"] = "house-model=stub" });

        using var heartbeat = await proxy.Client.GetAsync("");
        Assert.Equal("Ollama is running", await heartbeat.Content.ReadAsStringAsync());
        using var version = await proxy.Client.GetAsync("api/version");
        Assert.Equal("0.9.0", (await Http.JsonAsync(version)).GetProperty("version").GetString());
        using var tags = await proxy.Client.GetAsync("api/tags");
        Assert.Equal("house-model", (await Http.JsonAsync(tags)).GetProperty("models")[0].GetProperty("name").GetString());
        using var show = await proxy.Client.SendAsync(Post("api/show", """{"model":"house-model"}"""));
        Assert.Equal("completion", (await Http.JsonAsync(show)).GetProperty("capabilities")[0].GetString());

        using var stream = await proxy.Client.SendAsync(Post("api/chat", Chat));
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("application/x-ndjson", stream.Content.Headers.ContentType?.MediaType);
        var lines = Lines(await stream.Content.ReadAsStringAsync());
        Assert.Equal("stub response", Text(lines));
        Assert.Single(lines, l => l.GetProperty("done").GetBoolean());
        Assert.Equal(3, lines[^1].GetProperty("prompt_eval_count").GetInt32());
        Assert.Equal(2, lines[^1].GetProperty("eval_count").GetInt32());

        // curl -d sends application/x-www-form-urlencoded; Ollama reads the body anyway, and so does the proxy.
        using var curl = await proxy.Client.SendAsync(Post("api/generate", """{"model":"llama3","prompt":"hi","stream":false}""", "application/x-www-form-urlencoded"));
        Assert.Equal("stub response", (await Http.JsonAsync(curl)).GetProperty("response").GetString());
    }

    [Fact]
    public async Task Every_error_under_api_is_Ollamas_error_object_with_its_status()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["MAX_REQUEST_BYTES"] = "300" });

        using var badBody = await proxy.Client.SendAsync(Post("api/chat", """{"model":"m","messages":[{"role":"user","content":"x","images":["%%%"]}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, badBody.StatusCode);
        Assert.Contains("messages[0].images[0]", await ErrorAsync(badBody), StringComparison.Ordinal);

        using var unknown = await proxy.Client.GetAsync("api/pull");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.NotEmpty(await ErrorAsync(unknown));
        Assert.NotEmpty(Http.RequestId(unknown));

        using var wrongMethod = await proxy.Client.DeleteAsync("api/tags");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.NotEmpty(await ErrorAsync(wrongMethod));

        using var tooLarge = await proxy.Client.SendAsync(Post("api/generate", $$"""{"model":"m","prompt":"{{new string('x', 400)}}"}"""));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.NotEmpty(await ErrorAsync(tooLarge));

        var fromPage = Post("api/chat", Chat, "text/plain");
        fromPage.Headers.Add("Origin", "http://localhost:3000");
        using var pageText = await proxy.Client.SendAsync(fromPage);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, pageText.StatusCode);
        Assert.NotEmpty(await ErrorAsync(pageText));
    }

    [Fact]
    public async Task With_API_keys_an_Ollama_client_needs_a_bearer_key()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["PROXY_API_KEYS"] = "sk-e2e-ollama" });
        using var anonymous = await proxy.Client.SendAsync(Post("api/chat", Chat));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.DoesNotContain("sk-e2e-ollama", await ErrorAsync(anonymous), StringComparison.Ordinal);
        using var keyed = await proxy.Client.SendAsync(Post("api/chat", Chat, authorization: "Bearer sk-e2e-ollama"));
        Assert.Equal(HttpStatusCode.OK, keyed.StatusCode);
        Assert.Equal("stub response", Text(Lines(await keyed.Content.ReadAsStringAsync())));
    }

    [Fact]
    public async Task In_front_of_an_upstream_lines_arrive_live_and_a_failure_mid_stream_is_the_last_line()
    {
        var clock = Stopwatch.StartNew();
        var secondSentAt = TimeSpan.MaxValue;
        var firstReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await WriteEventAsync(context, Chunk("first "));
            await Task.WhenAny(firstReceived.Task, Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted));
            secondSentAt = clock.Elapsed;
            await WriteEventAsync(context, Chunk("second"));
            await WriteEventAsync(context, """{"error":{"message":"the model runner crashed","type":"server_error"}}""");
        });
        await using var proxy = await StartInFrontOfAsync(upstream);

        using var response = await proxy.Client.SendAsync(Post("api/generate", """{"model":"llama3","prompt":"go"}"""), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync();
        var firstAt = clock.Elapsed;
        firstReceived.TrySetResult();
        var rest = (await reader.ReadToEndAsync()) is var tail ? Lines(tail) : [];

        Assert.True(firstAt < secondSentAt, $"first line at {firstAt.TotalMilliseconds} ms, second event sent at {secondSentAt.TotalMilliseconds} ms");
        Assert.Equal("first ", Lines(first + "\n")[0].GetProperty("response").GetString());
        Assert.Equal(2, rest.Count);
        Assert.Equal("second", rest[0].GetProperty("response").GetString());
        Assert.Equal("the model runner crashed", Assert.Single(rest[1].EnumerateObject()).Value.GetString());
    }

    [Fact]
    public async Task In_front_of_an_upstream_an_unknown_model_is_404_and_a_tool_call_arrives_whole()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = async context =>
        {
            // The fake has read the body already (to record it): the last request recorded is this one.
            using var body = JsonDocument.Parse(upstream.Requests.Last().Body);
            if (body.RootElement.GetProperty("model").GetString() == "ghost")
            {
                context.Response.StatusCode = 404;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"error":{"message":"model \"ghost\" not found, try pulling it first","type":"api_error"}}""");
                return;
            }
            context.Response.ContentType = "text/event-stream";
            await WriteEventAsync(context, """{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"add","arguments":"{\"a\":"}}]},"finish_reason":null}]}""");
            await WriteEventAsync(context, """{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"2,\"b\":3}"}}]},"finish_reason":"tool_calls"}]}""");
            await WriteEventAsync(context, "[DONE]");
        };
        await using var proxy = await StartInFrontOfAsync(upstream);

        using var ghost = await proxy.Client.SendAsync(Post("api/chat", """{"model":"ghost","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.NotFound, ghost.StatusCode);
        Assert.Equal("model 'ghost' not found", await ErrorAsync(ghost));

        using var tools = await proxy.Client.SendAsync(Post("api/chat", """{"model":"llama3","messages":[{"role":"user","content":"2+3?"}],"tools":[{"type":"function","function":{"name":"add"}}]}"""));
        var lines = Lines(await tools.Content.ReadAsStringAsync());
        var call = Assert.Single(lines, l => l.GetProperty("message").TryGetProperty("tool_calls", out _)).GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal("add", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(5, call.GetProperty("function").GetProperty("arguments").GetProperty("a").GetInt32() + call.GetProperty("function").GetProperty("arguments").GetProperty("b").GetInt32());
        Assert.True(lines[^1].GetProperty("done").GetBoolean());
    }

    [Fact]
    public async Task The_api_description_of_the_binary_has_the_Ollama_routes()
    {
        await using var proxy = await ProxyProcess.StartAsync();
        using var response = await proxy.Client.GetAsync("openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = await Http.JsonAsync(response);
        var chat = doc.GetProperty("paths").GetProperty("/api/chat").GetProperty("post");
        Assert.True(chat.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/x-ndjson", out _));
        var request = chat.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.True(request.GetProperty("properties").TryGetProperty("messages", out _));
        // Only the model is required: an Ollama request may leave out everything else.
        Assert.Equal(["model"], request.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.True(doc.GetProperty("components").GetProperty("schemas").TryGetProperty("OllamaChatResponseBody", out _));
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/tags", out _));
    }
}

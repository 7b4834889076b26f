using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Doors.Anthropic;

/// <summary>
/// The /v1/messages routes in the app (docs/anthropic.md): over the stub, auth by x-api-key or Bearer, every edge error
/// in Anthropic's shape, count_tokens, and their API description.
/// </summary>
public class AnthropicRoutesTests
{
    internal const string Hello = """{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"one two three"}]}""";
    internal const string HelloStream = """{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"one two three"}]}""";

    internal static HttpRequestMessage Post(string path, string body, string? apiKey = "sk-ant-test", string? authorization = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        }
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return request;
    }

    /// <summary>Asserts Anthropic's error shape with the expected type and returns the message.</summary>
    internal static async Task<string> AssertAnthropicErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.Equal(type, root.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(Requests.RequestId(response), root.GetProperty("request_id").GetString());
        var message = root.GetProperty("error").GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message!;
    }

    [Fact]
    public async Task Messages_over_the_stub_is_an_Anthropic_message_with_the_stub_text_and_the_query_string_is_ignored()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Post("/v1/messages?beta=true", Hello));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = await Requests.JsonAsync(response);
        Assert.Equal("msg_" + Requests.RequestId(response), message.GetProperty("id").GetString());
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("claude-sonnet-4-5", message.GetProperty("model").GetString());
        var content = message.GetProperty("content");
        Assert.Equal(1, content.GetArrayLength());
        Assert.Equal("text", content[0].GetProperty("type").GetString());
        Assert.Equal("stub response", content[0].GetProperty("text").GetString());
        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
        // The stub counts words: "one two three" in, "stub response" out.
        Assert.Equal(3, message.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal(2, message.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_over_the_stub_is_Anthropics_event_sequence_ending_in_one_message_stop()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Post("/v1/messages?beta=true", HelloStream));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        var events = SseTestEvents.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            SseTestEvents.Types(events));
        var message = SdkStyleAccumulator.Accumulate(events);
        Assert.Equal("stub response", (string)message["content"]![0]!["text"]!);
        Assert.Equal("end_turn", (string)message["stop_reason"]!);
        Assert.Equal(3, (int)message["usage"]!["input_tokens"]!);
        Assert.Equal(2, (int)message["usage"]!["output_tokens"]!);
        Assert.Equal("msg_" + Requests.RequestId(response), (string)message["id"]!);
    }

    [Fact]
    public async Task Requests_are_counted_like_v1_with_route_model_provider_and_the_upstreams_tokens()
    {
        // A model is a label value once the configuration names it (docs/operations.md, Metrics).
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ModelProviderMap = "claude-sonnet-4-5=stub" });
        (await proxy.Client.SendAsync(Post("/v1/messages", Hello))).Dispose();
        (await proxy.Client.SendAsync(Post("/v1/messages", HelloStream))).Dispose();
        var metrics = await proxy.Client.GetStringAsync("/metrics");
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/v1/messages\",status=\"200\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_requests_total{provider=\"stub\",model=\"claude-sonnet-4-5\",status=\"200\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_prompt_tokens_total{provider=\"stub\",model=\"claude-sonnet-4-5\"} 6", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_completion_tokens_total{provider=\"stub\",model=\"claude-sonnet-4-5\"} 4", metrics, StringComparison.Ordinal);
        Assert.Contains("llm_streams_in_flight 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_request_log_has_the_route_model_and_provider_and_never_the_x_api_key_or_the_content()
    {
        const string key = "sk-proxy-log-secret";
        const string content = "private words of the user";
        var logs = new CapturingLoggerProvider();
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { LogRequests = true, LogLevel = "DEBUG", ApiKeys = [key] },
            builder => builder.Logging.AddProvider(logs));
        var body = HelloStream.Replace("one two three", content, StringComparison.Ordinal);
        using (var streamed = await proxy.Client.SendAsync(Post("/v1/messages?beta=true", body, apiKey: key)))
        {
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
            await streamed.Content.ReadAsStringAsync();
        }
        using (var refused = await proxy.Client.SendAsync(Post("/v1/messages", body, apiKey: key + "-wrong")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var lines = logs.Entries.Where(e => e.Category == LlmProxy.Http.RequestLog.Category).ToList();
        Assert.Equal(2, lines.Count);
        var line = lines.Single(l => Equals(l.State["Status"], 200)).State;
        Assert.Equal("/v1/messages", line["Path"]);
        Assert.Equal("claude-sonnet-4-5", line["Model"]);
        Assert.Equal("stub", line["Provider"]);
        Assert.Single(lines, l => Equals(l.State["Status"], 401));
        foreach (var entry in logs.Entries)
        {
            var text = entry.Message + " " + string.Join(" ", entry.State.Select(p => $"{p.Key}={p.Value}")) + " " + entry.Exception;
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
            Assert.DoesNotContain(content, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Count_tokens_answers_the_documented_estimate_and_needs_no_max_tokens()
    {
        const string body = """{"model":"claude-haiku-4-5","system":"Be brief.","messages":[{"role":"user","content":"How many tokens is this sentence, roughly?"}],"tools":[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}""";
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Post("/v1/messages/count_tokens?beta=true", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await Requests.JsonAsync(response);
        Assert.Equal(["input_tokens"], answer.EnumerateObject().Select(p => p.Name));
        var expected = AnthropicTestJson.Parse(body, requireMaxTokens: false).EstimateInputTokens();
        Assert.Equal(expected, answer.GetProperty("input_tokens").GetInt32());
        // The texts as the client wrote them, quotes included: system 11 + message 44 + tool name 13, description 20 and
        // schema 57 = 145 bytes / 4 → 37; plus the template markers of the system and the user message (4 each) and the tool (8).
        Assert.Equal(53, expected);

        using var invalid = await proxy.Client.SendAsync(Post("/v1/messages/count_tokens", """{"model":"m","messages":[{"role":"robot","content":"x"}]}"""));
        Assert.Contains("messages.0.role", await AssertAnthropicErrorAsync(invalid, HttpStatusCode.BadRequest, "invalid_request_error"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x-api-key")]
    [InlineData("bearer")]
    public async Task Without_keys_configured_either_x_api_key_or_an_Authorization_header_is_enough(string credential)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(credential == "x-api-key"
            ? Post("/v1/messages", Hello, apiKey: "anything")
            : Post("/v1/messages", Hello, apiKey: null, authorization: "Bearer anything"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/v1/messages")]
    [InlineData("/v1/messages/count_tokens")]
    public async Task No_credential_is_401_authentication_error_naming_both_headers(string path)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Post(path, Hello, apiKey: null));
        var message = await AssertAnthropicErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
        Assert.Contains("x-api-key", message, StringComparison.Ordinal);
        Assert.Contains("Authorization", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_keys_configured_a_key_in_x_api_key_or_as_Bearer_is_accepted_and_anything_else_is_401()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { ApiKeys = ["proxy-key-1"] });
        using (var byHeader = await proxy.Client.SendAsync(Post("/v1/messages", Hello, apiKey: "proxy-key-1")))
        {
            Assert.Equal(HttpStatusCode.OK, byHeader.StatusCode);
        }
        using (var byBearer = await proxy.Client.SendAsync(Post("/v1/messages", Hello, apiKey: null, authorization: "Bearer proxy-key-1")))
        {
            Assert.Equal(HttpStatusCode.OK, byBearer.StatusCode);
        }
        // Claude Code sends both when ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN are set: one good key is enough.
        using (var both = await proxy.Client.SendAsync(Post("/v1/messages", Hello, apiKey: "sk-ant-real-anthropic-key", authorization: "Bearer proxy-key-1")))
        {
            Assert.Equal(HttpStatusCode.OK, both.StatusCode);
        }
        using (var wrong = await proxy.Client.SendAsync(Post("/v1/messages", Hello, apiKey: "proxy-key-2")))
        {
            var message = await AssertAnthropicErrorAsync(wrong, HttpStatusCode.Unauthorized, "authentication_error");
            Assert.DoesNotContain("proxy-key-2", message, StringComparison.Ordinal);
        }
        // x-api-key is the Anthropic routes' header only: the OpenAI routes still want Bearer.
        using var openAi = await proxy.Client.SendAsync(Post("/v1/chat/completions", Requests.ValidChat, apiKey: "proxy-key-1"));
        Assert.Equal(HttpStatusCode.Unauthorized, openAi.StatusCode);
        Assert.Equal("invalid_api_key", (await Requests.JsonAsync(openAi)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Edge_errors_under_v1_messages_are_in_Anthropics_shape_while_v1_keeps_the_OpenAI_envelope()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { MaxRequestBytes = 2048 });

        using var unknown = await proxy.Client.SendAsync(Post("/v1/messages/batches", Hello));
        await AssertAnthropicErrorAsync(unknown, HttpStatusCode.NotFound, "not_found_error");

        using var get = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1/messages") { Headers = { { "x-api-key", "k" } } });
        await AssertAnthropicErrorAsync(get, HttpStatusCode.MethodNotAllowed, "invalid_request_error");

        using var text = await proxy.Client.SendAsync(Post("/v1/messages", Hello, contentType: "text/plain"));
        Assert.Contains("application/json", await AssertAnthropicErrorAsync(text, HttpStatusCode.UnsupportedMediaType, "invalid_request_error"), StringComparison.Ordinal);

        var big = Hello.Replace("one two three", new string('a', 4000), StringComparison.Ordinal);
        using var tooLarge = await proxy.Client.SendAsync(Post("/v1/messages", big));
        await AssertAnthropicErrorAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "request_too_large");

        using var invalid = await proxy.Client.SendAsync(Post("/v1/messages", """{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal("max_tokens: Field required", await AssertAnthropicErrorAsync(invalid, HttpStatusCode.BadRequest, "invalid_request_error"));

        using var notJson = await proxy.Client.SendAsync(Post("/v1/messages", """{"model":"m",""", apiKey: "k"));
        await AssertAnthropicErrorAsync(notJson, HttpStatusCode.BadRequest, "invalid_request_error");

        using var openAi = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", "{}", contentType: "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, openAi.StatusCode);
        Assert.Equal(JsonValueKind.Object, (await Requests.JsonAsync(openAi)).GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task The_rate_limit_applies_and_its_429_is_a_rate_limit_error_with_Retry_After()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { RateLimitEnabled = true, RateLimitMaxRequests = 1, RateLimitWindowSeconds = 60 });
        using (var first = await proxy.Client.SendAsync(Post("/v1/messages/count_tokens", Hello)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using var limited = await proxy.Client.SendAsync(Post("/v1/messages", Hello));
        await AssertAnthropicErrorAsync(limited, HttpStatusCode.TooManyRequests, "rate_limit_error");
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal("1", limited.Headers.GetValues("X-RateLimit-Limit").Single());
    }

    [Fact]
    public async Task The_openapi_document_describes_both_routes_with_request_and_response_schemas_and_x_api_key()
    {
        await using var proxy = await TestProxy.StartAsync();
        var doc = await Requests.JsonAsync(await proxy.Client.GetAsync("/openapi.json"));
        var paths = doc.GetProperty("paths");

        var messages = paths.GetProperty("/v1/messages").GetProperty("post");
        var request = Resolve(doc, messages.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        foreach (var field in new[] { "model", "messages", "max_tokens", "system", "tools", "tool_choice", "stream", "stop_sequences" })
        {
            Assert.True(request.GetProperty("properties").TryGetProperty(field, out _), $"the request schema has no {field}");
        }
        var ok = messages.GetProperty("responses").GetProperty("200").GetProperty("content");
        var message = Resolve(doc, ok.GetProperty("application/json").GetProperty("schema"));
        foreach (var field in new[] { "id", "content", "stop_reason", "usage" })
        {
            Assert.True(message.GetProperty("properties").TryGetProperty(field, out _), $"the message schema has no {field}");
        }
        Assert.True(Resolve(doc, ok.GetProperty("text/event-stream").GetProperty("schema")).GetProperty("properties").TryGetProperty("delta", out _));
        foreach (var status in new[] { "400", "401", "404", "413", "415", "429", "502", "503", "504" })
        {
            var schema = Resolve(doc, messages.GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/json").GetProperty("schema"));
            var error = Resolve(doc, schema.GetProperty("properties").GetProperty("error"));
            Assert.True(error.GetProperty("properties").TryGetProperty("type", out _), $"{status} of /v1/messages is not Anthropic's error shape");
            Assert.True(schema.GetProperty("properties").TryGetProperty("request_id", out _));
        }
        var schemes = messages.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToList();
        Assert.Contains("bearer", schemes);
        Assert.Contains("x-api-key", schemes);
        var apiKeyScheme = doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("x-api-key");
        Assert.Equal("apiKey", apiKeyScheme.GetProperty("type").GetString());
        Assert.Equal("header", apiKeyScheme.GetProperty("in").GetString());
        Assert.Equal("x-api-key", apiKeyScheme.GetProperty("name").GetString());

        var count = paths.GetProperty("/v1/messages/count_tokens").GetProperty("post");
        var countRequest = Resolve(doc, count.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.False(countRequest.GetProperty("properties").TryGetProperty("max_tokens", out _));
        var tokens = Resolve(doc, count.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(tokens.GetProperty("properties").TryGetProperty("input_tokens", out _));
    }

    private static JsonElement Resolve(JsonElement doc, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/').Last();
            return doc.GetProperty("components").GetProperty("schemas").GetProperty(name);
        }
        return schema;
    }
}

using System.Net;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Routing;
using LlmProxy.Tests.Support;
using LlmProxy.Tests.Upstreams;

namespace LlmProxy.Tests.Doors.OpenAi;

/// <summary>The /v1 surface itself (docs/api.md, OpenAI routes): validation, auth, the stub in both modes, /v1/models.</summary>
public class OpenAiApiTests
{
    [Theory]
    [InlineData("""{"messages":[]}""", "model")]
    [InlineData("""{"model":""}""", "model")]
    [InlineData("""{"model":42}""", "model")]
    [InlineData("""{"model":"m","stream":"yes"}""", "stream")]
    public async Task Invalid_bodies_are_400_in_the_OpenAI_envelope_naming_the_parameter(string body, string param)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Requests.JsonAsync(response)).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(param, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"model\":\"m\",")]
    [InlineData("[1,2]")]
    [InlineData("{\"model\":\"m\"} trailing")]
    public async Task Malformed_json_is_400(string body)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/v1/embeddings", body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", (await Requests.JsonAsync(response)).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Wrong_content_type_is_415_and_missing_auth_is_401_in_the_envelope()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var text = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", "{}", contentType: "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.True((await Requests.JsonAsync(text)).GetProperty("error").TryGetProperty("message", out _));

        foreach (var path in new[] { "/v1/chat/completions", "/v1/completions", "/v1/embeddings" })
        {
            using var anonymous = await proxy.Client.SendAsync(Requests.Post(path, """{"model":"m"}""", authorization: null));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("invalid_api_key", (await Requests.JsonAsync(anonymous)).GetProperty("error").GetProperty("code").GetString());
        }
        using var models = await proxy.Client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode);
    }

    [Fact]
    public async Task The_stub_answers_chat_completions_in_both_modes_with_usage_when_asked()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var plain = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", """{"model":"anything","messages":[{"role":"user","content":"one two three"}]}"""));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var body = await Requests.JsonAsync(plain);
        Assert.Equal("stub response", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(3, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        using var stream = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions",
            """{"model":"anything","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"""));
        var events = Requests.SseData(await stream.Content.ReadAsStringAsync());
        Assert.Equal("stub response", Sse.Content(events.Where(e => !e.Contains("\"usage\"", StringComparison.Ordinal))));
        Assert.Equal(["[DONE]"], events.Where(e => e == "[DONE]"));
        using var usage = JsonDocument.Parse(events[^2]);
        Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
        Assert.Equal(3, usage.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());

        using var noUsage = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", """{"model":"anything","stream":true}"""));
        Assert.DoesNotContain("\"usage\"", await noUsage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stub_refuses_embeddings_with_a_message_that_says_what_to_do()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/v1/embeddings", """{"model":"e","input":"x"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("MODEL_PROVIDER_MAP", (await Requests.JsonAsync(response)).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_merges_the_map_and_the_upstream_list_without_duplicates()
    {
        await using var upstream = await FakeUpstream.StartAsync(context => UpstreamErrorMappingTests.Answer(context, 200,
            """{"object":"list","data":[{"id":"llama3:latest","object":"model","created":1700000000,"owned_by":"library"},{"id":"mapped-b"},{"nope":1}]}"""));
        const string map = "mapped-a=stub, mapped-b=ollama, gpt-*=ollama";
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { DefaultProvider = ProviderNames.Stub, ModelProviderMap = map });

        using var response = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models") { Headers = { { "Authorization", "Bearer t" } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("list", body.GetProperty("object").GetString());
        var data = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["llama3:latest", "mapped-b", "mapped-a"], data.Select(d => d.GetProperty("id").GetString()));
        foreach (var entry in data)
        {
            Assert.Equal("model", entry.GetProperty("object").GetString());
            Assert.Equal(JsonValueKind.Number, entry.GetProperty("created").ValueKind);
            Assert.Equal(JsonValueKind.String, entry.GetProperty("owned_by").ValueKind);
        }
        Assert.Equal("library", data[0].GetProperty("owned_by").GetString());
        Assert.Equal("/v1/models", upstream.Requests.Single().Path);
    }

    [Fact]
    public async Task Models_with_an_unreachable_upstream_lists_the_map_only()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var settings = new ProxySettings
        {
            DefaultProvider = ProviderNames.Ollama,
            OpenAiCompatBaseUrl = new Uri($"http://127.0.0.1:{port}/v1/"),
            ModelProviderMap = "llama3=ollama",
            LogLevel = "ERROR",
        };
        await using var proxy = await KestrelProxy.StartAsync(settings);

        using var response = await proxy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models") { Headers = { { "Authorization", "Bearer t" } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await Requests.JsonAsync(response)).GetProperty("data");
        Assert.Equal("llama3", data.EnumerateArray().Single().GetProperty("id").GetString());
    }
}

using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Metrics;
using LlmProxy.Tests.Doors.Anthropic;
using LlmProxy.Tests.Doors.Ollama;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http.Auth;

/// <summary>The keys file through the whole pipeline: per-key models, names in logs and metrics, reloads.</summary>
public sealed class KeysFileAuthTests : IDisposable
{
    private const string Keys = """
        # team keys
        sk-alice-7f3a  name=alice  models=llama3*,qwen2.5:7b
        sk-bob-91c2    name=bob
        sk-anon-55d1   models=llama3
        """;

    private readonly string _keysFile = Path.Combine(Path.GetTempPath(), $"llm-proxy-keys-{Guid.NewGuid():N}.txt");

    public KeysFileAuthTests() => File.WriteAllText(_keysFile, Keys);

    public void Dispose() => File.Delete(_keysFile);

    private static string Chat(string model, bool stream = false) =>
        $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";

    private async Task<(TestProxy Proxy, CapturingLoggerProvider Logs)> StartAsync(ProxySettings? settings = null)
    {
        var logs = new CapturingLoggerProvider();
        var proxy = await TestProxy.StartAsync(
            new ProxySettings(settings ?? new ProxySettings()) { ApiKeysFile = _keysFile, LogRequests = true, ModelProviderMap = "llama3=stub,qwen2.5:7b=stub,mistral=stub" },
            builder => builder.Logging.AddProvider(logs));
        return (proxy, logs);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "llama3")]
    [InlineData("/v1/chat/completions", "llama3.1:8b")]
    [InlineData("/v1/chat/completions", "qwen2.5:7b")]
    [InlineData("/proxy", "llama3:70b")]
    [InlineData("/proxy/stream", "qwen2.5:7b")]
    public async Task A_key_may_use_the_models_on_its_line(string path, string model)
    {
        var (proxy, _) = await StartAsync();
        await using var _proxy = proxy;
        using var response = await proxy.Client.SendAsync(Requests.Post(path, Chat(model), authorization: "Bearer sk-alice-7f3a"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_model_outside_the_key_s_list_is_403_in_the_openai_dialect()
    {
        var (proxy, _) = await StartAsync();
        await using var _proxy = proxy;
        foreach (var stream in new[] { false, true })
        {
            using var response = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", Chat("qwen2.5:72b", stream), authorization: "Bearer sk-alice-7f3a"));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var error = (await Requests.JsonAsync(response)).GetProperty("error");
            Assert.Equal("permission_error", error.GetProperty("type").GetString());
            Assert.Equal("model_not_allowed", error.GetProperty("code").GetString());
            Assert.Equal("model", error.GetProperty("param").GetString());
            Assert.Equal("The API key 'alice' may not use model 'qwen2.5:72b' (its models: llama3*,qwen2.5:7b)", error.GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData("/proxy")]
    [InlineData("/proxy/stream")]
    public async Task A_model_outside_the_key_s_list_is_403_Forbidden_on_the_classic_routes(string path)
    {
        var (proxy, _) = await StartAsync();
        await using var _proxy = proxy;
        using var response = await proxy.Client.SendAsync(Requests.Post(path, Chat("mistral"), authorization: "Bearer sk-anon-55d1"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("Forbidden", body.GetProperty("error").GetString());
        Assert.Contains("may not use model 'mistral'", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(Requests.RequestId(response), body.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task A_key_without_a_list_may_use_every_model_and_v1_models_lists_only_what_a_key_may_use()
    {
        var (proxy, _) = await StartAsync();
        await using var _proxy = proxy;
        using (var bob = await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", Chat("mistral"), authorization: "Bearer sk-bob-91c2")))
        {
            Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        }
        async Task<string[]> ModelsAsync(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
            using var response = await proxy.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return [.. (await Requests.JsonAsync(response)).GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
        }
        Assert.Equal(["llama3", "mistral", "qwen2.5:7b"], await ModelsAsync("sk-bob-91c2"));
        Assert.Equal(["llama3", "qwen2.5:7b"], await ModelsAsync("sk-alice-7f3a"));
        Assert.Equal(["llama3"], await ModelsAsync("sk-anon-55d1"));
    }

    [Fact]
    public async Task The_request_log_and_the_metrics_show_the_key_s_name_never_the_key()
    {
        var (proxy, logs) = await StartAsync();
        await using var _proxy = proxy;
        using (await proxy.Client.SendAsync(Requests.Post("/proxy", Chat("llama3"), authorization: "Bearer sk-alice-7f3a")))
        using (await proxy.Client.SendAsync(Requests.Post("/v1/chat/completions", Chat("mistral"), authorization: "Bearer sk-alice-7f3a")))
        using (await proxy.Client.SendAsync(Requests.Post("/proxy", Chat("llama3"), authorization: "Bearer sk-anon-55d1")))
        {
        }
        var lines = logs.Entries.Where(e => e.Category == RequestLog.Category).ToList();
        Assert.Equal(["alice", "alice", "key-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("sk-anon-55d1"u8))[..12]],
            lines.Select(l => (string?)l.State["Key"]));
        Assert.All(logs.Entries, e => Assert.DoesNotContain("sk-", e.Message + string.Join(" ", e.State.Values), StringComparison.Ordinal));

        using var scrape = await proxy.Client.GetAsync("/metrics");
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.Contains("llm_key_requests_total{key=\"alice\",status=\"200\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_key_requests_total{key=\"alice\",status=\"403\"} 1\n", text, StringComparison.Ordinal);
        // The stub counts words: "hi" in, "stub response" out.
        Assert.Contains("llm_key_tokens_total{key=\"alice\"} 3\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_swaps_the_keys_at_once_and_a_broken_file_keeps_the_old_ones()
    {
        var (proxy, logs) = await StartAsync();
        await using var _proxy = proxy;
        var reloader = proxy.App.Services.GetRequiredService<ApiKeysFileReloader>();
        File.WriteAllText(_keysFile, "sk-carol-0a1b name=carol models=mistral\n");
        Assert.True(reloader.Reload("test"));
        using (var carol = await proxy.Client.SendAsync(Requests.Post("/proxy", Chat("mistral"), authorization: "Bearer sk-carol-0a1b")))
        {
            Assert.Equal(HttpStatusCode.OK, carol.StatusCode);
        }
        using (var alice = await proxy.Client.SendAsync(Requests.Post("/proxy", Chat("llama3"), authorization: "Bearer sk-alice-7f3a")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, alice.StatusCode);
        }

        File.WriteAllText(_keysFile, "sk-dave-77 name=dave rpm=often\n");
        Assert.False(reloader.Reload("test"));
        using (var carol = await proxy.Client.SendAsync(Requests.Post("/proxy", Chat("mistral"), authorization: "Bearer sk-carol-0a1b")))
        {
            Assert.Equal(HttpStatusCode.OK, carol.StatusCode);
        }
        using (var dave = await proxy.Client.SendAsync(Requests.Post("/proxy", Chat("mistral"), authorization: "Bearer sk-dave-77")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, dave.StatusCode);
        }
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Keys not reloaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keys_of_proxy_api_keys_join_the_file_s_and_the_file_is_read_when_the_app_is_built()
    {
        var (proxy, _) = await StartAsync(new ProxySettings { ApiKeys = ["sk-env-key"] });
        await using var _proxy = proxy;
        using var env = await proxy.Client.SendAsync(Requests.Post("/proxy", Chat("mistral"), authorization: "Bearer sk-env-key"));
        Assert.Equal(HttpStatusCode.OK, env.StatusCode);
        using var file = await proxy.Client.SendAsync(Requests.Post("/proxy", Chat("mistral"), authorization: "Bearer sk-bob-91c2"));
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
    }

    [Fact]
    public async Task A_keys_file_broken_between_the_settings_check_and_the_build_stops_the_start_with_exit_2()
    {
        File.WriteAllText(_keysFile, "sk-x name=bad name\n");
        var stderr = new StringWriter();
        var code = await LlmProxy.Hosting.ProxyHost.RunAsync(new ProxySettings { ApiKeysFile = _keysFile, Port = 0 }, stderr);
        Assert.Equal(2, code);
        Assert.StartsWith($"llm-proxy: PROXY_API_KEYS_FILE {_keysFile}, line 1:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_s_models_hold_on_the_Anthropic_door_with_the_key_in_x_api_key()
    {
        var (proxy, _) = await StartAsync();
        await using var _proxy = proxy;
        const string allowed = """{"model":"qwen2.5:7b","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";
        using (var ok = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("/v1/messages", allowed, apiKey: "sk-alice-7f3a")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        const string refused = """{"model":"mistral","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";
        using var response = await proxy.Client.SendAsync(AnthropicRoutesTests.Post("/v1/messages", refused, apiKey: "sk-alice-7f3a"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("permission_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("may not use model 'mistral'", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_s_models_hold_on_the_Ollama_door_and_its_model_list_shows_only_them()
    {
        var (proxy, _) = await StartAsync();
        await using var _proxy = proxy;
        using (var ok = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", """{"model":"llama3","stream":false,"messages":[{"role":"user","content":"hi"}]}""", authorization: "Bearer sk-anon-55d1")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using (var refused = await proxy.Client.SendAsync(OllamaHttp.Post("/api/chat", """{"model":"mistral","stream":false,"messages":[{"role":"user","content":"hi"}]}""", authorization: "Bearer sk-anon-55d1")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("may not use model 'mistral'", (await Requests.JsonAsync(refused)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        using var tags = new HttpRequestMessage(HttpMethod.Get, "/api/tags");
        tags.Headers.TryAddWithoutValidation("Authorization", "Bearer sk-anon-55d1");
        using var list = await proxy.Client.SendAsync(tags);
        var names = (await Requests.JsonAsync(list)).GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Equal(["llama3"], names);
    }
}

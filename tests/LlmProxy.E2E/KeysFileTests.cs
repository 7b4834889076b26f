using System.Diagnostics;
using System.Net;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// PROXY_API_KEYS_FILE with per-key settings on the published binary (docs/replicas.md, "The keys file"): reloads by
/// SIGHUP and by rewrite, a broken file keeping the old keys, a request in flight surviving its key's removal, model
/// lists answered 403 in each dialect, and wrong keys throttled per address.
/// </summary>
public sealed class KeysFileTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("llmproxy-e2e-keys-").FullName;
    private readonly List<IAsyncDisposable> _owned = [];

    private string KeysPath => Path.Combine(_directory, "keys.txt");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<ProxyProcess> StartAsync(string keys, Dictionary<string, string>? extra = null)
    {
        File.WriteAllText(KeysPath, keys);
        var env = new Dictionary<string, string>(extra ?? []) { ["PROXY_API_KEYS_FILE"] = KeysPath, ["LOG_FORMAT"] = "json" };
        var proxy = await ProxyProcess.StartAsync(env);
        _owned.Add(proxy);
        return proxy;
    }

    private static async Task<HttpStatusCode> ChatAsync(ProxyProcess proxy, string key, string path = "proxy", string model = "my-model")
    {
        var body = $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hello"}]}""";
        using var response = await proxy.Client.SendAsync(Http.Post(path, body, authorization: "Bearer " + key));
        return response.StatusCode;
    }

    /// <summary>The messages of the proxy's JSON log lines so far.</summary>
    private static List<string> Messages(ProxyProcess proxy)
    {
        var messages = new List<string>();
        foreach (var line in proxy.StdoutLines.Where(l => l.StartsWith('{')))
        {
            using var document = System.Text.Json.JsonDocument.Parse(line);
            messages.Add(document.RootElement.GetProperty("Message").GetString()!);
        }
        return messages;
    }

    /// <summary>
    /// Waits for a log line, not for a key to work: a client that keeps trying a key the proxy does not have yet would
    /// be throttled for wrong keys after 10 tries.
    /// </summary>
    private static Task WaitForLogAsync(ProxyProcess proxy, string text) =>
        WaitForAsync(() => Task.FromResult(Messages(proxy).Any(m => m.Contains(text, StringComparison.Ordinal))), $"a log line with '{text}'");

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), "timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_rewritten_file_is_picked_up_within_seconds_without_a_restart()
    {
        var proxy = await StartAsync("sk-old-key-0001 name=old\n");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(proxy, "sk-old-key-0001"));
        var clock = Stopwatch.StartNew();
        File.WriteAllText(KeysPath, "sk-new-key-0002 name=new\n# the old key is withdrawn\n");
        await WaitForLogAsync(proxy, "reloaded (file changed): 1 keys");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the change was seen after {clock.Elapsed.TotalSeconds:F1} s (polled every 2 s)");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(proxy, "sk-new-key-0002"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(proxy, "sk-old-key-0001"));
    }

    [Fact]
    public async Task Sighup_reloads_a_change_that_polling_cannot_see()
    {
        var proxy = await StartAsync("sk-aaaa-key-0001 name=aaaa\n");
        var written = File.GetLastWriteTimeUtc(KeysPath);
        // Same length and the same modification time: the 2-second poll sees no change; only SIGHUP reloads it.
        File.WriteAllText(KeysPath, "sk-bbbb-key-0001 name=bbbb\n");
        File.SetLastWriteTimeUtc(KeysPath, written);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(proxy, "sk-aaaa-key-0001"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(proxy, "sk-bbbb-key-0001"));

        proxy.Signal(Posix.SigHup);
        await WaitForLogAsync(proxy, "reloaded (SIGHUP): 1 keys");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(proxy, "sk-bbbb-key-0001"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(proxy, "sk-aaaa-key-0001"));
        Assert.False(proxy.HasExited, "SIGHUP must reload, not end the process");
    }

    [Fact]
    public async Task A_broken_file_keeps_the_old_keys_and_logs_one_error_line_without_the_key()
    {
        var proxy = await StartAsync("sk-good-key-0001 name=good\n");
        File.WriteAllText(KeysPath, "sk-good-key-0001 name=good\nsk-Secret-Pasted-Key rpm=lots\n");
        proxy.Signal(Posix.SigHup);
        await WaitForLogAsync(proxy, "Keys not reloaded");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a few polls more: still one line
        var error = Assert.Single(Messages(proxy), m => m.Contains("Keys not reloaded", StringComparison.Ordinal));
        Assert.Contains("line 2: rpm 'lots' is not a whole number", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret-Pasted", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(proxy, "sk-good-key-0001"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(proxy, "sk-Secret-Pasted-Key"));
        Assert.DoesNotContain(proxy.StdoutLines.Concat(proxy.StderrLines), l => l.Contains("sk-good-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stream_in_flight_finishes_after_its_key_was_removed()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            await Sse.WriteEventAsync(context, Sse.Chunk("before "));
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20), context.RequestAborted);
            await Sse.WriteEventAsync(context, Sse.Chunk("after"));
            await Sse.WriteEventAsync(context, "[DONE]");
        });
        _owned.Add(upstream);
        var proxy = await StartAsync("sk-leaving-key-01 name=leaving\n", new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
        });
        using var response = await proxy.Client.SendAsync(
            Http.Post("v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""", authorization: "Bearer sk-leaving-key-01"),
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Contains("before", await Sse.ReadEventAsync(reader), StringComparison.Ordinal);

        File.WriteAllText(KeysPath, "sk-staying-key-2 name=staying\n");
        proxy.Signal(Posix.SigHup);
        await WaitForLogAsync(proxy, "reloaded (SIGHUP)");
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(proxy, "sk-leaving-key-01"));

        release.SetResult();
        var rest = new List<string>();
        while (await Sse.ReadEventAsync(reader) is { } e)
        {
            rest.Add(e);
        }
        Assert.Contains(rest, e => e.Contains("after", StringComparison.Ordinal));
        Assert.Equal("[DONE]", rest[^1]);
    }

    [Fact]
    public async Task A_model_outside_the_key_s_list_is_403_in_the_openai_and_the_classic_dialects()
    {
        var proxy = await StartAsync("sk-llama-only-01 name=llama-team models=llama3*\n");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(proxy, "sk-llama-only-01", model: "llama3.2:3b"));

        using var v1 = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", """{"model":"qwen2.5","messages":[{"role":"user","content":"hi"}]}""", authorization: "Bearer sk-llama-only-01"));
        Assert.Equal(HttpStatusCode.Forbidden, v1.StatusCode);
        var error = (await Http.JsonAsync(v1)).GetProperty("error");
        Assert.Equal("permission_error", error.GetProperty("type").GetString());
        Assert.Equal("model_not_allowed", error.GetProperty("code").GetString());

        foreach (var path in new[] { "proxy", "proxy/stream" })
        {
            using var classic = await proxy.Client.SendAsync(Http.Post(path, """{"model":"qwen2.5","messages":[{"role":"user","content":"hi"}]}""", authorization: "Bearer sk-llama-only-01"));
            Assert.Equal(HttpStatusCode.Forbidden, classic.StatusCode);
            var body = await Http.JsonAsync(classic);
            Assert.Equal("Forbidden", body.GetProperty("error").GetString());
            Assert.Contains("'llama-team' may not use model 'qwen2.5'", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Twelve_wrong_keys_from_one_address_are_ten_401s_then_429s_even_for_the_right_key()
    {
        var proxy = await StartAsync("sk-right-key-0001 name=right\n");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add(await ChatAsync(proxy, $"sk-guess-{i:D4}"));
        }
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 10).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)), statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, await ChatAsync(proxy, "sk-right-key-0001"));
        using var other = LoopbackClient.From("127.0.0.2", proxy.BaseUrl);
        using var fromElsewhere = await other.SendAsync(Http.Post("proxy", Http.ValidChat, authorization: "Bearer sk-right-key-0001"));
        Assert.Equal(HttpStatusCode.OK, fromElsewhere.StatusCode);
        var scrape = await proxy.Client.GetStringAsync("metrics");
        Assert.Contains("\nllm_rate_limited_requests_total{reason=\"failed_auth\"} 3\n", scrape, StringComparison.Ordinal);
    }
}

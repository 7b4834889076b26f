using System.Net;
using System.Text.Json;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// LOG_REQUESTS and LOG_LEVEL on the real binary (docs/operations.md, Logs), secrets kept out of every log line (and of
/// every answer, /healthz, /metrics, /ui and /ui/stats.json included), and
/// the one final status the log and the metrics share.
/// </summary>
public class RequestLogTests
{
    private const string ProxyKey = "sk-proxy-5ecret-e2e-a1";
    private const string WrongKey = "sk-wrong-5ecret-e2e-b2";
    private const string UpstreamKey = "sk-upstream-5ecret-e2e-c3";
    private const string Content = "my confidential prompt e2e 9f8e";

    [Fact]
    public async Task At_debug_the_logs_answers_metrics_health_and_dashboard_hold_no_secret_or_message_content()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LOG_REQUESTS"] = "true",
            ["LOG_LEVEL"] = "debug",
            ["PROXY_API_KEYS"] = ProxyKey,
            ["OPENAI_COMPAT_API_KEY"] = UpstreamKey,
            ["RATE_LIMIT_ENABLED"] = "true",
            ["RATE_LIMIT_MAX_REQUESTS"] = "5",
        });
        var chat = $$"""{"model":"model-e2e","messages":[{"role":"user","content":"{{Content}}"}]}""";
        var invalid = $$"""{"model":"","messages":[{"role":"nobody","content":"{{Content}}"}]}""";
        var sent = new (string Path, string Body, string? Auth, int Status)[]
        {
            ("proxy", chat, "Bearer " + ProxyKey, 200),
            ("proxy/stream", chat, "Bearer " + ProxyKey, 200),
            ("proxy", chat, "Bearer " + WrongKey, 401),
            ("proxy", chat, WrongKey, 401),
            ("proxy", invalid, "Bearer " + ProxyKey, 422),
            ("proxy", "{\"model\":\"" + Content, "Bearer " + ProxyKey, 400),
            ("proxy", chat, "Bearer " + ProxyKey, 200),
            ("proxy", chat, "Bearer " + ProxyKey, 429),
        };
        var answers = new List<string>();
        foreach (var (path, body, auth, status) in sent)
        {
            using var response = await proxy.Client.SendAsync(Http.Post(path, body, authorization: auth));
            // The error bodies too: a 401 names the problem, never the key it refused.
            answers.Add($"{path} {status}: {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(status, (int)response.StatusCode);
        }
        // What anyone may read without a key: health, metrics, the dashboard and its figures (which list the requests above).
        foreach (var page in new[] { "healthz", "metrics", "ui", "ui/stats.json", "openapi.json" })
        {
            using var response = await proxy.Client.GetAsync(page);
            Assert.Equal(200, (int)response.StatusCode);
            answers.Add($"{page}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Contains(answers, a => a.StartsWith("ui/stats.json: ", StringComparison.Ordinal) && a.Contains("\"model\":\"model-e2e\"", StringComparison.Ordinal));
        foreach (var answer in answers)
        {
            // "Bearer" alone is no secret in an answer: the 401 says which form the header must have.
            foreach (var secret in new[] { ProxyKey, WrongKey, UpstreamKey, Content })
            {
                Assert.False(answer.Contains(secret, StringComparison.Ordinal), $"an answer holds '{secret}': {answer}");
            }
        }
        Assert.Equal(0, await proxy.TerminateAsync(TimeSpan.FromSeconds(30)));

        var stdout = proxy.StdoutLines.ToList();
        var all = stdout.Concat(proxy.StderrLines).ToList();
        // DEBUG really was on (the framework's own debug lines are there), so the absence below means something.
        Assert.Contains(stdout, l => l.Contains("\"LogLevel\":\"Debug\"", StringComparison.Ordinal));
        foreach (var line in all)
        {
            foreach (var secret in new[] { ProxyKey, WrongKey, UpstreamKey, Content, "Bearer" })
            {
                Assert.False(line.Contains(secret, StringComparison.Ordinal), $"a log line holds '{secret}': {line}");
            }
        }

        var requests = new List<JsonElement>();
        foreach (var line in stdout)
        {
            using var doc = JsonDocument.Parse(line);
            // The start-up /healthz probes of the test harness are logged too; the requests under test are the /proxy ones.
            if (doc.RootElement.GetProperty("Category").GetString() == "LlmProxy.RequestLog"
                && doc.RootElement.GetProperty("State").GetProperty("Path").GetString()!.StartsWith("/proxy", StringComparison.Ordinal))
            {
                requests.Add(doc.RootElement.Clone());
            }
        }
        Assert.Equal(sent.Length, requests.Count);
        for (var i = 0; i < sent.Length; i++)
        {
            var entry = requests[i];
            Assert.Equal("Information", entry.GetProperty("LogLevel").GetString());
            Assert.True(DateTimeOffset.TryParse(entry.GetProperty("Timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
            var state = entry.GetProperty("State");
            Assert.Equal("POST", state.GetProperty("Method").GetString());
            Assert.Equal("/" + sent[i].Path, state.GetProperty("Path").GetString());
            Assert.Equal(sent[i].Status.ToString(System.Globalization.CultureInfo.InvariantCulture), state.GetProperty("Status").ToString());
            Assert.Equal(32, state.GetProperty("RequestId").GetString()!.Length);
            Assert.True(double.Parse(state.GetProperty("DurationMs").ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 0);
            Assert.Equal("127.0.0.1", state.GetProperty("Client").GetString());
        }
        Assert.Equal("model-e2e", requests[0].GetProperty("State").GetProperty("Model").GetString());
        Assert.Equal("stub", requests[0].GetProperty("State").GetProperty("Provider").GetString());
    }

    [Fact]
    public async Task Without_log_requests_there_are_no_request_lines_and_info_hides_debug()
    {
        await using var proxy = await ProxyProcess.StartAsync();
        using var response = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await proxy.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(proxy.StdoutLines, l => l.Contains("LlmProxy.RequestLog", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.StdoutLines, l => l.Contains("\"LogLevel\":\"Debug\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_is_499_in_the_log_line_in_http_requests_total_and_in_llm_requests_total()
    {
        var upstreamSawTheAbort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            try
            {
                await context.Response.WriteAsync("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                upstreamSawTheAbort.TrySetResult();
            }
        });
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
            ["LOG_REQUESTS"] = "true",
            // Only configured (or listed) names become model labels.
            ["MODEL_PROVIDER_MAP"] = "half=ollama",
        });

        using (var response = await proxy.Client.SendAsync(
            Http.Post("v1/chat/completions", """{"model":"half","stream":true,"messages":[{"role":"user","content":"hi"}]}"""),
            HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Contains("first", await reader.ReadLineAsync(), StringComparison.Ordinal);
        }
        await upstreamSawTheAbort.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var line = await RequestLineAsync(proxy, "/v1/chat/completions");
        Assert.Equal(499, line.GetProperty("Status").GetInt32());
        Assert.Equal("half", line.GetProperty("Model").GetString());
        using var scrape = await proxy.Client.GetAsync("metrics");
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.Contains("http_requests_total{method=\"POST\",path=\"/v1/chat/completions\",status=\"499\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("llm_requests_total{provider=\"ollama\",model=\"half\",status=\"499\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("path=\"/v1/chat/completions\",status=\"200\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("model=\"half\",status=\"200\"", text, StringComparison.Ordinal);
    }

    /// <summary>The State of the request line for <paramref name="path"/>, once the request is over and logged.</summary>
    private static async Task<JsonElement> RequestLineAsync(ProxyProcess proxy, string path)
    {
        for (var waited = 0; waited < 10_000; waited += 20)
        {
            foreach (var line in proxy.StdoutLines)
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty("Category").GetString() == "LlmProxy.RequestLog"
                    && doc.RootElement.GetProperty("State").GetProperty("Path").GetString() == path)
                {
                    return doc.RootElement.GetProperty("State").Clone();
                }
            }
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException($"no request line for {path}");
    }
}

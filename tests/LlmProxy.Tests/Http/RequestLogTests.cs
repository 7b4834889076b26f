using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http;

public class RequestLogTests
{
    private static async Task<(TestProxy Proxy, CapturingLoggerProvider Logs)> StartAsync(ProxySettings settings)
    {
        var logs = new CapturingLoggerProvider();
        var proxy = await TestProxy.StartAsync(settings, builder =>
        {
            builder.Logging.AddProvider(logs);
            TestClientAddress.Install(builder);
        });
        return (proxy, logs);
    }

    private static List<CapturingLoggerProvider.Entry> RequestLines(CapturingLoggerProvider logs) =>
        logs.Entries.Where(e => e.Category == RequestLog.Category).ToList();

    [Fact]
    public async Task One_line_per_request_with_id_method_path_status_duration_model_provider_and_client()
    {
        var (proxy, logs) = await StartAsync(new ProxySettings { LogRequests = true });
        await using var _ = proxy;
        using var request = Requests.Post("/proxy", Requests.ValidChat);
        request.Headers.TryAddWithoutValidation(TestClientAddress.Header, "203.0.113.9");
        request.Headers.TryAddWithoutValidation("x-request-id", "log-test-1");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var notFound = await proxy.Client.GetAsync("/nope");

        var lines = RequestLines(logs);
        Assert.Equal(2, lines.Count);
        var chat = lines.Single(l => Equals(l.State["Path"], "/proxy")).State;
        Assert.Equal("log-test-1", chat["RequestId"]);
        Assert.Equal("POST", chat["Method"]);
        Assert.Equal(200, chat["Status"]);
        Assert.IsType<double>(chat["DurationMs"]);
        Assert.Equal("my-model", chat["Model"]);
        Assert.Equal("stub", chat["Provider"]);
        Assert.Equal("203.0.113.9", chat["Client"]);
        var missing = lines.Single(l => Equals(l.State["Path"], "/nope"));
        Assert.Equal(404, missing.State["Status"]);
        Assert.Equal(LogLevel.Information, missing.Level);
    }

    [Fact]
    public async Task No_request_lines_when_logging_is_off_or_the_level_is_above_info()
    {
        var (off, offLogs) = await StartAsync(new ProxySettings { LogRequests = false });
        await using (off)
        {
            using var response = await off.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(RequestLines(offLogs));
        }
        var (quiet, quietLogs) = await StartAsync(new ProxySettings { LogRequests = true, LogLevel = "WARNING" });
        await using (quiet)
        {
            using var response = await quiet.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(RequestLines(quietLogs));
        }
    }

    [Fact]
    public async Task At_debug_no_log_entry_holds_a_key_an_authorization_value_the_upstream_key_or_message_content()
    {
        const string proxyKey = "sk-proxy-5ecret-a1";
        const string wrongKey = "sk-wrong-5ecret-b2";
        const string upstreamKey = "sk-upstream-5ecret-c3";
        const string content = "my confidential prompt 9f8e";
        var (proxy, logs) = await StartAsync(new ProxySettings
        {
            LogRequests = true,
            LogLevel = "DEBUG",
            ApiKeys = [proxyKey],
            OpenAiCompatApiKey = upstreamKey,
        });
        await using var _ = proxy;
        var chat = $$"""{"model":"m","messages":[{"role":"user","content":"{{content}}"}]}""";
        var bad = $$"""{"model":"","messages":[{"role":"nobody","content":"{{content}}"}]}""";
        foreach (var (path, body, auth) in new[]
        {
            ("/proxy", chat, "Bearer " + proxyKey),
            ("/proxy/stream", chat, "Bearer " + proxyKey),
            ("/proxy", chat, "Bearer " + wrongKey),
            ("/proxy", bad, "Bearer " + proxyKey),
            ("/proxy", "{\"model\":\"" + content, "Bearer " + proxyKey),
        })
        {
            using var response = await proxy.Client.SendAsync(Requests.Post(path, body, authorization: auth));
            await response.Content.ReadAsStringAsync();
        }

        Assert.Equal(5, RequestLines(logs).Count);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Debug);
        foreach (var entry in logs.Entries)
        {
            var text = entry.Message + " " + string.Join(" ", entry.State.Select(p => $"{p.Key}={p.Value}")) + " " + entry.Exception;
            foreach (var secret in new[] { proxyKey, wrongKey, upstreamKey, content, "Bearer " })
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }
    }
}

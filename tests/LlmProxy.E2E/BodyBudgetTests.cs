using System.Diagnostics;
using System.Net;
using System.Text;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>
/// MAX_INFLIGHT_BODY_BYTES on the binary (docs/security.md, Memory): the OpenAI copy a translating door (/v1/messages,
/// /api/*) builds of a request body is held in memory like the body, and counts in the same budget.
/// </summary>
public class BodyBudgetTests
{
    private const int Budget = 1024 * 1024;

    private static string Text(char fill) => new(fill, 400 * 1024);

    [Fact]
    public async Task A_body_that_fits_through_v1_is_refused_through_the_translating_doors_while_its_copy_does_not_fit()
    {
        // A 400 KB request is held at the upstream; beside it, another 400 KB body fits the 1 MiB budget. Through /v1 it
        // is served; through /v1/messages and /api/chat the same text also needs room for its OpenAI copy (another
        // 400 KB), which does not fit until the first request is over: after the budget's 10 s wait, the 503 of a full
        // budget in the door's own shape. The first request is still served.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await FakeModelServer.StartAsync("upstream", ["m"]);
        server.Chat = async context =>
        {
            if (((byte[])context.Items[FakeUpstream.BodyItem]!).AsSpan().IndexOf("hold"u8) >= 0)
            {
                holding.TrySetResult();
                await release.Task;
            }
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""");
        };
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["UPSTREAMS"] = $"upstream={server.Url}",
            ["MAX_REQUEST_BYTES"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MAX_INFLIGHT_BODY_BYTES"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["UPSTREAM_TIMEOUT_SECONDS"] = "120",
        });

        var text = Text('a');
        var held = proxy.Client.SendAsync(Http.Post("v1/chat/completions", $$"""{"model":"m","messages":[{"role":"user","content":"hold {{Text('h')}}"}]}"""));
        try
        {
            await holding.Task.WaitAsync(TimeSpan.FromSeconds(10));
            using (var openAi = await proxy.Client.SendAsync(Http.Post("v1/chat/completions", $$"""{"model":"m","messages":[{"role":"user","content":"{{text}}"}]}""")))
            {
                Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);
            }
            foreach (var (path, body, shape) in new[]
            {
                ("v1/messages", $$"""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"{{text}}"}]}""", """{"type":"error","error":{"type":"""),
                ("api/chat", $$"""{"model":"m","stream":false,"messages":[{"role":"user","content":"{{text}}"}]}""", """{"error":"The proxy holds as many request bodies as MAX_INFLIGHT_BODY_BYTES allows"""),
            })
            {
                var clock = Stopwatch.StartNew();
                using var refused = await proxy.Client.SendAsync(Http.Post(path, body));
                var answer = await refused.Content.ReadAsStringAsync();
                Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: expected 503, got {(int)refused.StatusCode}: {answer[..Math.Min(200, answer.Length)]}");
                Assert.True(clock.Elapsed > TimeSpan.FromSeconds(9), $"{path}: refused after {clock.Elapsed}, before the budget's wait");
                Assert.Equal("2", refused.Headers.RetryAfter?.ToString());
                Assert.StartsWith(shape, answer, StringComparison.Ordinal);
                Assert.Contains("MAX_INFLIGHT_BODY_BYTES", answer, StringComparison.Ordinal);
            }
            Assert.Equal(2, server.Chats.Count);
        }
        finally
        {
            // Also when an assertion failed: the held request ends instead of keeping the upstream busy.
            release.TrySetResult();
        }
        using (var first = await held)
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        // The room is given back: the same request through /v1/messages is served now.
        using var served = await proxy.Client.SendAsync(Http.Post("v1/messages", $$"""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"{{text}}"}]}"""));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("\"type\":\"message\"", await served.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

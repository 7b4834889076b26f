using System.Diagnostics;
using System.Net;
using System.Text;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>
/// Graceful shutdown through the real binary (docs/operations.md, Shutdown): on SIGTERM/SIGINT /healthz turns 503 draining, new work is
/// refused, work in flight completes within SHUTDOWN_TIMEOUT_SECONDS, and the process exits 0.
/// </summary>
/// <remarks>
/// The in-flight work is a request whose body is still uploading (<see cref="SlowUpload"/>): its headers have arrived
/// (the proxy is serving it), the end of its body has not. That is the one slow request the product can take today without an upstream (the stub answers at
/// once, and the OpenAI-compatible provider that would let a slow fake upstream hold a stream open is not in this
/// build yet). It exercises the same drain: the request counts as in flight from its headers to its last byte.
/// </remarks>
public class ShutdownTests
{
    private static readonly byte[] ChatBody = Encoding.UTF8.GetBytes(Http.ValidChat);

    [Fact]
    public async Task On_SIGTERM_a_stream_in_flight_completes_while_new_work_is_refused_then_the_process_exits_0()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["SHUTDOWN_TIMEOUT_SECONDS"] = "20" });

        // A connection kept alive from before the drain: its next request must be refused, not served.
        using var keptAlive = await RawHttpConnection.ConnectAsync(proxy.Port);
        await keptAlive.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.Equal(200, (await keptAlive.ReadResponseAsync(TimeSpan.FromSeconds(5))).Status);

        // The stream request: its headers and body keep arriving across SIGTERM; it completes afterwards.
        using var inFlight = await RawHttpConnection.ConnectAsync(proxy.Port);
        await using var upload = await SlowUpload.StartAsync(inFlight, "/proxy/stream", Http.ValidChat);
        await Task.Delay(300);

        proxy.Signal(Posix.SigTerm);
        var sinceSignal = Stopwatch.StartNew();

        await WaitForDrainingAsync(proxy);

        var probe = await ProxyProcess.RunToExitAsync(["healthcheck", "--url", new Uri(proxy.BaseUrl, "healthz").ToString()]);
        Assert.Equal(1, probe.ExitCode);
        var line = Assert.Single(probe.Stdout.Trim().Split('\n'));
        Assert.Contains("503", line, StringComparison.Ordinal);
        Assert.Contains("draining", line, StringComparison.Ordinal);

        await keptAlive.SendAsync([.. RawHttpConnection.PostHead("/proxy", ChatBody.Length), .. ChatBody]);
        var refused = await keptAlive.ReadResponseAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(503, refused.Status);
        Assert.Equal("close", refused.Headers["connection"]);
        Assert.Contains("\"error\":\"Service Unavailable\"", refused.Body, StringComparison.Ordinal);
        Assert.True(await keptAlive.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the refused connection stays open");

        using (var fresh = new HttpClient { BaseAddress = proxy.BaseUrl })
        using (var response = await fresh.SendAsync(Http.Post("v1/chat/completions", Http.ValidChat)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("server_error", (await Http.JsonAsync(response)).GetProperty("error").GetProperty("type").GetString());
        }

        Assert.False(proxy.HasExited, "the process exited while a request was still in flight");
        await upload.FinishAsync();
        var stream = await inFlight.ReadResponseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(200, stream.Status);
        Assert.StartsWith("text/event-stream", stream.Headers["content-type"], StringComparison.Ordinal);
        var events = Http.SseData(stream.Body);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Single(events, e => e == "[DONE]");
        Assert.Contains("\" response\"", string.Join('\n', events), StringComparison.Ordinal);

        Assert.Equal(0, await proxy.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(sinceSignal.Elapsed < TimeSpan.FromSeconds(20), $"shutdown took {sinceSignal.Elapsed}, longer than the drain time");
    }

    [Fact]
    public async Task On_SIGINT_the_drain_waits_for_work_in_flight_but_no_longer_than_the_drain_time_then_exits_0()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["SHUTDOWN_TIMEOUT_SECONDS"] = "1.5" });
        // A request that is still uploading when the drain time runs out.
        using var stuck = await RawHttpConnection.ConnectAsync(proxy.Port);
        await using var upload = await SlowUpload.StartAsync(stuck, "/proxy", Http.ValidChat);
        await Task.Delay(300);

        var sinceSignal = Stopwatch.StartNew();
        proxy.Signal(Posix.SigInt);
        var code = await proxy.WaitForExitAsync(TimeSpan.FromSeconds(15));
        sinceSignal.Stop();

        Assert.Equal(0, code);
        // It waited for the request in flight (not an immediate exit) and gave up once the drain time was over.
        Assert.True(sinceSignal.Elapsed >= TimeSpan.FromSeconds(1.3), $"exited after {sinceSignal.Elapsed}: it did not wait for the request in flight");
        Assert.True(sinceSignal.Elapsed < TimeSpan.FromSeconds(6), $"exited after {sinceSignal.Elapsed}: the drain time of 1.5 s was not enforced");
        Assert.True(await stuck.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the unfinished request's connection stays open");
    }

    [Fact]
    public async Task With_nothing_in_flight_SIGTERM_exits_0_at_once_not_after_the_drain_time()
    {
        await using var proxy = await ProxyProcess.StartAsync();
        using (var response = await proxy.Client.SendAsync(Http.Post("proxy", Http.ValidChat)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var sinceSignal = Stopwatch.StartNew();
        proxy.Signal(Posix.SigTerm);
        Assert.Equal(0, await proxy.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(sinceSignal.Elapsed < TimeSpan.FromSeconds(5), $"an idle proxy took {sinceSignal.Elapsed} to stop (drain time 30 s)");
    }

    private static async Task WaitForDrainingAsync(ProxyProcess proxy)
    {
        using var probe = new HttpClient { BaseAddress = proxy.BaseUrl, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var response = await probe.GetAsync("healthz");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Equal("draining", (await Http.JsonAsync(response)).GetProperty("status").GetString());
                return;
            }
            await Task.Delay(20);
        }
        Assert.Fail("/healthz never turned 503 draining after SIGTERM");
    }
}

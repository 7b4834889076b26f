using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;
using Xunit.Abstractions;

namespace LlmProxy.E2E;

/// <summary>
/// Clients that press on the proxy's memory and time (docs/security.md, Memory and Slow clients), on the published
/// binary: a burst of large bodies, a client that pauses reading, a client that never reads.
/// </summary>
public class ClientPressureTests(ITestOutputHelper output)
{
    private static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    [Fact]
    public async Task Twelve_concurrent_25_MB_bodies_keep_peak_RSS_under_200_MB_and_every_request_is_answered()
    {
        Assert.True(OperatingSystem.IsLinux(), "RSS is read from /proc");
        await using var proxy = await ProxyProcess.StartAsync();
        var pid = proxy.Process.Id;
        var body = Encoding.UTF8.GetBytes(
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', 25_000_000) + "\"}]}");
        long peak = RssBytes(pid);
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, RssBytes(pid));
                await Task.Delay(10);
            }
        });

        using var client = new HttpClient { BaseAddress = proxy.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            var path = i % 2 == 0 ? "proxy" : "v1/chat/completions";
            using var response = await client.SendAsync(Http.Post(path, body));
            _ = await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.NotNull(response.Headers.RetryAfter);
            }
            return (int)response.StatusCode;
        }));
        await sampling.CancelAsync();
        await sampler;

        output.WriteLine($"peak RSS {peak / (1024 * 1024)} MB; statuses {string.Join(',', statuses)}");
        Assert.All(statuses, s => Assert.True(s is 200 or 503, $"status {s}"));
        Assert.True(statuses.Count(s => s == 200) >= 6, $"most of the burst should be served in turn: {string.Join(',', statuses)}");
        Assert.True(peak < 200L * 1024 * 1024, $"peak RSS {peak / (1024 * 1024)} MB");
        Assert.False(proxy.HasExited);
    }

    /// <summary>A stream of 300 events of 64 KiB (about 20 MB), far more than the socket buffers between the proxy and a client that stops reading.</summary>
    private static async Task LargeStream(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        var filler = new string('x', 64 * 1024);
        for (var i = 0; i < 300 && !context.RequestAborted.IsCancellationRequested; i++)
        {
            await context.Response.WriteAsync($"data: {FaultyUpstreamFixture.Chunk(filler)}\n\n", context.RequestAborted);
        }
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }

    private static async Task<Socket> SendStreamRequestAsync(int port)
    {
        // A small receive window: the proxy's writes block as soon as the client stops reading.
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 8 * 1024 };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}""";
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
        return socket;
    }

    [Fact]
    public async Task A_client_that_pauses_reading_longer_than_the_upstream_timeout_still_gets_the_whole_stream()
    {
        await using var upstream = await FakeUpstream.StartAsync(LargeStream);
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
            ["UPSTREAM_TIMEOUT_SECONDS"] = "3",
        });
        using var socket = await SendStreamRequestAsync(proxy.Port);
        var buffer = new byte[64 * 1024];
        var first = await socket.ReceiveAsync(buffer);
        Assert.True(first > 0);
        // Eight seconds without reading, while the upstream has plenty more to send: not the upstream's silence.
        await Task.Delay(TimeSpan.FromSeconds(8));
        using var all = new MemoryStream();
        all.Write(buffer, 0, first);
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            all.Write(buffer, 0, read);
        }
        var text = Encoding.UTF8.GetString(all.ToArray());
        Assert.StartsWith("HTTP/1.1 200", text, StringComparison.Ordinal);
        var done = text.Contains("data: [DONE]", StringComparison.Ordinal);
        Assert.True(done, "the stream was cut: " + text[Math.Max(0, text.Length - 200)..]);
        Assert.DoesNotContain("\"error\"", text, StringComparison.Ordinal);
        Assert.Equal(300, CountOccurrences(text, "\"object\":\"chat.completion.chunk\""));
    }

    [Fact]
    public async Task A_client_that_never_reads_is_disconnected_after_the_stall_limit_and_counted_once_as_499()
    {
        await using var upstream = await FakeUpstream.StartAsync(LargeStream);
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "ollama",
            ["OPENAI_COMPAT_BASE_URL"] = upstream.BaseUrl.ToString().TrimEnd('/'),
            ["UPSTREAM_TIMEOUT_SECONDS"] = "3",
            ["LOG_REQUESTS"] = "true",
        });
        using var socket = await SendStreamRequestAsync(proxy.Port);
        var clock = Stopwatch.StartNew();
        // Never read; wait for the proxy to give up on this client (60 s stall limit) and close.
        var closed = false;
        while (clock.Elapsed < TimeSpan.FromSeconds(90) && !closed)
        {
            await Task.Delay(1000);
            closed = proxy.StdoutLines.Concat(proxy.StderrLines).Any(l => l.Contains("read nothing for", StringComparison.Ordinal));
        }
        Assert.True(closed, "the stalled client was never disconnected");
        Assert.InRange(clock.Elapsed.TotalSeconds, 55, 90);
        socket.Dispose();

        await Task.Delay(500);
        var lines = proxy.StdoutLines.Concat(proxy.StderrLines).Where(l => l.Contains("/v1/chat/completions", StringComparison.Ordinal)).ToList();
        var logged = Assert.Single(lines, l => l.Contains("499", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(" 200 ", StringComparison.Ordinal) || l.Contains("\"status\":200", StringComparison.Ordinal));
        var metrics = await proxy.Client.GetStringAsync("metrics");
        var counted = metrics.Split('\n').Where(l => l.StartsWith("http_requests_total{", StringComparison.Ordinal) && l.Contains("/v1/chat/completions", StringComparison.Ordinal)).ToList();
        Assert.Single(counted);
        Assert.Contains("status=\"499\"", counted[0], StringComparison.Ordinal);
        Assert.EndsWith(" 1", counted[0], StringComparison.Ordinal);
        _ = logged;
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}

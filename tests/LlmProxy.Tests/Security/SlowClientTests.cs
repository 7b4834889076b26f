using System.Net;
using System.Net.Sockets;
using System.Text;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Security;

/// <summary>
/// A client that reads slowly is not a silent upstream (docs/api.md, Slow clients): while the proxy waits for the client
/// to take an event, the upstream timer stands still, so UPSTREAM_TIMEOUT_SECONDS never cuts a stream whose upstream
/// kept talking.
/// </summary>
public class SlowClientTests
{
    // 25 MB in all: more than the socket buffers between the three processes hold (loopback buffers grow to several MB
    // each), so the proxy's writes to the paused client must wait.
    private const int Events = 400;
    private static readonly string Padding = new('x', 64 * 1024);

    /// <summary>A client whose socket takes little at a time, so the proxy's writes back up within a few events.</summary>
    private static HttpClient SmallWindowClient(Uri baseUrl) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    })
    { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };

    [Theory]
    [InlineData("v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("proxy/stream", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    public async Task A_client_that_pauses_longer_than_the_upstream_timeout_gets_the_whole_stream(string path, string body)
    {
        var upstreamDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync(async context =>
        {
            Sse.Start(context);
            for (var i = 0; i < Events; i++)
            {
                await Sse.WriteEventAsync(context, Sse.Chunk($"{i}:{Padding} "));
            }
            await Sse.WriteEventAsync(context, "[DONE]");
            upstreamDone.TrySetResult();
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream, s => new ProxySettings(s) { UpstreamTimeout = TimeSpan.FromSeconds(1) });
        using var client = SmallWindowClient(proxy.BaseUrl);

        using var response = await client.SendAsync(Requests.Post(path, body), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        var events = new List<string> { (await Sse.ReadEventAsync(reader))! };
        // Three upstream timeouts without reading; the upstream is still writing (its writes wait on the proxy).
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(upstreamDone.Task.IsCompleted, "the stream never backed up: the test proves nothing");
        while (await Sse.ReadEventAsync(reader) is { } e)
        {
            events.Add(e);
        }

        Assert.Equal(Events + 1, events.Count);
        Assert.Equal("[DONE]", events[^1]);
        Assert.DoesNotContain(events, e => e.Contains("\"error\"", StringComparison.Ordinal));
    }
}

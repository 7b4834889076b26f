using System.Net.Sockets;
using System.Text;

namespace LlmProxy.E2E.Support;

/// <summary>
/// HTTP/1.1 over a bare socket, for what HttpClient will not do: announce a body it never sends, or send a chunked
/// body that never ends, and see what the server answers meanwhile.
/// </summary>
public sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawHttp(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawHttp> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        return new RawHttp(client);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Reads the response head and as much body as arrives within the timeout (the server may keep the socket).</summary>
    public async Task<(int Status, string Head, string Body)> ReadResponseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int headEnd = -1;
        long contentLength = -1;
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(buffer, cts.Token);
                if (read == 0)
                {
                    break;
                }
                received.Write(buffer, 0, read);
                var text = Encoding.UTF8.GetString(received.ToArray());
                if (headEnd < 0 && (headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    foreach (var line in text[..headEnd].Split("\r\n"))
                    {
                        if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                        {
                            contentLength = long.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                        }
                    }
                }
                if (headEnd >= 0 && contentLength >= 0 && received.Length >= headEnd + 4 + contentLength)
                {
                    break;
                }
                if (headEnd >= 0 && text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (headEnd >= 0)
        {
            // The head arrived; the rest of the body did not come within the timeout — enough to judge.
        }
        catch (IOException) when (received.Length > 0)
        {
            // The server closed the connection right after answering (Connection: close with unread request bytes).
        }
        var all = Encoding.UTF8.GetString(received.ToArray());
        var end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            throw new InvalidOperationException("no HTTP response head within the timeout: " + all);
        }
        var head = all[..end];
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, head, all[(end + 4)..]);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LlmProxy.E2E.Support;

/// <summary>
/// HTTP/1.1 over a bare socket, for requests no well-behaved client library will send (CR/LF in headers,
/// Content-Length with Transfer-Encoding, trickled bytes, a body announced and never sent, a chunked body that never ends).
/// </summary>
public sealed class RawHttp : IDisposable, IAsyncDisposable
{
    private readonly Socket _socket;

    private RawHttp(Socket socket) => _socket = socket;

    public static async Task<RawHttp> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new RawHttp(socket);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _socket.SendAsync(bytes, SocketFlags.None);
    }

    /// <summary>Reads until the server closes or <paramref name="timeout"/> passes; returns what arrived and whether it closed.</summary>
    public async Task<(string Text, bool Closed, TimeSpan Elapsed)> ReadUntilClosedAsync(TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        var received = new MemoryStream();
        var clock = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (Encoding.Latin1.GetString(received.ToArray()), true, clock.Elapsed);
                }
                received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            return (Encoding.Latin1.GetString(received.ToArray()), false, clock.Elapsed);
        }
        catch (SocketException)
        {
            // A reset is a close too.
            return (Encoding.Latin1.GetString(received.ToArray()), true, clock.Elapsed);
        }
    }

    /// <summary>Reads one response (head and body) as raw text within the timeout; empty when none came.</summary>
    public async Task<string> ReadRawResponseAsync(TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        var received = new StringBuilder();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (!HasCompleteResponse(received.ToString()))
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    break;
                }
                received.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        return received.ToString();
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
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
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
        catch (SocketException) when (received.Length > 0)
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

    private static bool HasCompleteResponse(string text)
    {
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return false;
        }
        var head = text[..headEnd];
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is not null)
        {
            return text.Length - headEnd - 4 >= int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        return text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    /// <summary>The status code of a raw response, or 0 when there was none.</summary>
    public static int StatusOf(string response) =>
        response.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && response.Length >= 12
            ? int.Parse(response.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    public void Dispose() => _socket.Dispose();

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

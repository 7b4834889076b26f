using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LlmProxy.E2E.Support;

/// <summary>
/// HTTP/1.1 over a bare socket, for requests no well-behaved client library will send (CR/LF in headers,
/// Content-Length with Transfer-Encoding, trickled bytes).
/// </summary>
public sealed class RawHttp : IDisposable
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

    /// <summary>Reads one response head (and whatever body bytes came with it) within the timeout.</summary>
    public async Task<string> ReadResponseAsync(TimeSpan timeout)
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
}

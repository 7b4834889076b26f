using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace LlmProxy.E2E.Support;

/// <summary>
/// One HTTP/1.1 connection driven byte by byte: shutdown tests need what HttpClient hides — a request body sent in
/// two halves with a pause between, and a new request on a connection that was kept alive before the drain began.
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly MemoryStream _buffered = new();

    private RawHttpConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawHttpConnection> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        client.NoDelay = true;
        return new RawHttpConnection(client);
    }

    /// <summary>Request line and headers of a JSON POST with an Authorization header and a declared Content-Length.</summary>
    public static byte[] PostHead(string path, int contentLength) => Encoding.ASCII.GetBytes(
        $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n\r\n");

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Reads one response: status, headers (lower-case names) and the body (Content-Length, chunked, or to close).</summary>
    public async Task<RawHttpResponse> ReadResponseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var head = await ReadUntilAsync("\r\n\r\n"u8.ToArray(), cts.Token) ?? throw new IOException("connection closed before a response");
        var lines = Encoding.ASCII.GetString(head).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        byte[] body;
        if (headers.TryGetValue("content-length", out var length))
        {
            body = await ReadExactlyAsync(int.Parse(length, CultureInfo.InvariantCulture), cts.Token);
        }
        else if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = await ReadChunkedAsync(cts.Token);
        }
        else
        {
            body = await ReadToCloseAsync(cts.Token);
        }
        return new RawHttpResponse(status, headers, Encoding.UTF8.GetString(body));
    }

    /// <summary>True when the server closed (or reset) the connection within the timeout.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var one = new byte[1];
        try
        {
            return await _stream.ReadAsync(one, cts.Token) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<byte[]> ReadChunkedAsync(CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        while (true)
        {
            var sizeLine = await ReadUntilAsync("\r\n"u8.ToArray(), cancellationToken) ?? throw new IOException("connection closed inside a chunked body");
            var size = int.Parse(Encoding.ASCII.GetString(sizeLine).Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                _ = await ReadUntilAsync("\r\n"u8.ToArray(), cancellationToken);
                return body.ToArray();
            }
            body.Write(await ReadExactlyAsync(size, cancellationToken));
            _ = await ReadExactlyAsync(2, cancellationToken);
        }
    }

    private async Task<byte[]> ReadToCloseAsync(CancellationToken cancellationToken)
    {
        while (await FillAsync(cancellationToken))
        {
        }
        return Take((int)_buffered.Length);
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        while (_buffered.Length < count)
        {
            if (!await FillAsync(cancellationToken))
            {
                throw new IOException($"connection closed after {_buffered.Length} of {count} bytes");
            }
        }
        return Take(count);
    }

    /// <summary>Bytes up to the delimiter (excluded, and consumed), or null when the connection closed first.</summary>
    private async Task<byte[]?> ReadUntilAsync(byte[] delimiter, CancellationToken cancellationToken)
    {
        while (true)
        {
            var at = _buffered.GetBuffer().AsSpan(0, (int)_buffered.Length).IndexOf(delimiter);
            if (at >= 0)
            {
                var result = Take(at);
                _ = Take(delimiter.Length);
                return result;
            }
            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        var chunk = new byte[4096];
        var read = await _stream.ReadAsync(chunk, cancellationToken);
        if (read == 0)
        {
            return false;
        }
        _buffered.Seek(0, SeekOrigin.End);
        _buffered.Write(chunk, 0, read);
        return true;
    }

    private byte[] Take(int count)
    {
        var all = _buffered.ToArray();
        var taken = all[..count];
        _buffered.SetLength(0);
        _buffered.Write(all, count, all.Length - count);
        return taken;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }
}

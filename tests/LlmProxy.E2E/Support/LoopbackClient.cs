using System.Net;
using System.Net.Sockets;

namespace LlmProxy.E2E.Support;

/// <summary>
/// An HttpClient whose connections leave from a chosen loopback address (127.0.0.0/8 is all local on Linux), so one
/// test machine can be several clients to the proxy's per-IP rate limit.
/// </summary>
public static class LoopbackClient
{
    public static HttpClient From(string localAddress, Uri baseUrl)
    {
        var local = IPAddress.Parse(localAddress);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }
}

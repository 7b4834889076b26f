using System.Net;
using System.Net.Sockets;

namespace LlmProxy.E2E.Support;

public static class FreePort
{
    /// <summary>A port that was free a moment ago (the OS picks it; the listener is closed before returning).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

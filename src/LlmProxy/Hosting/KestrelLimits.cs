using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LlmProxy.Hosting;

/// <summary>
/// Kestrel's limits, set deliberately rather than inherited: each one names the hostile client it stops. The values
/// are documented in docs/operations.md, Limits; tests in tests/LlmProxy.E2E/HostileClientTests.cs hold them.
/// </summary>
internal static class KestrelLimits
{
    /// <summary>Slowloris on headers: a client that trickles its request head is cut after this long (Kestrel answers 408).</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Idle keep-alive connections are closed after this long; LLM clients reconnect cheaply.</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(120);

    /// <summary>All request headers together (a 1 MB header is refused with 431). Kestrel's default, stated here.</summary>
    public const int MaxRequestHeadersTotalSize = 32 * 1024;

    /// <summary>Header count (Kestrel's default): more is 431.</summary>
    public const int MaxRequestHeaderCount = 100;

    /// <summary>Request line (method + URL + version): longer is 414.</summary>
    public const int MaxRequestLineSize = 8 * 1024;

    /// <summary>
    /// Slowloris on bodies: after a 5 s grace a body must arrive at 240 bytes/s or more, else the connection is cut
    /// (Kestrel's default rate, stated here). Bodies of chat requests are small and sent at once by real clients.
    /// </summary>
    public static readonly MinDataRate MinRequestBodyDataRate = new(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));

    public static void Apply(KestrelServerLimits limits, long maxRequestBodySize)
    {
        limits.MaxRequestBodySize = maxRequestBodySize;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
        limits.MaxRequestLineSize = MaxRequestLineSize;
        limits.MinRequestBodyDataRate = MinRequestBodyDataRate;
        // No response rate minimum: a slow reader of a long stream is a normal LLM client, and client disconnects
        // are detected by the socket, not by throughput. Connections are not capped: idle ones cost a socket and
        // a few KB each, and the OS fd limit (raised to the hard limit by .NET at start) is the real ceiling.
        limits.MinResponseDataRate = null;
        limits.MaxConcurrentConnections = null;
        limits.MaxConcurrentUpgradedConnections = 0;
    }
}

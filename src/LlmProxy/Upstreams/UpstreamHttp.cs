using System.Net;
using LlmProxy.Configuration;

namespace LlmProxy.Upstreams;

/// <summary>
/// The one long-lived connection pool to the OpenAI-compatible upstreams (docs/architecture.md, Performance habits): a single
/// <see cref="SocketsHttpHandler"/> behind an <see cref="HttpMessageInvoker"/>, which returns as soon as the response
/// headers are read (no buffering of the body, unlike HttpClient's default) and has no overall timeout — a stream may
/// legitimately last longer than any fixed limit; silence is bounded per request instead (<see cref="IdleTimeout"/>).
/// </summary>
internal sealed class UpstreamHttp : IDisposable
{
    public UpstreamHttp(ProxySettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            // A gateway talks to the one URL it was given: no system proxy, no redirects to follow blindly, no cookie
            // jar shared between clients, and bytes as sent (decompressing would break byte-for-byte pass-through).
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = settings.UpstreamConnectTimeout,
            // Re-resolve DNS now and then (a container restarted elsewhere) without paying a handshake per request.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            // A cancelled read (the client left) already closes the connection. A response disposed unread (after an
            // error event, with the upstream still talking) must close it too, not be drained for up to 2 s (the
            // default): draining an LLM stream keeps the model generating for nobody.
            MaxResponseDrainSize = 0,
            ResponseDrainTimeout = TimeSpan.Zero,
            // The proxy forwards x-request-id itself; no traceparent injected into a model server's logs.
            ActivityHeadersPropagator = null,
        };
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>Shared by every upstream: the handler keeps a pool of connections per server.</summary>
    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}

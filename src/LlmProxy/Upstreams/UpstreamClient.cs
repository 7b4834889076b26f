using System.Diagnostics;
using System.Net.Sockets;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Tracing;

namespace LlmProxy.Upstreams;

/// <summary>
/// Sends one request to an OpenAI-compatible upstream over the shared connection pool and returns once its headers
/// arrive, or the failure that stands for them. One attempt only: retries and failover to another upstream are
/// routing's (docs/upstreams.md, Failover), which reads <see cref="UpstreamFailure.Retry"/> to know whether another
/// attempt is safe.
/// </summary>
internal sealed class UpstreamClient(UpstreamHttp http, ProxyAuth auth, ProxySettings settings)
{
    /// <summary>Whether this request's own Authorization goes upstream (else the upstream sees the proxy's credentials).</summary>
    public bool ForwardsClientAuthorization(HttpContext context, UpstreamOptions options) =>
        UpstreamHeaders.ForwardsClientAuthorization(context.Request, auth.KeyMode, options.ApiKeyOverridesClient, options.ApiKey);

    /// <param name="context">The client's request (headers to forward, request id), or null for the proxy's own probe.</param>
    /// <param name="method">GET or POST.</param>
    /// <param name="url">The upstream's URL for this request.</param>
    /// <param name="body">The bytes to send (the client's own for /v1), or empty for none.</param>
    /// <param name="idle">Covers the wait for the response headers.</param>
    /// <param name="options">The upstream's key (and whether it beats the client's own <c>Authorization</c>).</param>
    /// <param name="span">The attempt's span, when tracing: its context goes upstream as <c>traceparent</c>.</param>
    /// <returns>The upstream's response (headers read, any status), or the failure that stands for it.</returns>
    public async Task<(HttpResponseMessage? Response, UpstreamFailure? Failure)> SendAsync(
        HttpContext? context, HttpMethod method, Uri url, ReadOnlyMemory<byte>? body, IdleTimeout idle, UpstreamOptions options, Activity? span = null)
    {
        var request = new HttpRequestMessage(method, url)
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (body is { } bytes)
        {
            request.Content = new ReadOnlyMemoryContent(bytes);
        }
        if (context is not null)
        {
            UpstreamHeaders.Apply(context, request, auth.KeyMode, options.ApiKey, options.ApiKeyOverridesClient);
        }
        else if (options.ApiKey is { } key)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        }
        if (span is not null)
        {
            UpstreamTracing.Propagate(span, request);
        }
        if (request.Content is not null && request.Content.Headers.ContentType is null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        }
        try
        {
            return (await http.Invoker.SendAsync(request, idle.Token), null);
        }
        catch (OperationCanceledException) when (idle.ClientAborted)
        {
            return (null, UpstreamFailure.ClientGone);
        }
        catch (OperationCanceledException) when (idle.ShutDown)
        {
            return (null, UpstreamFailure.ShuttingDown);
        }
        catch (OperationCanceledException) when (idle.TimedOut)
        {
            return (null, UpstreamFailure.Timeout(
                $"The upstream model server sent no response within {idle.Interval.TotalSeconds:0.###} s (UPSTREAM_TIMEOUT_SECONDS)"));
        }
        catch (OperationCanceledException e) when (e.InnerException is TimeoutException)
        {
            // SocketsHttpHandler.ConnectTimeout: nothing answered the SYN. Never the same upstream again (another wait of
            // the same length would only delay the answer), but another upstream may be tried.
            return (null, UpstreamFailure.ConnectTimeout(
                $"Could not connect to the upstream model server at {Authority(url)} within {settings.UpstreamConnectTimeout.TotalSeconds:0.###} s (UPSTREAM_CONNECT_TIMEOUT_SECONDS)"));
        }
        catch (HttpRequestException e)
        {
            var beforeAnyByte = IsBeforeAnyByte(e);
            return (null, UpstreamFailure.Unreachable(
                $"The upstream model server at {Authority(url)} {(beforeAnyByte ? "is unreachable" : "failed")}: {Describe(e)}", beforeAnyByte));
        }
        catch (SocketException e)
        {
            // SocketsHttpHandler reads Socket.RemoteEndPoint right after connecting (HttpConnectionPool.ConnectAsync), and
            // a server that resets the connection in that instant makes it throw a bare SocketException (ENOTCONN,
            // "Transport endpoint is not connected") that no HttpRequestException wraps. Nothing was sent or received:
            // the same as a refused connection (tests/LlmProxy.Tests/Upstreams/UpstreamErrorMappingTests.cs, reset test).
            return (null, UpstreamFailure.Unreachable(
                $"The upstream model server at {Authority(url)} is unreachable: connection reset ({e.SocketErrorCode})", true));
        }
    }

    /// <summary>Refused, reset or closed before a response, name not resolved: nothing was received, a retry is safe.</summary>
    private static bool IsBeforeAnyByte(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ResponseEnded => true,
        HttpRequestError.Unknown => e.InnerException is IOException or SocketException,
        _ => false,
    };

    private static string Describe(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.ConnectionError => "connection refused or reset",
        HttpRequestError.NameResolutionError => "the host name could not be resolved",
        HttpRequestError.ResponseEnded => "the connection closed before a response",
        HttpRequestError.SecureConnectionError => "the TLS handshake failed",
        HttpRequestError.InvalidResponse => "the response was not valid HTTP",
        _ => "the connection failed",
    };

    /// <summary>Host and port only: a base URL may carry user info, which is a secret.</summary>
    public static string Authority(Uri url) => url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
}

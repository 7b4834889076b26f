using System.Net.Sockets;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.Auth;

namespace LlmProxy.Upstreams;

/// <summary>
/// Sends one request to the OpenAI-compatible upstream and returns once its headers arrive. Connection failures that
/// happen before any byte came back (refused, reset, DNS) are retried up to <see cref="MaxRetries"/> times — safe,
/// because nothing has reached the client yet and the body is in memory (docs/api.md, Errors). Each attempt counts in
/// the request's <see cref="RequestOutcome.Attempts"/>.
/// </summary>
internal sealed partial class UpstreamClient(UpstreamHttp http, ProxyAuth auth, ProxySettings settings, ILogger<UpstreamClient> logger)
{
    public const int MaxRetries = 2;

    public Uri BaseUrl => http.BaseUrl;

    /// <summary>Whether this request's own Authorization goes upstream (else the upstream sees the proxy's credentials).</summary>
    public bool ForwardsClientAuthorization(HttpContext context) => UpstreamHeaders.ForwardsClientAuthorization(context.Request, auth.KeyMode);

    /// <param name="context">The client's request: headers to forward, request id.</param>
    /// <param name="method">GET or POST.</param>
    /// <param name="path">Relative to OPENAI_COMPAT_BASE_URL, e.g. <c>chat/completions</c>.</param>
    /// <param name="body">The bytes to send (the client's own for /v1), or empty for none.</param>
    /// <param name="idle">Covers the wait for the response headers.</param>
    /// <returns>The upstream's response (headers read, any status), or the failure that stands for it.</returns>
    public async Task<(HttpResponseMessage? Response, UpstreamFailure? Failure)> SendAsync(
        HttpContext context, HttpMethod method, string path, ReadOnlyMemory<byte>? body, IdleTimeout idle)
    {
        var url = http.UrlFor(path);
        var outcome = RequestOutcome.Of(context);
        for (var attempt = 0; ; attempt++)
        {
            outcome.Attempts++;
            var request = new HttpRequestMessage(method, url)
            {
                Version = System.Net.HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            };
            if (body is { } bytes)
            {
                request.Content = new ReadOnlyMemoryContent(bytes);
            }
            UpstreamHeaders.Apply(context, request, auth.KeyMode, settings.OpenAiCompatApiKey);
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
                // SocketsHttpHandler.ConnectTimeout: nothing answered the SYN. Not retried: three more waits of the
                // same length would only delay the answer.
                return (null, UpstreamFailure.Timeout(
                    $"Could not connect to the upstream model server at {Authority(url)} within {settings.UpstreamConnectTimeout.TotalSeconds:0.###} s (UPSTREAM_CONNECT_TIMEOUT_SECONDS)"));
            }
            catch (HttpRequestException e) when (IsBeforeAnyByte(e))
            {
                if (attempt < MaxRetries)
                {
                    LogRetry(logger, Authority(url), attempt + 1, e.HttpRequestError);
                    // A short pause gives a restarting server a chance; the client is waiting, so keep it short.
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * (attempt + 1)), idle.Token).ConfigureAwait(false);
                    continue;
                }
                return (null, UpstreamFailure.Unreachable($"The upstream model server at {Authority(url)} is unreachable: {Describe(e)}"));
            }
            catch (HttpRequestException e)
            {
                return (null, UpstreamFailure.Unreachable($"The upstream model server at {Authority(url)} failed: {Describe(e)}"));
            }
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
    private static string Authority(Uri url) => url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "upstream {Authority} unreachable ({Error}), retry {Attempt} of 2")]
    private static partial void LogRetry(ILogger logger, string authority, int attempt, HttpRequestError error);
}

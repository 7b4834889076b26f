using System.Collections.Frozen;
using LlmProxy.Http;
using Microsoft.Extensions.Primitives;

namespace LlmProxy.Upstreams;

/// <summary>
/// Which client headers reach the upstream (docs/api.md, Upstream requests), in the spirit of YARP's RequestUtilities: everything the
/// client sent except hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy ones proxies still see), the headers the
/// transport sets itself, and the ones that would make the upstream misbehave.
/// </summary>
internal static class UpstreamHeaders
{
    /// <summary>Never copied from the client to the upstream.</summary>
    private static readonly FrozenSet<string> Dropped = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
    [
        // Hop-by-hop (RFC 9110 §7.6.1; Keep-Alive and Proxy-Connection are RFC 2068 / de-facto, still sent).
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
        "Proxy-Authorization", "Proxy-Authenticate",
        // Ollama answers 403 (empty body) to a Host or Origin it does not expect; the upstream gets its own Host from
        // the URL, and never the browser's Origin.
        "Host", "Origin", "Referer",
        // Set by the transport for the bytes actually sent.
        "Content-Length", "Expect",
        // The relay must read the events: ask for identity encoding (no Accept-Encoding means identity).
        "Accept-Encoding",
        // Decided below (auth precedence) or replaced (our request id).
        "Authorization", RequestIds.HeaderName,
        // Anthropic's key header (docs/anthropic.md, Auth): a proxy key or an Anthropic key, never one for the upstream.
        "x-api-key",
        // HTTP/2 pseudo-headers and cookies never belong to the upstream.
        "Cookie", ":authority", ":method", ":path", ":scheme",
    ]);

    public static bool IsDropped(string name) => Dropped.Contains(name);

    /// <summary>Copies the client's forwardable headers, then sets x-request-id and Authorization (docs/api.md, Upstream requests).</summary>
    /// <param name="context">The client's request.</param>
    /// <param name="request">The request to the upstream.</param>
    /// <param name="clientKeyConsumed">The proxy's API keys are on: the client's Authorization was the proxy's, never forwarded.</param>
    /// <param name="upstreamApiKey">The upstream's key, if it has one.</param>
    /// <param name="keyOverridesClient">
    /// A named upstream's own key (UPSTREAM_&lt;NAME&gt;_API_KEY) is always sent; the legacy OPENAI_COMPAT_API_KEY only
    /// when the client's header is not forwarded (docs/upstreams.md, Keys).
    /// </param>
    public static void Apply(HttpContext context, HttpRequestMessage request, bool clientKeyConsumed, string? upstreamApiKey, bool keyOverridesClient = false)
    {
        var inbound = context.Request.Headers;
        var connectionTokens = inbound.Connection;
        foreach (var (name, values) in inbound)
        {
            if (Dropped.Contains(name) || NamedByConnection(connectionTokens, name))
            {
                continue;
            }
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && request.Content is not null)
            {
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        request.Headers.TryAddWithoutValidation(RequestIds.HeaderName, context.TraceIdentifier);

        // The inbound Authorization is forwarded, unless the proxy consumed it (API keys) or there is
        // none; then OPENAI_COMPAT_API_KEY, when set, goes as a Bearer token.
        var authorization = inbound.Authorization;
        if (keyOverridesClient && !string.IsNullOrEmpty(upstreamApiKey))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + upstreamApiKey);
        }
        else if (!clientKeyConsumed && authorization.Count > 0 && !StringValues.IsNullOrEmpty(authorization))
        {
            request.Headers.TryAddWithoutValidation("Authorization", (IEnumerable<string?>)authorization);
        }
        else if (!string.IsNullOrEmpty(upstreamApiKey))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + upstreamApiKey);
        }
    }

    /// <summary>RFC 9110 §7.6.1: a header listed in Connection is hop-by-hop for this message too.</summary>
    private static bool NamedByConnection(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            if (value is null)
            {
                continue;
            }
            foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (token.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        return false;
    }
}

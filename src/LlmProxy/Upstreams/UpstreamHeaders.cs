using System.Collections.Frozen;
using LlmProxy.Http;
using Microsoft.Extensions.Primitives;

namespace LlmProxy.Upstreams;

/// <summary>
/// Which client headers reach the upstream (docs/api.md, What the upstream receives): an allow-list. A model server
/// needs the body's type, what the client accepts and who it is; everything else a client sends stays at the proxy —
/// hop-by-hop headers (RFC 9110 §7.6.1), cookies, <c>Origin</c> and <c>Host</c> (Ollama's DNS-rebinding guard judges
/// them), and above all what a client could use to lie to the upstream about where a request came from or what it is:
/// <c>Forwarded</c>, <c>X-Forwarded-*</c>, <c>X-Real-IP</c>, <c>Proxy-*</c>, <c>X-HTTP-Method-Override</c>, and a
/// <c>Content-Encoding</c> on a body the proxy has already read as plain JSON.
/// </summary>
internal static class UpstreamHeaders
{
    /// <summary>The client headers copied to the upstream (when not named in <c>Connection</c>); nothing else is.</summary>
    private static readonly FrozenSet<string> Forwarded = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
    [
        // The body and what the client takes back.
        "Content-Type", "Accept",
        // Who is asking, for the model server's own logs.
        "User-Agent",
        // OpenAI's API headers, which OpenAI-compatible servers and gateways may honour.
        "OpenAI-Organization", "OpenAI-Project", "OpenAI-Beta", "Idempotency-Key",
        // W3C Trace Context: lets a traced client's request be found in a traced model server.
        "traceparent", "tracestate",
        // Not here, among others: Authorization (decided in Apply), x-request-id (replaced), and Anthropic's x-api-key
        // (docs/anthropic.md, Auth: a proxy key or an Anthropic key, never one for the upstream).
    ]);

    public static bool IsForwarded(string name) => Forwarded.Contains(name);

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
            if (!Forwarded.Contains(name) || NamedByConnection(connectionTokens, name))
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
        if (keyOverridesClient && !string.IsNullOrEmpty(upstreamApiKey))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + upstreamApiKey);
        }
        else if (ForwardsClientAuthorization(context.Request, clientKeyConsumed))
        {
            request.Headers.TryAddWithoutValidation("Authorization", (IEnumerable<string?>)inbound.Authorization);
        }
        else if (!string.IsNullOrEmpty(upstreamApiKey))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + upstreamApiKey);
        }
    }

    /// <summary>
    /// Whether the client's own <c>Authorization</c> goes upstream: yes when it sent one, the proxy did not consume it
    /// (no API keys) and the upstream's own key does not replace it. When not, the credentials the upstream sees are the
    /// proxy's (the upstream's key, or none).
    /// </summary>
    public static bool ForwardsClientAuthorization(HttpRequest request, bool clientKeyConsumed, bool keyOverridesClient = false, string? upstreamApiKey = null) =>
        !(keyOverridesClient && !string.IsNullOrEmpty(upstreamApiKey))
        && !clientKeyConsumed && !StringValues.IsNullOrEmpty(request.Headers.Authorization);

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

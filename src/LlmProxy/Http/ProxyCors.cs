using LlmProxy.Configuration;
using LlmProxy.Http.RateLimiting;

namespace LlmProxy.Http;

/// <summary>
/// CORS (docs/api.md, CORS) with the framework's CORS middleware and one default policy:
/// <c>*</c> answers <c>Access-Control-Allow-Origin: *</c>; a list echoes a listed origin and gives nothing to the rest.
/// The default list is the loopback origins on any port (docs/security.md): a page from another site must not read
/// answers of a proxy on the user's machine.
/// The middleware runs before routing, so preflights (answered 204) never reach routing's 405, and it adds its
/// headers when the response starts, so errors written later by our middlewares (401, 404, 413, 429, 500) carry them.
/// </summary>
internal static class ProxyCors
{
    /// <summary>Response headers a browser script may read (everything else stays hidden by the CORS rules).</summary>
    public static readonly string[] ExposedHeaders =
    [
        RequestIds.HeaderName,
        "Retry-After",
        // The upstream that answered (docs/upstreams.md): a browser app may show it.
        "x-llm-upstream",
        RateLimitHeaders.Limit,
        RateLimitHeaders.Remaining,
        RateLimitHeaders.Reset,
        RateLimitHeaders.LimitTokens,
        RateLimitHeaders.RemainingTokens,
    ];

    public static IServiceCollection AddProxyCors(this IServiceCollection services, ProxySettings settings)
    {
        var origins = settings.CorsAllowOrigins;
        services.AddCors(options => options.AddDefaultPolicy(policy =>
        {
            policy.AllowAnyHeader().AllowAnyMethod().WithExposedHeaders(ExposedHeaders);
            if (origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
                return;
            }
            // A predicate instead of WithOrigins: the framework then always sends `Vary: Origin` with an echoed
            // origin (with WithOrigins it skips Vary when the list has one entry), so a shared cache never serves
            // one origin's answer to another. Origins compare case-insensitively (RFC 6454 §4: scheme and host are
            // lower-cased in the serialisation).
            policy.SetIsOriginAllowed(new OriginMatcher(origins).IsAllowed);
        }));
        return services;
    }
}

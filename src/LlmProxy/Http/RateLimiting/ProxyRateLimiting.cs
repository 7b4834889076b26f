using LlmProxy.Configuration;
using LlmProxy.Http.Errors;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// Wiring of the rate limit (docs/api.md, Rate limit) into the app: services, middleware, and the endpoint convention that opts
/// a route in. Routes without <see cref="RequireProxyRateLimit{TBuilder}"/> (/healthz, /metrics, the docs) are never limited.
/// </summary>
internal static class ProxyRateLimiting
{
    public static IServiceCollection AddProxyRateLimiting(this IServiceCollection services, ProxySettings settings)
    {
        var limiters = new ClientLimiters();
        services.AddSingleton(limiters);
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(ProxyRateLimitPolicy.Name, new ProxyRateLimitPolicy(settings, limiters));
        });
        return services;
    }

    /// <summary>After auth (the key-mode partition is the accepted key). Nothing at all when the limit is off.</summary>
    public static IApplicationBuilder UseProxyRateLimiting(this IApplicationBuilder app, ProxySettings settings)
    {
        if (settings.RateLimitEnabled)
        {
            app.UseRateLimiter();
            app.UseMiddleware<RateLimitHeadersMiddleware>();
        }
        return app;
    }

    /// <summary>
    /// Puts the endpoints (or a whole route group) under the per-client rate limit, and documents the 429 answer in the
    /// OpenAPI description.
    /// </summary>
    public static TBuilder RequireProxyRateLimit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireRateLimiting(ProxyRateLimitPolicy.Name);
        builder.WithErrorResponse(StatusCodes.Status429TooManyRequests);
        return builder;
    }
}

using LlmProxy.Configuration;
using LlmProxy.Http.Errors;
using LlmProxy.Metrics;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// Wiring of the limits (docs/api.md, Rate limits; docs/replicas.md) into the app: the window store (Redis with
/// REDIS_URL, else in memory), the middleware, and the endpoint convention that opts a route in. Routes without
/// <see cref="RequireProxyRateLimit{TBuilder}"/> (/healthz, /metrics, the docs) are never limited.
/// </summary>
internal static class ProxyRateLimiting
{
    public static IServiceCollection AddProxyRateLimiting(this IServiceCollection services, ProxySettings settings)
    {
        services.AddSingleton<ClientLimits>();
        services.AddSingleton<FailedAuthThrottle>();
        if (settings.RedisUrl is { } url)
        {
            services.AddSingleton<IWindowCounterStore>(s => ConnectRedis(s, url, settings.RedisFailureMode));
        }
        else
        {
            services.AddSingleton<IWindowCounterStore>(s => new InMemoryWindowStore(s.GetRequiredService<TimeProvider>()));
        }
        return services;
    }

    /// <summary>
    /// Creates the store before the first request (the app calls it at build): with Redis that is the connection, which
    /// waits at most <see cref="RedisStoreOptions.DefaultConnectTimeout"/> and never fails the start.
    /// </summary>
    public static IWindowCounterStore CreateStore(IServiceProvider services) => services.GetRequiredService<IWindowCounterStore>();

    /// <summary>After auth (the client of a key is the key's name). Every request passes; unmarked routes at the cost of one lookup.</summary>
    public static IApplicationBuilder UseProxyRateLimiting(this IApplicationBuilder app) => app.UseMiddleware<RateLimitMiddleware>();

    /// <summary>
    /// Puts the endpoints (or a whole route group) under the per-client limits, and documents the 429 answer in the
    /// OpenAPI description.
    /// </summary>
    public static TBuilder RequireProxyRateLimit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(RequiresProxyRateLimitMetadata.Instance);
        builder.WithErrorResponse(StatusCodes.Status429TooManyRequests);
        return builder;
    }

    /// <summary>
    /// The Redis store. The connection is made once at build time, synchronously: nothing else runs yet, and the start
    /// must not serve a request before the store exists.
    /// </summary>
    private static RedisWindowStore ConnectRedis(IServiceProvider services, RedisUrl url, StoreFailureMode mode)
    {
        var options = new RedisStoreOptions { Url = url, FailureMode = mode };
        var metrics = new RateLimitStoreMetrics(services.GetRequiredService<MetricsRegistry>());
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("LlmProxy.RateLimit");
        return RedisWindowStore.ConnectAsync(options, metrics, logger, services.GetRequiredService<TimeProvider>()).GetAwaiter().GetResult();
    }
}

using LlmProxy.Http;
namespace LlmProxy.Metrics;

/// <summary>Registration of the metrics singletons and of the HTTP metrics middleware.</summary>
public static class MetricsSetup
{
    public static IServiceCollection AddProxyMetrics(this IServiceCollection services)
    {
        services.AddSingleton<MetricsRegistry>();
        services.AddSingleton<HttpMetrics>();
        services.AddSingleton<LlmMetrics>();
        services.AddSingleton<ProcessMetrics>();
        return services;
    }

    /// <summary>
    /// Creates the metric families in a fixed order (HTTP, LLM, process: the order of a scrape) and adds the
    /// middleware. Call right after <c>UseRouting</c>.
    /// </summary>
    public static IApplicationBuilder UseHttpMetrics(this IApplicationBuilder app)
    {
        _ = app.ApplicationServices.GetRequiredService<HttpMetrics>();
        _ = app.ApplicationServices.GetRequiredService<LlmMetrics>();
        _ = app.ApplicationServices.GetRequiredService<ProcessMetrics>();
        return app.UseMiddleware<HttpMetricsMiddleware>();
    }
}

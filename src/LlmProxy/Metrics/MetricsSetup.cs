namespace LlmProxy.Metrics;

/// <summary>Registration of the metrics singletons.</summary>
internal static class MetricsSetup
{
    public static IServiceCollection AddProxyMetrics(this IServiceCollection services)
    {
        services.AddSingleton<MetricsRegistry>();
        services.AddSingleton<HttpMetrics>();
        services.AddSingleton<LlmMetrics>();
        services.AddSingleton<UpstreamMetrics>();
        services.AddSingleton<ProcessMetrics>();
        return services;
    }

    /// <summary>Creates the metric families in a fixed order (HTTP, LLM, upstreams, process: the order of a scrape), before the first request.</summary>
    public static void CreateFamilies(IServiceProvider services)
    {
        _ = services.GetRequiredService<HttpMetrics>();
        _ = services.GetRequiredService<LlmMetrics>();
        _ = services.GetRequiredService<UpstreamMetrics>();
        _ = services.GetRequiredService<ProcessMetrics>();
    }
}

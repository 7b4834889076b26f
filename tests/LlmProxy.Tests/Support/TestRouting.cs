using LlmProxy.Configuration;
using LlmProxy.Http.Auth;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Tests.Support;

/// <summary>Routing's singletons (pool, catalog, router) from settings, without a web host: for unit tests of routing.</summary>
internal static class TestRouting
{
    public static ServiceProvider Create(ProxySettings settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddProxyAuth(settings);
        services.AddProxyMetrics();
        services.AddUpstreams();
        services.AddModelRouting();
        return services.BuildServiceProvider();
    }

    /// <summary>Settings with one named upstream per (name, options) on unreachable loopback URLs (nothing is sent in these tests).</summary>
    public static ProxySettings Named(params (string Name, UpstreamOptions Options)[] upstreams) => new()
    {
        Upstreams = [.. upstreams.Select((u, i) => new UpstreamDefinition(u.Name, new Uri($"http://127.0.0.1:{9 + i}/v1"), u.Options))],
        DefaultProvider = ProviderNames.Auto,
    };

    public static UpstreamEntry Entry(this ServiceProvider services, string name) =>
        services.GetRequiredService<UpstreamPool>().Find(name) ?? throw new InvalidOperationException(name);
}

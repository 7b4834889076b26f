using LlmProxy.Configuration;
using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// Routing by model name (docs/configuration.md, MODEL_PROVIDER_MAP): the exact map entry, then the longest prefix,
/// then LLM_PROVIDER. Knows no HTTP dialect: every door asks it the same question and gets an <see cref="IUpstream"/>.
/// </summary>
internal sealed class ModelRouter
{
    private readonly ModelProviderMap _map;
    private readonly Dictionary<string, IUpstream> _upstreams;

    public ModelRouter(ProxySettings settings, IEnumerable<IUpstream> upstreams)
    {
        // Parsed once here; the command line already refused a bad map with exit 2.
        _map = ModelProviderMap.Parse(settings.ModelProviderMap);
        DefaultProvider = settings.DefaultProvider;
        _upstreams = upstreams.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    /// <summary>LLM_PROVIDER: the upstream of every model the map does not name.</summary>
    public string DefaultProvider { get; }

    /// <summary>The exact model names in the map (what /v1/models lists besides the upstream's own).</summary>
    public IEnumerable<string> ExactModels => _map.ExactModels;

    /// <summary>The provider name for a model (pure routing, no lookup of the implementation).</summary>
    public string ProviderNameFor(string model) => _map.Match(model) ?? DefaultProvider;

    /// <summary>True when some model can be routed to <paramref name="provider"/> (as the default or by a map entry).</summary>
    public bool Reaches(string provider) => DefaultProvider == provider || _map.Mentions(provider);

    public IUpstream Route(string model)
    {
        var name = ProviderNameFor(model);
        return _upstreams.TryGetValue(name, out var upstream)
            ? upstream
            : throw new InvalidOperationException($"provider '{name}' is not registered");
    }
}

internal static class ModelRoutingSetup
{
    public static IServiceCollection AddModelRouting(this IServiceCollection services)
    {
        services.AddSingleton<ModelRouter>();
        services.AddSingleton<IUpstreamStatusSource, SingleUpstreamStatusSource>();
        return services;
    }
}

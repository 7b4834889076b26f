using LlmProxy.Configuration;
using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>Routing by model name (CONTRACT §3): exact map entry, then longest prefix, then LLM_PROVIDER.</summary>
public sealed class ProviderRouter
{
    private readonly ModelProviderMap _map;
    private readonly string _defaultProvider;
    private readonly Dictionary<string, IChatProvider> _providers;

    public ProviderRouter(ProxySettings settings, IEnumerable<IChatProvider> providers)
    {
        _map = settings.ModelProviderMap;
        _defaultProvider = settings.DefaultProvider;
        _providers = providers.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    /// <summary>The provider name for a model (pure routing, no lookup of the implementation).</summary>
    public string ProviderNameFor(string model) => _map.Match(model) ?? _defaultProvider;

    public IChatProvider Resolve(string model)
    {
        var name = ProviderNameFor(model);
        return _providers.TryGetValue(name, out var provider)
            ? provider
            : throw new InvalidOperationException($"provider '{name}' is not registered");
    }
}

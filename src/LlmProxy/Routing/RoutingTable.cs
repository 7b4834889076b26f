using LlmProxy.Configuration;

namespace LlmProxy.Routing;

/// <summary>
/// The routing settings, parsed once at start (the command line already refused bad ones with exit 2): the map, the
/// aliases, LLM_PROVIDER and which upstreams exist (docs/upstreams.md, Names).
/// </summary>
internal sealed class RoutingTable
{
    public RoutingTable(ProxySettings settings)
    {
        var named = settings.Upstreams.Select(u => u.Name).ToList();
        // Read with every name that may exist; which ones do is decided below.
        List<string> widest = named.Count > 0 ? [ProviderNames.Stub, ProviderNames.Auto, .. named] : [ProviderNames.Stub, ProviderNames.Auto, .. DiscoveryTargets.Names];
        Map = ModelProviderMap.Parse(settings.ModelProviderMap, widest);
        Aliases = ModelAliases.Parse(settings.ModelAliases);
        DefaultProvider = settings.DefaultProvider;
        Mode = named.Count > 0 ? UpstreamMode.Named
            : DefaultProvider == ProviderNames.Auto || Map.Mentions(ProviderNames.Auto) ? UpstreamMode.Discovery
            : UpstreamMode.Legacy;
    }

    public ModelProviderMap Map { get; }

    public ModelAliases Aliases { get; }

    /// <summary>LLM_PROVIDER: the route of every model the map does not name.</summary>
    public string DefaultProvider { get; }

    public UpstreamMode Mode { get; }

    /// <summary>True when some model can be routed to <paramref name="provider"/> (as the default or by a map entry).</summary>
    public bool Reaches(string provider) => DefaultProvider == provider || Map.Mentions(provider);
}

/// <summary>Where the upstreams come from (docs/upstreams.md).</summary>
internal enum UpstreamMode
{
    /// <summary>No UPSTREAMS and no <c>auto</c>: the one <c>ollama</c> upstream at OPENAI_COMPAT_BASE_URL, as before.</summary>
    Legacy,

    /// <summary>UPSTREAMS names them.</summary>
    Named,

    /// <summary>No UPSTREAMS, and <c>auto</c> is used: local servers are found on their usual ports.</summary>
    Discovery,
}

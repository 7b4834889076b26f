namespace LlmProxy.Routing;

/// <summary>
/// Routing by model name (docs/upstreams.md, Routing): MODEL_ALIASES first, then the exact map entry, the longest
/// prefix, then LLM_PROVIDER; a route to <c>auto</c> goes to the upstreams whose model list names the model. Knows no
/// HTTP dialect: every door asks the same question and gets one <see cref="RoutedUpstream"/> to send to.
/// </summary>
internal sealed class ModelRouter(RoutingTable table, UpstreamPool pool, ModelCatalog catalog, FailoverSender sender)
{
    /// <summary>LLM_PROVIDER: the route of every model the map does not name.</summary>
    public string DefaultProvider => table.DefaultProvider;

    /// <summary>The exact model names in the map (what /v1/models lists besides the upstreams' own).</summary>
    public IEnumerable<string> ExactModels => table.Map.ExactModels;

    public ModelAliases Aliases => table.Aliases;

    /// <summary>The route's name for a model already resolved from its alias: an upstream, <c>stub</c> or <c>auto</c>.</summary>
    public string ProviderNameFor(string model) => table.Map.Match(model) ?? table.DefaultProvider;

    /// <summary>True when some model can be routed to <paramref name="provider"/> (as the default or by a map entry).</summary>
    public bool Reaches(string provider) => table.Reaches(provider);

    /// <summary>
    /// The route of <paramref name="model"/>: the model to send (its alias's target, or itself) and the candidates, as
    /// one upstream to send to. Never fails: a route without candidates answers its failure when sent to.
    /// </summary>
    public RoutedUpstream Route(string model)
    {
        var target = table.Aliases.Resolve(model);
        var name = ProviderNameFor(target);
        var candidates = name == ProviderNames.Auto ? catalog.CandidatesFor(target) : pool.Find(name)?.Alone ?? [];
        return new RoutedUpstream(name, target, candidates, sender);
    }
}

internal static class ModelRoutingSetup
{
    public static IServiceCollection AddModelRouting(this IServiceCollection services)
    {
        services.AddSingleton<RoutingTable>();
        services.AddSingleton<UpstreamPool>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<FailoverSender>();
        services.AddSingleton<ModelRouter>();
        services.AddSingleton<ModelListing>();
        services.AddHostedService<UpstreamMonitor>();
        return services;
    }
}

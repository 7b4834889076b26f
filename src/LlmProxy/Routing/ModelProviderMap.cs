namespace LlmProxy.Routing;

/// <summary>
/// MODEL_PROVIDER_MAP (docs/configuration.md): <c>model=provider</c> or <c>prefix*=provider</c>, comma-separated.
/// An exact entry beats any prefix entry; among prefixes the longest wins; no match falls back to LLM_PROVIDER.
/// </summary>
internal sealed class ModelProviderMap
{
    public static readonly ModelProviderMap Empty = new(new Dictionary<string, string>(StringComparer.Ordinal), []);

    private readonly Dictionary<string, string> _exact;

    // Sorted longest prefix first, so the first match is the longest.
    private readonly (string Prefix, string Provider)[] _prefixes;

    private ModelProviderMap(Dictionary<string, string> exact, (string Prefix, string Provider)[] prefixes)
    {
        _exact = exact;
        _prefixes = prefixes;
    }

    /// <summary>The exact model names in the map (what /v1/models lists besides the upstream's own).</summary>
    public IEnumerable<string> ExactModels => _exact.Keys;

    /// <summary>Every provider some entry routes to.</summary>
    public IEnumerable<string> Providers => _exact.Values.Concat(_prefixes.Select(p => p.Provider)).Distinct(StringComparer.Ordinal);

    /// <summary>True when some entry routes to <paramref name="provider"/>.</summary>
    public bool Mentions(string provider) =>
        _exact.ContainsValue(provider) || Array.Exists(_prefixes, p => p.Provider == provider);

    public bool IsEmpty => _exact.Count == 0 && _prefixes.Length == 0;

    /// <summary>The provider for <paramref name="model"/>, or null when no entry matches.</summary>
    public string? Match(string model)
    {
        if (_exact.TryGetValue(model, out var provider))
        {
            return provider;
        }
        foreach (var (prefix, prefixProvider) in _prefixes)
        {
            if (model.StartsWith(prefix, StringComparison.Ordinal))
            {
                return prefixProvider;
            }
        }
        return null;
    }

    /// <summary>
    /// Parses the setting; throws <see cref="FormatException"/> naming the bad entry. A provider must be one of
    /// <paramref name="knownProviders"/> (any case; by default the names known without UPSTREAMS, see <see cref="ProviderNames"/>).
    /// </summary>
    public static ModelProviderMap Parse(string? value, IReadOnlyCollection<string>? knownProviders = null)
    {
        var known = knownProviders ?? ProviderNames.All;
        if (string.IsNullOrWhiteSpace(value))
        {
            return Empty;
        }
        var exact = new Dictionary<string, string>(StringComparer.Ordinal);
        var prefixes = new List<(string, string)>();
        foreach (var rawEntry in value.Split(','))
        {
            var entry = rawEntry.Trim();
            if (entry.Length == 0)
            {
                continue; // tolerate "a=stub," and "a=stub,,b=stub": an empty entry says nothing
            }
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new FormatException($"entry '{entry}' has no '=' (expected model=provider or prefix*=provider)");
            }
            var pattern = entry[..eq].Trim();
            var providerText = entry[(eq + 1)..].Trim();
            if (pattern.Length == 0)
            {
                throw new FormatException($"entry '{entry}' has an empty model name");
            }
            var provider = ProviderNames.Normalize(providerText, known)
                ?? throw new FormatException($"entry '{entry}' names unknown provider '{providerText}' (known: {string.Join(", ", known)})");
            var star = pattern.IndexOf('*', StringComparison.Ordinal);
            if (star >= 0 && star != pattern.Length - 1)
            {
                throw new FormatException($"entry '{entry}': '*' is only allowed at the end of a prefix");
            }
            if (star >= 0)
            {
                var prefix = pattern[..^1];
                if (prefixes.Exists(p => p.Item1 == prefix))
                {
                    throw new FormatException($"entry '{entry}' repeats prefix '{prefix}*'");
                }
                prefixes.Add((prefix, provider));
            }
            else if (!exact.TryAdd(pattern, provider))
            {
                throw new FormatException($"entry '{entry}' repeats model '{pattern}'");
            }
        }
        var sorted = prefixes.OrderByDescending(p => p.Item1.Length).ThenBy(p => p.Item1, StringComparer.Ordinal).ToArray();
        return new ModelProviderMap(exact, sorted);
    }
}

namespace LlmProxy.Routing;

/// <summary>
/// MODEL_ALIASES (docs/upstreams.md, Aliases): <c>alias=model</c>, comma-separated. A request for an alias is routed and
/// forwarded as the target model; only the <c>model</c> value of the body changes (see
/// <see cref="Http.Body.JsonModelSplice"/>). One step: an alias never points at another alias.
/// </summary>
internal sealed class ModelAliases
{
    public static readonly ModelAliases Empty = new(new Dictionary<string, string>(StringComparer.Ordinal));

    private readonly Dictionary<string, string> _targets;

    private ModelAliases(Dictionary<string, string> targets) => _targets = targets;

    /// <summary>Alias → target, in no particular order.</summary>
    public IReadOnlyDictionary<string, string> Targets => _targets;

    public bool IsEmpty => _targets.Count == 0;

    /// <summary>The model to route and send for <paramref name="model"/>: its target when it is an alias, else itself.</summary>
    public string Resolve(string model) => _targets.Count != 0 && _targets.TryGetValue(model, out var target) ? target : model;

    /// <summary>Parses the setting; throws <see cref="FormatException"/> naming the bad entry.</summary>
    public static ModelAliases Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Empty;
        }
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawEntry in value.Split(','))
        {
            var entry = rawEntry.Trim();
            if (entry.Length == 0)
            {
                continue; // "a=b," says nothing more than "a=b"
            }
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new FormatException($"entry '{entry}' has no '=' (expected alias=model)");
            }
            var alias = entry[..eq].Trim();
            var target = entry[(eq + 1)..].Trim();
            if (alias.Length == 0 || target.Length == 0)
            {
                throw new FormatException($"entry '{entry}' has an empty {(alias.Length == 0 ? "alias" : "model")}");
            }
            if (alias == target)
            {
                throw new FormatException($"entry '{entry}' makes '{alias}' an alias of itself");
            }
            if (!targets.TryAdd(alias, target))
            {
                throw new FormatException($"entry '{entry}' repeats alias '{alias}'");
            }
        }
        foreach (var (alias, target) in targets)
        {
            if (targets.ContainsKey(target))
            {
                throw new FormatException($"'{alias}' points at '{target}', which is an alias too (aliases are one step: name the model)");
            }
        }
        return new ModelAliases(targets);
    }
}

namespace LlmProxy.Http.Auth;

/// <summary>
/// The <c>models=</c> of a keys-file line: exact model names and <c>prefix*</c> patterns, matched case-sensitively
/// like MODEL_PROVIDER_MAP (model names are identifiers to the servers behind the proxy). A lone <c>*</c> allows every model.
/// </summary>
internal sealed class ModelAllowList
{
    private readonly HashSet<string> _exact;
    private readonly string[] _prefixes;

    private ModelAllowList(HashSet<string> exact, string[] prefixes, string text)
    {
        _exact = exact;
        _prefixes = prefixes;
        Text = text;
    }

    /// <summary>The list as written (for error messages and logs: it names models, not keys).</summary>
    public string Text { get; }

    public bool Allows(string model)
    {
        if (_exact.Contains(model))
        {
            return true;
        }
        foreach (var prefix in _prefixes)
        {
            if (model.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Parses <c>a,b*,c</c>; <paramref name="error"/> names the bad pattern.</summary>
    public static ModelAllowList? Parse(string value, out string? error)
    {
        var exact = new HashSet<string>(StringComparer.Ordinal);
        var prefixes = new List<string>();
        foreach (var pattern in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var star = pattern.IndexOf('*', StringComparison.Ordinal);
            if (star >= 0 && star != pattern.Length - 1)
            {
                error = $"model pattern '{pattern}': '*' is only allowed at the end";
                return null;
            }
            if (star >= 0)
            {
                prefixes.Add(pattern[..^1]);
            }
            else
            {
                exact.Add(pattern);
            }
        }
        if (exact.Count == 0 && prefixes.Count == 0)
        {
            error = "models= lists no model";
            return null;
        }
        error = null;
        return new ModelAllowList(exact, [.. prefixes], value);
    }
}

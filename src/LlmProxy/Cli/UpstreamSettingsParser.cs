using System.Globalization;
using LlmProxy.Configuration;
using LlmProxy.Routing;

namespace LlmProxy.Cli;

/// <summary>
/// The many-upstreams settings (docs/configuration.md, Upstreams): the <c>UPSTREAMS</c> list (<c>name=url</c>,
/// comma-separated, or repeated <c>--upstream name=url</c>) and the per-upstream values
/// <c>UPSTREAM_&lt;NAME&gt;_API_KEY|_PRIORITY|_MAX_CONCURRENCY|_MODELS</c> (or <c>--upstream-option name.key=value</c>).
/// Every bad value throws <see cref="SettingsException"/> naming where it came from; a URL is never echoed with its
/// user info, nor a key at all.
/// </summary>
internal static class UpstreamSettingsParser
{
    /// <summary>The per-upstream keys: the suffix of the variable and the lower-case key of the flag.</summary>
    public static readonly IReadOnlyList<string> Keys = ["API_KEY", "PRIORITY", "MAX_CONCURRENCY", "MODELS"];

    public const int MaxPriority = 1_000_000;
    public const int MaxConcurrencyLimit = 1_000_000;

    /// <summary>The UPSTREAMS list: names checked (<c>[a-z0-9-]{1,32}</c>, not reserved, each once), URLs absolute http(s).</summary>
    public static List<(string Name, Uri Url)> ParseList(RawValue raw)
    {
        var result = new List<(string, Uri)>();
        foreach (var rawEntry in raw.Value.Split(','))
        {
            var entry = rawEntry.Trim();
            if (entry.Length == 0)
            {
                continue;
            }
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new SettingsException($"invalid {raw.Origin}: entry '{RedactUserInfo(entry)}' has no '=' (expected NAME=URL, e.g. local=http://localhost:11434/v1)");
            }
            var name = entry[..eq].Trim();
            var urlText = entry[(eq + 1)..].Trim();
            if (!ProviderNames.IsValidUpstreamName(name))
            {
                throw new SettingsException($"invalid {raw.Origin}: upstream name '{name}' must be 1 to {ProviderNames.MaxNameLength} characters of a-z, 0-9 and '-'");
            }
            if (ProviderNames.Reserved.Contains(name))
            {
                throw new SettingsException($"invalid {raw.Origin}: upstream name '{name}' is reserved ({string.Join(", ", ProviderNames.Reserved)})");
            }
            if (result.Exists(u => u.Item1 == name))
            {
                throw new SettingsException($"invalid {raw.Origin}: upstream '{name}' is defined twice");
            }
            result.Add((name, ParseUrl(urlText)
                ?? throw new SettingsException($"invalid {raw.Origin}: upstream '{name}': '{RedactUserInfo(urlText)}' is not an absolute http:// or https:// URL without query")));
        }
        return result;
    }

    /// <summary>An absolute http(s) URL without query or fragment, ending in '/' (so relative paths append); null otherwise.</summary>
    public static Uri? ParseUrl(string text)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0 && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment))
        {
            return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        }
        return null;
    }

    /// <summary>
    /// The per-upstream values for the upstreams in <paramref name="known"/>, flag over variable over env-file line, by
    /// upstream name. A value for an upstream not in <paramref name="known"/> is a bad setting.
    /// </summary>
    /// <param name="flags">The <c>--upstream-option</c> values, as given.</param>
    /// <param name="variables">Every variable of the environment, then of the env-file (with its origin for messages).</param>
    public static Dictionary<string, UpstreamOptions> ParseOptions(
        IReadOnlyList<string> flags,
        IEnumerable<(string Key, RawValue Value)> variables,
        IReadOnlyCollection<string> known,
        IReadOnlySet<string> otherSettingNames)
    {
        // (upstream, key) → the value of highest precedence seen so far (flags first, then variables in precedence order).
        var values = new Dictionary<(string Name, string Key), RawValue>();
        foreach (var flag in flags)
        {
            var (name, key, value) = SplitFlag(flag, known);
            values[(name, key)] = new RawValue(value, $"--upstream-option {name}.{key.ToLowerInvariant()}", key == "API_KEY");
        }
        foreach (var (variable, raw) in variables)
        {
            if (otherSettingNames.Contains(variable) || !TrySplitVariable(variable, out var namePart, out var key))
            {
                continue;
            }
            var name = known.FirstOrDefault(n => ProviderNames.VariablePart(n) == namePart)
                ?? throw new SettingsException($"invalid {raw.Origin}: there is no upstream named '{namePart.ToLowerInvariant().Replace('_', '-')}' ({Describe(known)})");
            values.TryAdd((name, key), raw with { IsSecret = key == "API_KEY" });
        }

        var result = new Dictionary<string, UpstreamOptions>(StringComparer.Ordinal);
        foreach (var name in values.Keys.Select(k => k.Name).Distinct())
        {
            result[name] = new UpstreamOptions
            {
                ApiKey = values.TryGetValue((name, "API_KEY"), out var k) && k.Value.Trim().Length > 0 ? k.Value.Trim() : null,
                ApiKeyOverridesClient = true,
                Priority = values.TryGetValue((name, "PRIORITY"), out var p) ? ParseInt(p, -MaxPriority, MaxPriority, $"a whole number from -{MaxPriority} to {MaxPriority} (lower is preferred)") : 0,
                MaxConcurrency = values.TryGetValue((name, "MAX_CONCURRENCY"), out var c) ? ParseInt(c, 0, MaxConcurrencyLimit, $"a whole number from 0 (unlimited) to {MaxConcurrencyLimit}") : 0,
                Models = values.TryGetValue((name, "MODELS"), out var m) ? ParseModels(m.Value) : null,
            };
        }
        return result;
    }

    /// <summary><c>UPSTREAM_&lt;NAME&gt;_&lt;KEY&gt;</c> with one of <see cref="Keys"/>: the NAME part and the key.</summary>
    public static bool TrySplitVariable(string variable, out string namePart, out string key)
    {
        namePart = key = "";
        if (!variable.StartsWith("UPSTREAM_", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var candidate in Keys)
        {
            var suffix = "_" + candidate;
            if (variable.EndsWith(suffix, StringComparison.Ordinal) && variable.Length > "UPSTREAM_".Length + suffix.Length)
            {
                namePart = variable["UPSTREAM_".Length..^suffix.Length];
                key = candidate;
                return true;
            }
        }
        return false;
    }

    private static (string Name, string Key, string Value) SplitFlag(string flag, IReadOnlyCollection<string> known)
    {
        var eq = flag.IndexOf('=', StringComparison.Ordinal);
        var dot = eq < 0 ? -1 : flag.LastIndexOf('.', eq);
        if (eq < 0 || dot <= 0)
        {
            throw new SettingsException($"invalid --upstream-option: '{flag[..(eq < 0 ? flag.Length : eq)]}' is not NAME.KEY=VALUE (e.g. gpu.priority=1)");
        }
        var name = flag[..dot].Trim().ToLowerInvariant();
        var keyText = flag[(dot + 1)..eq].Trim();
        var key = Keys.FirstOrDefault(k => k.Equals(keyText, StringComparison.OrdinalIgnoreCase))
            ?? throw new SettingsException($"invalid --upstream-option {name}.{keyText}: the key must be one of {string.Join(", ", Keys.Select(k => k.ToLowerInvariant()))}");
        if (!known.Contains(name))
        {
            throw new SettingsException($"invalid --upstream-option {name}.{keyText}: there is no upstream named '{name}' ({Describe(known)})");
        }
        return (name, key, flag[(eq + 1)..]);
    }

    private static string Describe(IReadOnlyCollection<string> known) =>
        known.Count == 0 ? "no upstream is defined" : $"upstreams: {string.Join(", ", known)}";

    private static int ParseInt(RawValue raw, int min, int max, string expected) =>
        int.TryParse(raw.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw raw.Invalid($"expected {expected}");

    private static string[]? ParseModels(string value)
    {
        var models = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();
        return models.Length == 0 ? null : models;
    }

    /// <summary><c>http://user:secret@host/v1</c> → <c>http://***@host/v1</c>: a URL's user info may hold a password.</summary>
    public static string RedactUserInfo(string text)
    {
        if (text.Length == 0)
        {
            return text;
        }
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var from = scheme < 0 ? 0 : scheme + 3;
        var slash = text.IndexOf('/', from);
        var at = text.LastIndexOf('@', slash < 0 ? text.Length - 1 : slash);
        return at >= from ? text[..from] + "***" + text[at..] : text;
    }
}

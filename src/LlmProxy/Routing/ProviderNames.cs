using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// The names LLM_PROVIDER and MODEL_PROVIDER_MAP may use (docs/upstreams.md, Names): <c>stub</c>, <c>auto</c>, and the
/// upstreams — the named ones of UPSTREAMS, or without them the legacy <c>ollama</c> (and, with discovery, the servers
/// it may find).
/// </summary>
internal static class ProviderNames
{
    public const string Stub = StubUpstream.ProviderName;

    /// <summary>The legacy single upstream at OPENAI_COMPAT_BASE_URL (any OpenAI-compatible server, by its first name).</summary>
    public const string Ollama = "ollama";

    /// <summary>Route by the upstreams' model lists.</summary>
    public const string Auto = "auto";

    /// <summary>Names an upstream can never have.</summary>
    public static readonly IReadOnlyList<string> Reserved = [Stub, Auto];

    /// <summary>The names known without UPSTREAMS and without discovery.</summary>
    public static readonly IReadOnlyList<string> All = [Stub, Ollama, Auto];

    /// <summary>The longest upstream name: it becomes a metrics label and part of a variable name.</summary>
    public const int MaxNameLength = 32;

    /// <summary>Returns the canonical (lower-case) name when it is one of <paramref name="known"/> (by default <see cref="All"/>), else null.</summary>
    public static string? Normalize(string value, IReadOnlyCollection<string>? known = null)
    {
        var trimmed = value.Trim();
        foreach (var name in known ?? All)
        {
            if (string.Equals(name, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }
        return null;
    }

    /// <summary><c>[a-z0-9-]{1,32}</c>: safe as a label value, a header value and (upper-cased, '-' → '_') in a variable name.</summary>
    public static bool IsValidUpstreamName(string name)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The <c>&lt;NAME&gt;</c> of an upstream's variables: <c>gpu-box</c> → <c>GPU_BOX</c>.</summary>
    public static string VariablePart(string name) => name.ToUpperInvariant().Replace('-', '_');
}

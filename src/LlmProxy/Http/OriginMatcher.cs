using System.Collections.Frozen;

namespace LlmProxy.Http;

/// <summary>
/// Matches an <c>Origin</c> header against the configured origins: exact entries (case-insensitive), and entries whose
/// port is <c>*</c>, which match the origin without a port (the scheme's default) or with any port number.
/// </summary>
internal sealed class OriginMatcher
{
    private readonly FrozenSet<string> _exact;

    /// <summary>The <c>scheme://host</c> part of each any-port entry.</summary>
    private readonly string[] _anyPort;

    public OriginMatcher(IEnumerable<string> origins)
    {
        var list = origins.ToList();
        _exact = list.Where(o => !o.EndsWith(":*", StringComparison.Ordinal)).Select(o => o.TrimEnd('/')).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _anyPort = list.Where(o => o.EndsWith(":*", StringComparison.Ordinal)).Select(o => o[..^2]).ToArray();
    }

    public bool IsAllowed(string origin)
    {
        if (_exact.Contains(origin))
        {
            return true;
        }
        foreach (var prefix in _anyPort)
        {
            if (!origin.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var rest = origin.AsSpan(prefix.Length);
            // "http://localhost" or "http://localhost:5173"; never "http://localhost.evil.example" or "…:80@evil".
            if (rest.IsEmpty || (rest.Length is > 1 and <= 6 && rest[0] == ':' && !rest[1..].ContainsAnyExceptInRange('0', '9')))
            {
                return true;
            }
        }
        return false;
    }
}

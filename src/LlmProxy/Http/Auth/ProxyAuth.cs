using LlmProxy.Configuration;

namespace LlmProxy.Http.Auth;

/// <summary>Endpoint metadata: the route needs the proxy's auth check (docs/api.md, Authentication).</summary>
internal sealed class RequiresProxyAuthMetadata
{
    public static readonly RequiresProxyAuthMetadata Instance = new();
}

/// <summary>What the auth check decided about one request.</summary>
/// <param name="Key">The matched key's entry (key mode, accepted); null otherwise.</param>
/// <param name="Problem">Null when the request may go on; otherwise the 401 detail (never echoes what was presented).</param>
/// <param name="WrongCredential">A credential was presented and was not an accepted key (counted against the address).</param>
internal readonly record struct AuthVerdict(ApiKeyEntry? Key, string? Problem, bool WrongCredential)
{
    public static readonly AuthVerdict Allowed = new(null, null, false);
}

/// <summary>
/// The one auth decision (docs/api.md, Authentication). Default mode: an <c>Authorization</c> header must be present.
/// Key mode (PROXY_API_KEYS and/or PROXY_API_KEYS_FILE): it must be <c>Bearer &lt;key&gt;</c> for a key of the current
/// table (<see cref="ApiKeyTable.Find"/>: SHA-256 digests compared in constant time), and the request carries the
/// key's entry from then on (<see cref="ApiKeyEntry.Of"/>: its name, limits and models).
/// </summary>
/// <remarks>
/// A door whose clients send their key in another header (Anthropic's <c>x-api-key</c>) extends
/// <see cref="PresentedKey"/>, so every door keeps this one decision and the throttling of wrong keys.
/// </remarks>
internal sealed class ProxyAuth(ProxySettings settings, IApiKeySource keys)
{
    private const string BearerScheme = "Bearer ";

    public bool KeyMode { get; } = settings.ApiKeysEnabled;

    public AuthVerdict Check(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count == 0 || string.IsNullOrWhiteSpace(header[0]))
        {
            return new AuthVerdict(null, "Missing Authorization header", WrongCredential: false);
        }
        if (!KeyMode)
        {
            return AuthVerdict.Allowed;
        }
        if (!PresentedKey(header, out var presented))
        {
            return new AuthVerdict(null, "Authorization must be 'Bearer <api key>'", WrongCredential: true);
        }
        // The table is read once: a reload during this request cannot change which table it was checked against.
        return keys.Current.Find(presented) is { } entry
            ? new AuthVerdict(entry, null, false)
            : new AuthVerdict(null, "Invalid API key", WrongCredential: true);
    }

    /// <summary>The key of exactly one <c>Authorization: Bearer &lt;key&gt;</c> header (the scheme in any case).</summary>
    private static bool PresentedKey(Microsoft.Extensions.Primitives.StringValues header, out ReadOnlySpan<char> key)
    {
        key = default;
        var value = header[0]!;
        if (header.Count != 1 || !value.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        key = value.AsSpan(BearerScheme.Length).Trim();
        return true;
    }
}

using LlmProxy.Configuration;

namespace LlmProxy.Http.Auth;

/// <summary>Endpoint metadata: the route needs the proxy's auth check (docs/api.md, Authentication).</summary>
internal sealed class RequiresProxyAuthMetadata
{
    public static readonly RequiresProxyAuthMetadata Instance = new();

    /// <summary>
    /// Checked in key mode only: Ollama's routes, whose clients send no <c>Authorization</c> at all (docs/ollama.md,
    /// Setup), so that without keys they work as Ollama does and with keys they are as closed as every other route.
    /// </summary>
    public static readonly RequiresProxyAuthMetadata KeyModeOnly = new() { OnlyWithKeys = true };

    public bool OnlyWithKeys { get; private init; }
}

/// <summary>
/// Endpoint metadata: besides <c>Authorization: Bearer</c>, the route accepts the key in an <c>x-api-key</c> header, as
/// Anthropic's API does (docs/anthropic.md, Auth): Anthropic SDKs and Claude Code send ANTHROPIC_API_KEY there.
/// </summary>
internal sealed class AcceptsApiKeyHeaderMetadata
{
    public static readonly AcceptsApiKeyHeaderMetadata Instance = new();
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
/// The one auth decision (docs/api.md, Authentication). Default mode: an <c>Authorization</c> header must be present
/// (or, on routes that accept it, an <c>x-api-key</c> header). Key mode (PROXY_API_KEYS and/or PROXY_API_KEYS_FILE):
/// it must be <c>Bearer &lt;key&gt;</c> (or <c>x-api-key: &lt;key&gt;</c> there) for a key of the current table
/// (<see cref="ApiKeyTable.Find"/>: SHA-256 digests compared in constant time), and the request carries the key's
/// entry from then on (<see cref="ApiKeyEntry.Of"/>: its name, limits and models).
/// </summary>
internal sealed class ProxyAuth(ProxySettings settings, IApiKeySource keys)
{
    /// <summary>The header Anthropic's API reads its key from (routes with <see cref="AcceptsApiKeyHeaderMetadata"/>).</summary>
    public const string ApiKeyHeader = "x-api-key";

    private const string BearerScheme = "Bearer ";

    public bool KeyMode { get; } = settings.ApiKeysEnabled;

    /// <param name="request">The request whose credentials are checked.</param>
    /// <param name="acceptsApiKeyHeader">The route also takes the key from <c>x-api-key</c> (<see cref="AcceptsApiKeyHeaderMetadata"/>).</param>
    public AuthVerdict Check(HttpRequest request, bool acceptsApiKeyHeader = false)
    {
        var header = request.Headers.Authorization;
        var hasAuthorization = header.Count > 0 && !string.IsNullOrWhiteSpace(header[0]);
        var apiKey = acceptsApiKeyHeader ? request.Headers[ApiKeyHeader] : default;
        var hasApiKey = apiKey.Count > 0 && !string.IsNullOrWhiteSpace(apiKey[0]);
        if (!hasAuthorization && !hasApiKey)
        {
            return new AuthVerdict(null, acceptsApiKeyHeader ? "Missing x-api-key or Authorization header" : "Missing Authorization header",
                WrongCredential: false);
        }
        if (!KeyMode)
        {
            return AuthVerdict.Allowed;
        }
        // The table is read once: a reload during this request cannot change which table it was checked against.
        var table = keys.Current;
        // Either credential may carry the key (Claude Code sends both when ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN
        // are set); the request is allowed when one of them is a key of the table.
        if (hasApiKey && apiKey.Count == 1 && table.Find(apiKey[0]!.AsSpan().Trim()) is { } byApiKey)
        {
            return new AuthVerdict(byApiKey, null, false);
        }
        if (hasAuthorization && PresentedKey(header, out var presented))
        {
            return table.Find(presented) is { } entry
                ? new AuthVerdict(entry, null, false)
                : new AuthVerdict(null, "Invalid API key", WrongCredential: true);
        }
        return hasAuthorization && !hasApiKey
            ? new AuthVerdict(null, "Authorization must be 'Bearer <api key>'", WrongCredential: true)
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

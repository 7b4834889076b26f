using System.Security.Cryptography;
using System.Text;
using LlmProxy.Configuration;

namespace LlmProxy.Http.Auth;

/// <summary>Endpoint metadata: the route needs the proxy's auth check (docs/api.md, Auth).</summary>
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

/// <summary>
/// The auth decision (docs/api.md, Auth). Default mode: an <c>Authorization</c> header must be present (or, on routes
/// that accept it, an <c>x-api-key</c> header). Key mode (PROXY_API_KEYS / PROXY_API_KEYS_FILE): it must be
/// <c>Bearer &lt;key&gt;</c> (or <c>x-api-key: &lt;key&gt;</c> there) for a configured key. Keys are kept only as
/// SHA-256 digests and compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the content nor
/// the length of a key leaks through timing.
/// </summary>
internal sealed class ProxyAuth
{
    /// <summary>The header Anthropic's API reads its key from (routes with <see cref="AcceptsApiKeyHeaderMetadata"/>).</summary>
    public const string ApiKeyHeader = "x-api-key";

    private readonly byte[][] _keyDigests;

    public ProxyAuth(ProxySettings settings)
    {
        _keyDigests = settings.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))).ToArray();
    }

    public bool KeyMode => _keyDigests.Length > 0;

    /// <summary>Null when allowed; otherwise the 401 detail (which never echoes the presented value).</summary>
    /// <param name="request">The request whose credentials are checked.</param>
    /// <param name="acceptsApiKeyHeader">The route also takes the key from <c>x-api-key</c> (<see cref="AcceptsApiKeyHeaderMetadata"/>).</param>
    /// <param name="clientKeyDigest">In key mode, a prefix of the accepted key's digest (the client's rate-limit identity).</param>
    public string? Check(HttpRequest request, bool acceptsApiKeyHeader, out string? clientKeyDigest)
    {
        clientKeyDigest = null;
        var header = request.Headers.Authorization;
        var hasAuthorization = header.Count > 0 && !string.IsNullOrWhiteSpace(header[0]);
        var apiKey = acceptsApiKeyHeader ? request.Headers[ApiKeyHeader] : default;
        var hasApiKey = apiKey.Count > 0 && !string.IsNullOrWhiteSpace(apiKey[0]);
        if (!hasAuthorization && !hasApiKey)
        {
            return acceptsApiKeyHeader ? "Missing x-api-key or Authorization header" : "Missing Authorization header";
        }
        if (!KeyMode)
        {
            return null;
        }
        // Either credential may carry the key (Claude Code sends both when ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN
        // are set); the request is allowed when one of them is a configured key.
        if (hasApiKey && apiKey.Count == 1 && Matches(apiKey[0]!.AsSpan().Trim(), out clientKeyDigest))
        {
            return null;
        }
        const string scheme = "Bearer ";
        var value = hasAuthorization ? header[0]! : "";
        var isBearer = header.Count == 1 && value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase);
        if (isBearer && Matches(value.AsSpan(scheme.Length).Trim(), out clientKeyDigest))
        {
            return null;
        }
        return hasAuthorization && !isBearer && !hasApiKey ? "Authorization must be 'Bearer <api key>'" : "Invalid API key";
    }

    /// <summary>Whether <paramref name="key"/> is a configured key, compared in constant time against every one.</summary>
    private bool Matches(ReadOnlySpan<char> key, out string? clientKeyDigest)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString()), digest);
        var match = false;
        foreach (var known in _keyDigests)
        {
            // No early exit: every key is compared, so the time does not tell which one matched.
            match |= CryptographicOperations.FixedTimeEquals(known, digest);
        }
        clientKeyDigest = match ? Convert.ToHexString(digest[..8]) : null;
        return match;
    }
}

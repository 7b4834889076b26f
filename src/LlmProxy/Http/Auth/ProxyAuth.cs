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
/// The auth decision (docs/api.md, Auth). Default mode: an <c>Authorization</c> header must be present. Key mode
/// (PROXY_API_KEYS / PROXY_API_KEYS_FILE): it must be <c>Bearer &lt;key&gt;</c> for a configured key. Keys are kept only as
/// SHA-256 digests and compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the content nor
/// the length of a key leaks through timing.
/// </summary>
internal sealed class ProxyAuth
{
    private readonly byte[][] _keyDigests;

    public ProxyAuth(ProxySettings settings)
    {
        _keyDigests = settings.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k))).ToArray();
    }

    public bool KeyMode => _keyDigests.Length > 0;

    /// <summary>Null when allowed; otherwise the 401 detail (which never echoes the presented value).</summary>
    public string? Check(HttpRequest request, out string? clientKeyDigest)
    {
        clientKeyDigest = null;
        var header = request.Headers.Authorization;
        if (header.Count == 0 || string.IsNullOrWhiteSpace(header[0]))
        {
            return "Missing Authorization header";
        }
        if (!KeyMode)
        {
            return null;
        }
        var value = header[0]!;
        const string scheme = "Bearer ";
        if (header.Count != 1 || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return "Authorization must be 'Bearer <api key>'";
        }
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(value.AsSpan(scheme.Length).Trim().ToString()), digest);
        var match = false;
        foreach (var known in _keyDigests)
        {
            // No early exit: every key is compared, so the time does not tell which one matched.
            match |= CryptographicOperations.FixedTimeEquals(known, digest);
        }
        if (!match)
        {
            return "Invalid API key";
        }
        clientKeyDigest = Convert.ToHexString(digest[..8]);
        return null;
    }
}

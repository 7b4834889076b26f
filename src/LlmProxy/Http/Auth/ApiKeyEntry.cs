using System.Security.Cryptography;

namespace LlmProxy.Http.Auth;

/// <summary>
/// One accepted API key, known only by its SHA-256 digest, with the settings of its keys-file line
/// (docs/replicas.md, "Per-key settings: the keys file"). <see cref="Name"/> is what logs, metrics and limit counters show for the key.
/// </summary>
internal sealed class ApiKeyEntry
{
    public ApiKeyEntry(byte[] digest, string? name, long? requestsPerMinute, long? tokensPerMinute, ModelAllowList? models)
    {
        if (digest.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("a SHA-256 digest has 32 bytes", nameof(digest));
        }
        Digest = digest;
        // An unnamed key is shown as a short digest prefix: stable across reloads, and it does not reveal the key.
        Name = name ?? "key-" + Convert.ToHexStringLower(digest, 0, 6);
        IsNamed = name is not null;
        RequestsPerMinute = requestsPerMinute;
        TokensPerMinute = tokensPerMinute;
        Models = models;
        ClientId = "key:" + Name;
    }

    public byte[] Digest { get; }

    /// <summary>The <c>name=</c> of the line, or <c>key-</c> and 12 hex digits of the digest.</summary>
    public string Name { get; }

    public bool IsNamed { get; }

    /// <summary>The rate-limit partition of this key: keys sharing a name share their limits (key rotation).</summary>
    public string ClientId { get; }

    /// <summary><c>rpm=</c>: requests per 60 s window for this key, overriding the global limit; 0 = unlimited; null = global.</summary>
    public long? RequestsPerMinute { get; }

    /// <summary><c>tpm=</c>: prompt+completion tokens per 60 s window, overriding the global limit; 0 = unlimited; null = global.</summary>
    public long? TokensPerMinute { get; }

    /// <summary><c>models=</c>, or null when the key may use every model.</summary>
    public ModelAllowList? Models { get; }

    public bool AllowsModel(string model) => Models is null || Models.Allows(model);

    /// <summary>The key the request was admitted with (set by the auth check in key mode); null otherwise.</summary>
    public static ApiKeyEntry? Of(HttpContext context) => context.Features.Get<ApiKeyEntry>();
}

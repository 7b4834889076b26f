using LlmProxy.Routing;
namespace LlmProxy.Configuration;

/// <summary>
/// Every setting of CONTRACT §1, resolved once at start (flag &gt; env &gt; env-file &gt; default) and
/// injected as a singleton. Nothing reads the environment after this record exists.
/// </summary>
public sealed record ProxySettings
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8000;
    public string DefaultProvider { get; init; } = ProviderNames.Stub;
    public ModelProviderMap ModelProviderMap { get; init; } = ModelProviderMap.Empty;
    public Uri OpenAiCompatBaseUrl { get; init; } = new("http://localhost:11434/v1/");

    /// <summary>Secret: never logged, never in /healthz, never in an error body.</summary>
    public string? OpenAiCompatApiKey { get; init; }

    public IReadOnlyList<string> CorsAllowOrigins { get; init; } = ["*"];
    public bool LogRequests { get; init; }

    /// <summary>The contract's level name, upper-case (DEBUG, INFO, WARNING, ERROR, CRITICAL).</summary>
    public string LogLevel { get; init; } = "INFO";

    /// <summary>0 = no configured limit; Kestrel's built-in ceiling (<see cref="BuiltInBodyCeilingBytes"/>) still applies.</summary>
    public long MaxRequestBytes { get; init; }

    public bool RateLimitEnabled { get; init; }
    public int RateLimitWindowSeconds { get; init; } = 60;
    public int RateLimitMaxRequests { get; init; } = 60;

    /// <summary>Secrets: the accepted proxy API keys (empty = any Authorization header is accepted).</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    public TimeSpan UpstreamConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(600);
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The body ceiling used when MAX_REQUEST_BYTES is 0: Kestrel's default MaxRequestBodySize (30,000,000 bytes,
    /// about 28.6 MiB). Kept explicit so the documented number cannot drift from the one in force.
    /// </summary>
    public const long BuiltInBodyCeilingBytes = 30_000_000;

    /// <summary>The body limit in force for a request.</summary>
    public long EffectiveMaxRequestBytes => MaxRequestBytes > 0 ? MaxRequestBytes : BuiltInBodyCeilingBytes;

    public bool ApiKeysEnabled => ApiKeys.Count > 0;
}

using System.Globalization;
using System.Text;

namespace LlmProxy.Configuration;

/// <summary>
/// Every setting (docs/configuration.md), resolved once at start (flag &gt; env &gt; env-file &gt; default) and
/// injected as a singleton. Nothing reads the environment after this object exists.
/// </summary>
/// <remarks>
/// A class, not a record: a record's generated <c>ToString</c> would print <see cref="OpenAiCompatApiKey"/> and
/// <see cref="ApiKeys"/>. <see cref="ToString"/> here names which secrets are set, never their values. Values that
/// need parsing into routing structures (the model map) are kept as validated text; the layer that uses them parses
/// them once at start, so this folder depends on nothing else in the project.
/// </remarks>
internal sealed class ProxySettings
{
    public ProxySettings()
    {
    }

    /// <summary>A copy to adjust with an object initializer: <c>new ProxySettings(settings) { Port = 0 }</c>.</summary>
    public ProxySettings(ProxySettings other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Host = other.Host;
        Port = other.Port;
        DefaultProvider = other.DefaultProvider;
        ModelProviderMap = other.ModelProviderMap;
        OpenAiCompatBaseUrl = other.OpenAiCompatBaseUrl;
        OpenAiCompatApiKey = other.OpenAiCompatApiKey;
        CorsAllowOrigins = other.CorsAllowOrigins;
        LogRequests = other.LogRequests;
        LogLevel = other.LogLevel;
        LogFormat = other.LogFormat;
        MaxRequestBytes = other.MaxRequestBytes;
        RateLimitEnabled = other.RateLimitEnabled;
        RateLimitWindowSeconds = other.RateLimitWindowSeconds;
        RateLimitMaxRequests = other.RateLimitMaxRequests;
        ApiKeys = other.ApiKeys;
        UpstreamConnectTimeout = other.UpstreamConnectTimeout;
        UpstreamTimeout = other.UpstreamTimeout;
        ShutdownTimeout = other.ShutdownTimeout;
        Tracing = other.Tracing;
    }

    /// <summary>
    /// The body ceiling used when MAX_REQUEST_BYTES is 0: Kestrel's default MaxRequestBodySize (30,000,000 bytes,
    /// about 28.6 MiB). Kept explicit so the documented number cannot drift from the one in force.
    /// </summary>
    public const long BuiltInBodyCeilingBytes = 30_000_000;

    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8000;

    /// <summary>The provider (upstream) for models no map entry names: <c>stub</c> or <c>ollama</c>.</summary>
    public string DefaultProvider { get; init; } = "stub";

    /// <summary>MODEL_PROVIDER_MAP as given (already validated when it came from the command line); empty = no map.</summary>
    public string ModelProviderMap { get; init; } = "";

    public Uri OpenAiCompatBaseUrl { get; init; } = new("http://localhost:11434/v1/");

    /// <summary>Secret: never logged, never in /healthz, never in an error body.</summary>
    public string? OpenAiCompatApiKey { get; init; }

    public IReadOnlyList<string> CorsAllowOrigins { get; init; } = ["*"];
    public bool LogRequests { get; init; }

    /// <summary>The level name, upper-case (DEBUG, INFO, WARNING, ERROR, CRITICAL).</summary>
    public string LogLevel { get; init; } = "INFO";

    public LogFormat LogFormat { get; init; } = LogFormat.Auto;

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

    /// <summary>Traces over OTLP (the standard OTEL_* variables), or null when tracing is off (the default).</summary>
    public TracingSettings? Tracing { get; init; }

    /// <summary>The body limit in force for a request.</summary>
    public long EffectiveMaxRequestBytes => MaxRequestBytes > 0 ? MaxRequestBytes : BuiltInBodyCeilingBytes;

    public bool ApiKeysEnabled => ApiKeys.Count > 0;

    /// <summary>
    /// The settings for a diagnostic line: every value except the secrets, which show only whether they are set (the
    /// base URL without its user info, which may hold a password).
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder("ProxySettings { ");
        text.Append(CultureInfo.InvariantCulture, $"Host = {Host}, Port = {Port}, DefaultProvider = {DefaultProvider}, ");
        text.Append(CultureInfo.InvariantCulture, $"ModelProviderMap = {ModelProviderMap}, OpenAiCompatBaseUrl = {OpenAiCompatBaseUrl.Scheme}://{OpenAiCompatBaseUrl.Authority}{OpenAiCompatBaseUrl.AbsolutePath}, ");
        text.Append(CultureInfo.InvariantCulture, $"OpenAiCompatApiKey = {(OpenAiCompatApiKey is null ? "(not set)" : "(set)")}, ");
        text.Append(CultureInfo.InvariantCulture, $"CorsAllowOrigins = {string.Join(',', CorsAllowOrigins)}, LogRequests = {LogRequests}, ");
        text.Append(CultureInfo.InvariantCulture, $"LogLevel = {LogLevel}, LogFormat = {LogFormat}, MaxRequestBytes = {MaxRequestBytes}, ");
        text.Append(CultureInfo.InvariantCulture, $"RateLimitEnabled = {RateLimitEnabled}, RateLimitWindowSeconds = {RateLimitWindowSeconds}, ");
        text.Append(CultureInfo.InvariantCulture, $"RateLimitMaxRequests = {RateLimitMaxRequests}, ApiKeys = ({ApiKeys.Count} set), ");
        text.Append(CultureInfo.InvariantCulture, $"UpstreamConnectTimeout = {UpstreamConnectTimeout.TotalSeconds} s, ");
        text.Append(CultureInfo.InvariantCulture, $"UpstreamTimeout = {UpstreamTimeout.TotalSeconds} s, ShutdownTimeout = {ShutdownTimeout.TotalSeconds} s, ");
        text.Append(Tracing is null ? "Tracing = (off) }" : $"Tracing = {Tracing} }}");
        return text.ToString();
    }
}

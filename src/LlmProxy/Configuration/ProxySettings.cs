using System.Globalization;
using System.Net;
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
        AllowedHosts = other.AllowedHosts;
        AllowUnauthenticated = other.AllowUnauthenticated;
        MaxInflightBodyBytes = other.MaxInflightBodyBytes;
    }

    /// <summary>
    /// The body ceiling used when MAX_REQUEST_BYTES is 0: Kestrel's default MaxRequestBodySize (30,000,000 bytes,
    /// about 28.6 MiB). Kept explicit so the documented number cannot drift from the one in force.
    /// </summary>
    public const long BuiltInBodyCeilingBytes = 30_000_000;

    /// <summary>
    /// The default budget of request-body bytes held at once, all requests together (docs/security.md, Memory): small
    /// enough that a burst of twelve 25 MB bodies keeps the process well under 200 MB of RSS, large enough for two
    /// bodies at the built-in ceiling at once.
    /// </summary>
    public const long DefaultMaxInflightBodyBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The CORS default (docs/api.md, CORS): pages served from this machine only, on any port. A web page elsewhere
    /// cannot read answers from the proxy — it could otherwise drive the local models from the user's browser.
    /// </summary>
    public static readonly IReadOnlyList<string> LoopbackOrigins =
    [
        "http://localhost:*", "https://localhost:*", "http://127.0.0.1:*", "https://127.0.0.1:*", "http://[::1]:*", "https://[::1]:*",
    ];

    /// <summary>The Host names accepted by default when the proxy listens on a loopback address (plus that address).</summary>
    public static readonly IReadOnlyList<string> LoopbackHostNames = ["localhost", "127.0.0.1", "[::1]"];

    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8000;

    /// <summary>The provider (upstream) for models no map entry names: <c>stub</c> or <c>ollama</c>.</summary>
    public string DefaultProvider { get; init; } = "stub";

    /// <summary>MODEL_PROVIDER_MAP as given (already validated when it came from the command line); empty = no map.</summary>
    public string ModelProviderMap { get; init; } = "";

    public Uri OpenAiCompatBaseUrl { get; init; } = new("http://localhost:11434/v1/");

    /// <summary>Secret: never logged, never in /healthz, never in an error body.</summary>
    public string? OpenAiCompatApiKey { get; init; }

    /// <summary>Allowed CORS origins: <c>*</c>, or origins <c>scheme://host[:port]</c> where the port may be <c>*</c> (any).</summary>
    public IReadOnlyList<string> CorsAllowOrigins { get; init; } = LoopbackOrigins;
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

    /// <summary>
    /// ALLOWED_HOSTS as configured: host names (<c>*.example.com</c> wildcards allowed), IP literals (IPv6 in
    /// brackets), or <c>*</c>. Empty = the default for the bind address (<see cref="EffectiveAllowedHosts"/>).
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>ALLOW_UNAUTHENTICATED: serve other machines without API keys (turns protected mode off).</summary>
    public bool AllowUnauthenticated { get; init; }

    /// <summary>MAX_INFLIGHT_BODY_BYTES: request-body bytes held at once, all requests together; 0 = no budget.</summary>
    public long MaxInflightBodyBytes { get; init; } = DefaultMaxInflightBodyBytes;

    /// <summary>The body limit in force for a request.</summary>
    public long EffectiveMaxRequestBytes => MaxRequestBytes > 0 ? MaxRequestBytes : BuiltInBodyCeilingBytes;

    public bool ApiKeysEnabled => ApiKeys.Count > 0;

    /// <summary>Whether the proxy listens on a loopback address only (<c>localhost</c>, 127.0.0.0/8, ::1).</summary>
    public bool ListensOnLoopbackOnly =>
        Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(Host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>
    /// Protected mode (docs/security.md): listening beyond loopback with no API keys and without ALLOW_UNAUTHENTICATED,
    /// requests from other machines are refused.
    /// </summary>
    public bool ProtectedMode => !ListensOnLoopbackOnly && !ApiKeysEnabled && !AllowUnauthenticated;

    /// <summary>
    /// The Host values accepted (the DNS-rebinding guard): ALLOWED_HOSTS when set; else, on a loopback address, the
    /// loopback names and the bound address; on any other address, every host (<c>*</c>).
    /// </summary>
    public IReadOnlyList<string> EffectiveAllowedHosts
    {
        get
        {
            if (AllowedHosts.Count > 0)
            {
                return AllowedHosts;
            }
            if (!ListensOnLoopbackOnly)
            {
                return ["*"];
            }
            if (!IPAddress.TryParse(Host, out var bound))
            {
                return LoopbackHostNames;
            }
            var literal = bound.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{bound}]" : bound.ToString();
            return LoopbackHostNames.Contains(literal, StringComparer.OrdinalIgnoreCase) ? LoopbackHostNames : [.. LoopbackHostNames, literal];
        }
    }

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
        text.Append(CultureInfo.InvariantCulture, $"AllowedHosts = {string.Join(',', EffectiveAllowedHosts)}, AllowUnauthenticated = {AllowUnauthenticated}, ");
        text.Append(CultureInfo.InvariantCulture, $"MaxInflightBodyBytes = {MaxInflightBodyBytes} }}");
        return text.ToString();
    }
}

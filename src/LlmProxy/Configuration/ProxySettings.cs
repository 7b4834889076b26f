using System.Globalization;
using System.Net;
using System.Text;

namespace LlmProxy.Configuration;

/// <summary>
/// Every setting (docs/configuration.md), resolved once at start (flag &gt; env &gt; env-file &gt; default) and
/// injected as a singleton. Nothing reads the environment after this object exists.
/// </summary>
/// <remarks>
/// A class, not a record: a record's generated <c>ToString</c> would print <see cref="OpenAiCompatApiKey"/>,
/// <see cref="ApiKeys"/> and the password of <see cref="RedisUrl"/>. <see cref="ToString"/> here names which secrets
/// are set, never their values. Values that need parsing into routing structures (the model map) are kept as
/// validated text; the layer that uses them parses them once at start, so this folder depends on nothing else in the
/// project.
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
        RateLimitMaxTokens = other.RateLimitMaxTokens;
        ApiKeys = other.ApiKeys;
        ApiKeysFile = other.ApiKeysFile;
        RedisUrl = other.RedisUrl;
        RedisFailureMode = other.RedisFailureMode;
        UpstreamConnectTimeout = other.UpstreamConnectTimeout;
        UpstreamTimeout = other.UpstreamTimeout;
        ShutdownTimeout = other.ShutdownTimeout;
        AllowedHosts = other.AllowedHosts;
        AllowUnauthenticated = other.AllowUnauthenticated;
        MaxInflightBodyBytes = other.MaxInflightBodyBytes;
        Upstreams = other.Upstreams;
        UpstreamOptionsByName = other.UpstreamOptionsByName;
        ModelAliases = other.ModelAliases;
        ModelRefreshInterval = other.ModelRefreshInterval;
        QueueTimeout = other.QueueTimeout;
        Tracing = other.Tracing;
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

    /// <summary>
    /// LLM_PROVIDER, lower-case: the upstream for models no map entry names — <c>stub</c>, <c>ollama</c>, an upstream
    /// name, or <c>auto</c> (by the upstreams' model lists). The resolver makes it <c>auto</c> when UPSTREAMS is set
    /// and LLM_PROVIDER is not.
    /// </summary>
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

    /// <summary>RATE_LIMIT_MAX_TOKENS: prompt+completion tokens per client per window; 0 = no token limit.</summary>
    public long RateLimitMaxTokens { get; init; }

    /// <summary>Secrets: the proxy API keys of PROXY_API_KEYS (the keys file's are read by the auth layer).</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>PROXY_API_KEYS_FILE: the path of the keys file (validated at start, re-read on SIGHUP and on change); null = none.</summary>
    public string? ApiKeysFile { get; init; }

    /// <summary>REDIS_URL: where the limit counters are shared; null = counted in this process. Its password is a secret.</summary>
    public RedisUrl? RedisUrl { get; init; }

    /// <summary>REDIS_FAILURE_MODE: what limited routes do while Redis cannot be reached.</summary>
    public StoreFailureMode RedisFailureMode { get; init; } = StoreFailureMode.Open;

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
    /// <summary>UPSTREAMS / --upstream: the named model servers, in the order given (empty = the legacy single upstream).</summary>
    public IReadOnlyList<UpstreamDefinition> Upstreams { get; init; } = [];

    /// <summary>
    /// UPSTREAM_&lt;NAME&gt;_* for upstreams that UPSTREAMS does not define: the legacy <c>ollama</c> and the servers
    /// discovery may find. (Those of named upstreams are already in their <see cref="UpstreamDefinition"/>.)
    /// </summary>
    public IReadOnlyDictionary<string, UpstreamOptions> UpstreamOptionsByName { get; init; } = new Dictionary<string, UpstreamOptions>();

    /// <summary>MODEL_ALIASES as given (validated when it came from the command line); empty = none.</summary>
    public string ModelAliases { get; init; } = "";

    /// <summary>MODEL_REFRESH_SECONDS: how often each upstream's model list is re-read; zero = only at start.</summary>
    public TimeSpan ModelRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>QUEUE_TIMEOUT_SECONDS: the longest wait for a slot of an upstream at its max concurrency; zero = none.</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Traces over OTLP (the standard OTEL_* variables), or null when tracing is off (the default).</summary>
    public TracingSettings? Tracing { get; init; }

    /// <summary>The body limit in force for a request.</summary>
    public long EffectiveMaxRequestBytes => MaxRequestBytes > 0 ? MaxRequestBytes : BuiltInBodyCeilingBytes;

    /// <summary>Key mode: API keys come from PROXY_API_KEYS, PROXY_API_KEYS_FILE or both.</summary>
    public bool ApiKeysEnabled => ApiKeys.Count > 0 || ApiKeysFile is not null;

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
        text.Append(CultureInfo.InvariantCulture, $"RateLimitMaxRequests = {RateLimitMaxRequests}, RateLimitMaxTokens = {RateLimitMaxTokens}, ");
        text.Append(CultureInfo.InvariantCulture, $"ApiKeys = ({ApiKeys.Count} set), ApiKeysFile = {ApiKeysFile ?? "(not set)"}, ");
        // RedisUrl.ToString shows the password as ***.
        text.Append(CultureInfo.InvariantCulture, $"RedisUrl = {RedisUrl?.ToString() ?? "(not set)"}, RedisFailureMode = {RedisFailureMode.Name()}, ");
        text.Append(CultureInfo.InvariantCulture, $"UpstreamConnectTimeout = {UpstreamConnectTimeout.TotalSeconds} s, ");
        text.Append(CultureInfo.InvariantCulture, $"UpstreamTimeout = {UpstreamTimeout.TotalSeconds} s, ShutdownTimeout = {ShutdownTimeout.TotalSeconds} s, ");
        text.Append(CultureInfo.InvariantCulture, $"AllowedHosts = {string.Join(',', EffectiveAllowedHosts)}, AllowUnauthenticated = {AllowUnauthenticated}, ");
        text.Append(CultureInfo.InvariantCulture, $"MaxInflightBodyBytes = {MaxInflightBodyBytes}, ");
        text.Append(CultureInfo.InvariantCulture, $"Upstreams = [{string.Join("; ", Upstreams)}], ");
        text.Append(CultureInfo.InvariantCulture, $"UpstreamOptionsByName = [{string.Join("; ", UpstreamOptionsByName.Select(o => $"{o.Key}: {o.Value}"))}], ");
        text.Append(CultureInfo.InvariantCulture, $"ModelAliases = {ModelAliases}, ModelRefreshInterval = {ModelRefreshInterval.TotalSeconds} s, ");
        text.Append(CultureInfo.InvariantCulture, $"QueueTimeout = {QueueTimeout.TotalSeconds} s, ");
        text.Append(Tracing is null ? "Tracing = (off) }" : $"Tracing = {Tracing} }}");
        return text.ToString();
    }
}

using System.CommandLine;

namespace LlmProxy.Cli;

/// <summary>Every setting (docs/configuration.md), one definition each, in the order --help shows them.</summary>
internal static class SettingDefinitions
{
    public static readonly SettingDefinition Host = new("HOST", "--host", "127.0.0.1", "Address to listen on.");
    public static readonly SettingDefinition Port = new("PORT", "--port", "8000", "TCP port to listen on (0 picks a free port).");
    public static readonly SettingDefinition Provider = new("LLM_PROVIDER", "--provider", "stub", "Provider when no map entry matches: stub or ollama.");
    public static readonly SettingDefinition ModelProviderMap = new("MODEL_PROVIDER_MAP", "--model-provider-map", "", "model=provider or prefix*=provider, comma-separated.");
    public static readonly SettingDefinition BaseUrl = new("OPENAI_COMPAT_BASE_URL", "--openai-compat-base-url", "http://localhost:11434/v1", "Base URL of the OpenAI-compatible upstream.");
    public static readonly SettingDefinition ApiKey = new("OPENAI_COMPAT_API_KEY", "--openai-compat-api-key", "", "Bearer key sent upstream when the client's Authorization is not forwarded (secret).", isSecret: true);
    public static readonly SettingDefinition CorsOrigins = new("CORS_ALLOW_ORIGINS", "--cors-allow-origins", "loopback: http(s)://localhost, 127.0.0.1, [::1], any port",
        "Allowed CORS origins, comma-separated (scheme://host[:port], port * = any), or * for every origin.");
    public static readonly SettingDefinition LogRequests = new("LOG_REQUESTS", "--log-requests", "false", "Write one line per request to stdout.", isFlagSwitch: true);
    public static readonly SettingDefinition LogLevel = new("LOG_LEVEL", "--log-level", "INFO", "DEBUG, INFO, WARNING, ERROR or CRITICAL.");
    public static readonly SettingDefinition LogFormat = new("LOG_FORMAT", "--log-format", "auto", "auto (text on a terminal, JSON lines otherwise), json or text.");
    public static readonly SettingDefinition MaxRequestBytes = new("MAX_REQUEST_BYTES", "--max-request-bytes", "0", "Largest request body in bytes; 0 = the built-in ceiling of 30000000.");
    public static readonly SettingDefinition RateLimitEnabled = new("RATE_LIMIT_ENABLED", "--rate-limit-enabled", "false", "Limit requests per client on /proxy* and /v1/*.", isFlagSwitch: true);
    public static readonly SettingDefinition RateLimitWindow = new("RATE_LIMIT_WINDOW_SECONDS", "--rate-limit-window-seconds", "60", "Fixed rate-limit window in seconds.");
    public static readonly SettingDefinition RateLimitMax = new("RATE_LIMIT_MAX_REQUESTS", "--rate-limit-max-requests", "60", "Requests allowed per client per window.");
    public static readonly SettingDefinition ApiKeys = new("PROXY_API_KEYS", "--api-keys", "", "Accepted proxy API keys, comma-separated (secret).", isSecret: true);
    public static readonly SettingDefinition ApiKeysFile = new("PROXY_API_KEYS_FILE", "--api-keys-file", "", "File of accepted proxy API keys, one per line, # comments.");
    public static readonly SettingDefinition ConnectTimeout = new("UPSTREAM_CONNECT_TIMEOUT_SECONDS", "--upstream-connect-timeout-seconds", "10", "Upstream connect timeout in seconds.");
    public static readonly SettingDefinition UpstreamTimeout = new("UPSTREAM_TIMEOUT_SECONDS", "--upstream-timeout-seconds", "600", "Longest upstream silence in seconds, first token included.");
    public static readonly SettingDefinition ShutdownTimeout = new("SHUTDOWN_TIMEOUT_SECONDS", "--shutdown-timeout-seconds", "30", "Drain time for in-flight requests on SIGTERM/SIGINT.");
    public static readonly SettingDefinition AllowedHosts = new("ALLOWED_HOSTS", "--allowed-hosts", "on loopback: localhost, 127.0.0.1, [::1] and HOST; else *",
        "Host header values accepted (DNS-rebinding guard), comma-separated: names, *.example.com, IPs ([::1]), or *.");
    public static readonly SettingDefinition AllowUnauthenticated = new("ALLOW_UNAUTHENTICATED", "--allow-unauthenticated", "false",
        "Serve other machines without API keys (turns protected mode off).", isFlagSwitch: true);
    public static readonly SettingDefinition MaxInflightBodyBytes = new("MAX_INFLIGHT_BODY_BYTES", "--max-inflight-body-bytes", "67108864",
        "Request-body bytes held at once, all requests together; 0 = no budget.");

    public static readonly IReadOnlyList<SettingDefinition> All =
    [
        Host, Port, Provider, ModelProviderMap, BaseUrl, ApiKey, CorsOrigins, LogRequests, LogLevel, LogFormat, MaxRequestBytes,
        RateLimitEnabled, RateLimitWindow, RateLimitMax, ApiKeys, ApiKeysFile, ConnectTimeout, UpstreamTimeout, ShutdownTimeout,
        AllowedHosts, AllowUnauthenticated, MaxInflightBodyBytes,
    ];
}

/// <summary>One setting: an environment variable, its flag, the default shown by --help.</summary>
internal sealed class SettingDefinition
{
    public SettingDefinition(string envName, string flag, string defaultText, string description, bool isFlagSwitch = false, bool isSecret = false)
    {
        EnvName = envName;
        Flag = flag;
        DefaultText = defaultText;
        IsSecret = isSecret;
        // Nullable string options: "not given" stays visible, so env and file can fill in (flag > env > file > default).
        Option = new Option<string?>(flag)
        {
            Description = $"{description} [env: {envName}] [default: {(defaultText.Length == 0 ? "(empty)" : defaultText)}]",
            HelpName = isFlagSwitch ? "true|false" : "value",
            Arity = isFlagSwitch ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
        };
        IsFlagSwitch = isFlagSwitch;
    }

    public string EnvName { get; }
    public string Flag { get; }
    public string DefaultText { get; }
    public bool IsSecret { get; }

    /// <summary>A boolean whose flag may be given alone (<c>--log-requests</c> means true).</summary>
    public bool IsFlagSwitch { get; }

    public Option<string?> Option { get; }
}

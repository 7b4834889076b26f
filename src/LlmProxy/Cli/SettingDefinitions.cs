using System.CommandLine;

namespace LlmProxy.Cli;

/// <summary>Every setting (docs/configuration.md), one definition each, in the order --help shows them.</summary>
internal static class SettingDefinitions
{
    public static readonly SettingDefinition Host = new("HOST", "--host", "127.0.0.1", "Address to listen on.");
    public static readonly SettingDefinition Port = new("PORT", "--port", "8000", "TCP port to listen on (0 picks a free port).");
    public static readonly SettingDefinition Provider = new("LLM_PROVIDER", "--provider", "stub (auto with UPSTREAMS)", "Upstream when no map entry matches: stub, ollama, auto (by model lists; finds local servers without UPSTREAMS) or an upstream name.");
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
    public static readonly SettingDefinition RateLimitMaxTokens = new("RATE_LIMIT_MAX_TOKENS", "--rate-limit-max-tokens", "0", "Prompt+completion tokens allowed per client per window; 0 = no token limit.");
    public static readonly SettingDefinition RedisUrl = new("REDIS_URL", "--redis-url", "", "redis://[user:password@]host[:port][/db] (rediss:// for TLS): share the limit counters across replicas (secret).", isSecret: true);
    public static readonly SettingDefinition RedisFailureMode = new("REDIS_FAILURE_MODE", "--redis-failure-mode", "open", "While Redis cannot be reached: open (count in this replica) or closed (answer 503).");
    public static readonly SettingDefinition ApiKeys = new("PROXY_API_KEYS", "--api-keys", "", "Accepted proxy API keys, comma-separated (secret).", isSecret: true);
    public static readonly SettingDefinition ApiKeysFile = new("PROXY_API_KEYS_FILE", "--api-keys-file", "", "File of accepted proxy API keys, one per line with optional name= rpm= tpm= models=; re-read on SIGHUP and on change.");
    public static readonly SettingDefinition ConnectTimeout = new("UPSTREAM_CONNECT_TIMEOUT_SECONDS", "--upstream-connect-timeout-seconds", "10", "Upstream connect timeout in seconds.");
    public static readonly SettingDefinition UpstreamTimeout = new("UPSTREAM_TIMEOUT_SECONDS", "--upstream-timeout-seconds", "600", "Longest upstream silence in seconds, first token included.");
    public static readonly SettingDefinition ShutdownTimeout = new("SHUTDOWN_TIMEOUT_SECONDS", "--shutdown-timeout-seconds", "30", "Drain time for in-flight requests on SIGTERM/SIGINT.");
    public static readonly SettingDefinition AllowedHosts = new("ALLOWED_HOSTS", "--allowed-hosts", "on loopback: localhost, 127.0.0.1, [::1] and HOST; else *",
        "Host header values accepted (DNS-rebinding guard), comma-separated: names, *.example.com, IPs ([::1]), or *.");
    public static readonly SettingDefinition AllowUnauthenticated = new("ALLOW_UNAUTHENTICATED", "--allow-unauthenticated", "false",
        "Serve other machines without API keys (turns protected mode off).", isFlagSwitch: true);
    public static readonly SettingDefinition MaxInflightBodyBytes = new("MAX_INFLIGHT_BODY_BYTES", "--max-inflight-body-bytes", "67108864",
        "Request-body bytes held at once, all requests together; 0 = no budget.");
    public static readonly SettingDefinition Upstreams = new("UPSTREAMS", "--upstream", "", "A named OpenAI-compatible server, NAME=URL (repeat the flag; comma-separated in the variable).", isRepeatable: true);
    public static readonly SettingDefinition ModelAliases = new("MODEL_ALIASES", "--model-aliases", "", "alias=model, comma-separated: requests for the alias go to the model.");
    public static readonly SettingDefinition ModelRefresh = new("MODEL_REFRESH_SECONDS", "--model-refresh-seconds", "30", "How often each upstream's model list is re-read; 0 = only at start.");
    public static readonly SettingDefinition QueueTimeout = new("QUEUE_TIMEOUT_SECONDS", "--queue-timeout-seconds", "30", "Longest wait for a free slot of an upstream at its max concurrency; 0 = no wait.");

    /// <summary>
    /// <c>--upstream-option NAME.KEY=VALUE</c> (repeatable): the flag form of the per-upstream variables
    /// <c>UPSTREAM_&lt;NAME&gt;_&lt;KEY&gt;</c> (docs/configuration.md), which have no single variable of their own.
    /// </summary>
    public static readonly Option<string[]> UpstreamOption = new("--upstream-option")
    {
        Description = "A per-upstream setting, NAME.KEY=VALUE with KEY api_key, priority, max_concurrency or models (repeatable). [env: UPSTREAM_<NAME>_<KEY>]",
        HelpName = "name.key=value",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly IReadOnlyList<SettingDefinition> All =
    [
        Host, Port, Provider, ModelProviderMap, BaseUrl, ApiKey, CorsOrigins, LogRequests, LogLevel, LogFormat, MaxRequestBytes,
        RateLimitEnabled, RateLimitWindow, RateLimitMax, RateLimitMaxTokens, RedisUrl, RedisFailureMode, ApiKeys, ApiKeysFile,
        ConnectTimeout, UpstreamTimeout, ShutdownTimeout, Upstreams, ModelAliases, ModelRefresh, QueueTimeout,
        AllowedHosts, AllowUnauthenticated, MaxInflightBodyBytes,
    ];
}

/// <summary>One setting: an environment variable, its flag, the default shown by --help.</summary>
internal sealed class SettingDefinition
{
    public SettingDefinition(string envName, string flag, string defaultText, string description, bool isFlagSwitch = false, bool isSecret = false, bool isRepeatable = false)
    {
        EnvName = envName;
        Flag = flag;
        DefaultText = defaultText;
        IsSecret = isSecret;
        var fullDescription = $"{description} [env: {envName}] [default: {(defaultText.Length == 0 ? "(empty)" : defaultText)}]";
        // Nullable string options: "not given" stays visible, so env and file can fill in (flag > env > file > default).
        // A repeatable flag collects every occurrence; together they stand for the variable's comma-separated list.
        Option = isRepeatable
            ? new Option<string[]>(flag)
            {
                Description = fullDescription,
                HelpName = "value",
                Arity = ArgumentArity.OneOrMore,
                AllowMultipleArgumentsPerToken = false,
            }
            : new Option<string?>(flag)
            {
                Description = fullDescription,
                HelpName = isFlagSwitch ? "true|false" : "value",
                Arity = isFlagSwitch ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
            };
        IsFlagSwitch = isFlagSwitch;
        IsRepeatable = isRepeatable;
    }

    public string EnvName { get; }
    public string Flag { get; }
    public string DefaultText { get; }
    public bool IsSecret { get; }

    /// <summary>A boolean whose flag may be given alone (<c>--log-requests</c> means true).</summary>
    public bool IsFlagSwitch { get; }

    /// <summary>A flag that may be given many times (<c>--upstream a=… --upstream b=…</c>).</summary>
    public bool IsRepeatable { get; }

    public Option Option { get; }
}

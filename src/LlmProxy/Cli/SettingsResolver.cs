using System.CommandLine;
using System.Globalization;
using LlmProxy.Configuration;
using LlmProxy.Http.Auth;
using LlmProxy.Routing;

namespace LlmProxy.Cli;

/// <summary>
/// The one pure function from (flags, environment, env-file) to <see cref="ProxySettings"/>.
/// Precedence (docs/configuration.md): flag &gt; environment &gt; --env-file &gt; default. Any bad value throws
/// <see cref="SettingsException"/> naming where it came from (the flag, or the variable) and the value.
/// </summary>
internal static class SettingsResolver
{
    /// <summary>Bodies are buffered in one array: 1 GiB keeps every size an <c>int</c> with room to spare.</summary>
    public const long MaxBodyLimit = 1L << 30;

    /// <summary>64 GiB: more request bodies in memory at once than any machine this runs on should hold.</summary>
    public const long MaxInflightBodyBudget = 64L << 30;

    public static ProxySettings Resolve(
        ParseResult parseResult,
        IReadOnlyDictionary<string, string> environment,
        Option<string?> envFileOption,
        Func<string, string> readFile)
    {
        var fileValues = LoadEnvFile(parseResult, envFileOption, readFile);
        var source = new Source(parseResult, environment, fileValues);
        var defaults = new ProxySettings();

        var host = source.Get(SettingDefinitions.Host) is { } h ? ParseHost(h) : defaults.Host;
        var port = source.Get(SettingDefinitions.Port) is { } p ? ParseInt(p, 0, 65535, "an integer from 0 to 65535") : defaults.Port;
        var upstreams = source.Get(SettingDefinitions.Upstreams) is { } us ? UpstreamSettingsParser.ParseList(us) : [];
        var (provider, map, discovery) = ResolveRouting(source, upstreams, defaults);
        var aliases = defaults.ModelAliases;
        if (source.Get(SettingDefinitions.ModelAliases) is { } ma)
        {
            try
            {
                _ = ModelAliases.Parse(ma.Value);
                aliases = ma.Value.Trim();
            }
            catch (FormatException e)
            {
                throw ma.Invalid(e.Message);
            }
        }
        // The upstreams that may exist: those named, else the legacy one, plus what discovery may find.
        IReadOnlyCollection<string> upstreamNames = upstreams.Count > 0 ? [.. upstreams.Select(u => u.Name)]
            : discovery ? DiscoveryTargets.Names
            : [ProviderNames.Ollama];
        var options = UpstreamSettingsParser.ParseOptions(
            parseResult.GetValue(SettingDefinitions.UpstreamOption) ?? [], source.Variables(), upstreamNames, SettingNames);
        var refresh = source.Get(SettingDefinitions.ModelRefresh) is { } mrs ? ParseSeconds(mrs, allowZero: true) : defaults.ModelRefreshInterval;
        var queueTimeout = source.Get(SettingDefinitions.QueueTimeout) is { } qt ? ParseSeconds(qt, allowZero: true) : defaults.QueueTimeout;
        var baseUrl = source.Get(SettingDefinitions.BaseUrl) is { } b ? ParseBaseUrl(b) : defaults.OpenAiCompatBaseUrl;
        var apiKey = source.Get(SettingDefinitions.ApiKey) is { } k && k.Value.Trim().Length > 0 ? k.Value.Trim() : null;
        var origins = source.Get(SettingDefinitions.CorsOrigins) is { } o ? ParseOrigins(o) : defaults.CorsAllowOrigins;
        var logRequests = source.Get(SettingDefinitions.LogRequests) is { } lr ? ParseBool(lr) : defaults.LogRequests;
        var logLevel = source.Get(SettingDefinitions.LogLevel) is { } ll ? ParseLogLevel(ll) : defaults.LogLevel;
        var logFormat = source.Get(SettingDefinitions.LogFormat) is { } lf ? ParseLogFormat(lf) : defaults.LogFormat;
        var maxBytes = source.Get(SettingDefinitions.MaxRequestBytes) is { } mb ? ParseLong(mb, 0, MaxBodyLimit, "a whole number of bytes from 0 to 1073741824") : defaults.MaxRequestBytes;
        var rateEnabled = source.Get(SettingDefinitions.RateLimitEnabled) is { } re ? ParseBool(re) : defaults.RateLimitEnabled;
        var window = source.Get(SettingDefinitions.RateLimitWindow) is { } w ? ParseInt(w, 1, 86_400 * 366, "a positive whole number of seconds") : defaults.RateLimitWindowSeconds;
        var maxRequests = source.Get(SettingDefinitions.RateLimitMax) is { } mr ? ParseInt(mr, 1, int.MaxValue, "a positive whole number") : defaults.RateLimitMaxRequests;
        var maxTokens = source.Get(SettingDefinitions.RateLimitMaxTokens) is { } mt ? ParseLong(mt, 0, long.MaxValue / 2, "a whole number of tokens, 0 or more (0 = no token limit)") : defaults.RateLimitMaxTokens;
        var redisUrl = source.Get(SettingDefinitions.RedisUrl) is { } ru && ru.Value.Trim().Length > 0 ? ParseRedisUrl(ru) : defaults.RedisUrl;
        var failureMode = source.Get(SettingDefinitions.RedisFailureMode) is { } fm ? ParseFailureMode(fm) : defaults.RedisFailureMode;
        var keys = source.Get(SettingDefinitions.ApiKeys) is { } ak ? SplitList(ak.Value) : [];
        var keysFile = source.Get(SettingDefinitions.ApiKeysFile) is { } akf && akf.Value.Trim().Length > 0 ? CheckKeysFile(akf, readFile) : defaults.ApiKeysFile;
        var connect = source.Get(SettingDefinitions.ConnectTimeout) is { } ct ? ParseSeconds(ct) : defaults.UpstreamConnectTimeout;
        var upstream = source.Get(SettingDefinitions.UpstreamTimeout) is { } ut ? ParseSeconds(ut) : defaults.UpstreamTimeout;
        var shutdown = source.Get(SettingDefinitions.ShutdownTimeout) is { } st ? ParseSeconds(st, allowZero: true) : defaults.ShutdownTimeout;
        var allowedHosts = source.Get(SettingDefinitions.AllowedHosts) is { } ah ? ParseAllowedHosts(ah) : defaults.AllowedHosts;
        var allowUnauthenticated = source.Get(SettingDefinitions.AllowUnauthenticated) is { } au ? ParseBool(au) : defaults.AllowUnauthenticated;
        var inflight = defaults.MaxInflightBodyBytes;
        if (source.Get(SettingDefinitions.MaxInflightBodyBytes) is { } ib)
        {
            inflight = ParseLong(ib, 0, MaxInflightBodyBudget, "a whole number of bytes from 0 to 68719476736 (0 = no budget)");
            var largestBody = maxBytes > 0 ? maxBytes : ProxySettings.BuiltInBodyCeilingBytes;
            if (inflight > 0 && inflight < largestBody)
            {
                // A body at the limit could never be read: every such request would wait and then be refused.
                throw ib.Invalid($"smaller than the largest request body ({largestBody} bytes, MAX_REQUEST_BYTES); raise it, or lower MAX_REQUEST_BYTES");
            }
        }
        else if (maxBytes > inflight)
        {
            var raw = source.Get(SettingDefinitions.MaxRequestBytes)!;
            throw raw.Invalid($"larger than MAX_INFLIGHT_BODY_BYTES ({inflight} bytes, the budget of all bodies in flight); raise MAX_INFLIGHT_BODY_BYTES too");
        }
        var tracing = TracingSettingsResolver.Resolve(environment, fileValues);

        return new ProxySettings
        {
            Host = host,
            Port = port,
            DefaultProvider = provider,
            ModelProviderMap = map,
            OpenAiCompatBaseUrl = baseUrl,
            OpenAiCompatApiKey = apiKey,
            CorsAllowOrigins = origins,
            LogRequests = logRequests,
            LogLevel = logLevel,
            LogFormat = logFormat,
            MaxRequestBytes = maxBytes,
            RateLimitEnabled = rateEnabled,
            RateLimitWindowSeconds = window,
            RateLimitMaxRequests = maxRequests,
            RateLimitMaxTokens = maxTokens,
            RedisUrl = redisUrl,
            RedisFailureMode = failureMode,
            ApiKeys = keys.Distinct(StringComparer.Ordinal).ToArray(),
            ApiKeysFile = keysFile,
            UpstreamConnectTimeout = connect,
            UpstreamTimeout = upstream,
            ShutdownTimeout = shutdown,
            AllowedHosts = allowedHosts,
            AllowUnauthenticated = allowUnauthenticated,
            MaxInflightBodyBytes = inflight,
            Upstreams = [.. upstreams.Select(u => new UpstreamDefinition(u.Name, u.Url, options.GetValueOrDefault(u.Name)))],
            UpstreamOptionsByName = upstreams.Count > 0 ? new Dictionary<string, UpstreamOptions>() : options,
            ModelAliases = aliases,
            ModelRefreshInterval = refresh,
            QueueTimeout = queueTimeout,
            Tracing = tracing,
        };
    }

    /// <summary>Every setting's variable: none of them is a per-upstream variable, whatever its name looks like.</summary>
    private static readonly HashSet<string> SettingNames = [.. SettingDefinitions.All.Select(d => d.EnvName)];

    /// <summary>
    /// LLM_PROVIDER and MODEL_PROVIDER_MAP, checked against the upstreams that may exist (docs/upstreams.md, Names):
    /// with UPSTREAMS its names; without, the legacy <c>ollama</c>, or — when <c>auto</c> is used (discovery) — the
    /// names discovery gives. LLM_PROVIDER defaults to <c>auto</c> when UPSTREAMS is set, else <c>stub</c>.
    /// </summary>
    private static (string Provider, string Map, bool Discovery) ResolveRouting(Source source, List<(string Name, Uri Url)> upstreams, ProxySettings defaults)
    {
        List<string> named = [.. upstreams.Select(u => u.Name)];
        List<string> widest = upstreams.Count > 0 ? [ProviderNames.Stub, ProviderNames.Auto, .. named] : [ProviderNames.Stub, ProviderNames.Auto, .. DiscoveryTargets.Names];
        var providerRaw = source.Get(SettingDefinitions.Provider);
        var provider = providerRaw is null
            ? (upstreams.Count > 0 ? ProviderNames.Auto : defaults.DefaultProvider)
            : ProviderNames.Normalize(providerRaw.Value, widest) ?? throw providerRaw.Invalid($"unknown provider (known: {string.Join(", ", Known(upstreams.Count > 0 ? named : null, discovery: false))})");
        var mapRaw = source.Get(SettingDefinitions.ModelProviderMap);
        var mapText = mapRaw?.Value.Trim() ?? defaults.ModelProviderMap;
        var discovery = false;
        if (upstreams.Count == 0)
        {
            // Discovery runs when some route uses auto: read the map once with every possible name to find out.
            var mentionsAuto = false;
            try
            {
                mentionsAuto = ModelProviderMap.Parse(mapText, widest).Mentions(ProviderNames.Auto);
            }
            catch (FormatException)
            {
                // Bad in every mode: say so with the names of the mode LLM_PROVIDER alone gives.
                ValidateMap(mapRaw!, mapText, Known(null, discovery: provider == ProviderNames.Auto));
            }
            discovery = provider == ProviderNames.Auto || mentionsAuto;
        }
        var known = Known(upstreams.Count > 0 ? named : null, discovery);
        if (!known.Contains(provider))
        {
            throw providerRaw!.Invalid($"'{provider}' is an upstream only discovery finds (set LLM_PROVIDER=auto, or name it in UPSTREAMS)");
        }
        // Validated here (a bad map stops the start with exit 2); routing parses the same text once at start.
        ValidateMap(mapRaw, mapText, known);
        return (provider, mapText, discovery);
    }

    private static void ValidateMap(RawValue? raw, string text, List<string> known)
    {
        try
        {
            _ = ModelProviderMap.Parse(text, known);
        }
        catch (FormatException e)
        {
            throw raw!.Invalid(e.Message);
        }
    }

    /// <summary>The provider names routing accepts: stub, auto and the upstreams that may exist.</summary>
    private static List<string> Known(List<string>? named, bool discovery) =>
        named is not null ? [ProviderNames.Stub, ProviderNames.Auto, .. named]
        : discovery ? [ProviderNames.Stub, ProviderNames.Auto, .. DiscoveryTargets.Names]
        : [.. ProviderNames.All];

    private static Dictionary<string, string> LoadEnvFile(ParseResult parseResult, Option<string?> envFileOption, Func<string, string> readFile)
    {
        var path = parseResult.GetValue(envFileOption);
        if (path is null)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }
        string text;
        try
        {
            text = readFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"--env-file '{path}': cannot read the file ({e.GetType().Name})");
        }
        try
        {
            return EnvFile.Parse(text, path);
        }
        catch (FormatException e)
        {
            throw new SettingsException($"--env-file {e.Message}");
        }
    }

    private static string ParseHost(RawValue raw)
    {
        // Kestrel binds addresses, not names: an IP literal, or "localhost" (both loopbacks).
        var host = raw.Value.Trim();
        return System.Net.IPAddress.TryParse(host, out _) || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            ? host
            : throw raw.Invalid("expected an IP address (such as 127.0.0.1 or 0.0.0.0) or localhost");
    }

    private static int ParseInt(RawValue raw, int min, int max, string expected) =>
        int.TryParse(raw.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw raw.Invalid($"expected {expected}");

    private static long ParseLong(RawValue raw, long min, long max, string expected) =>
        long.TryParse(raw.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw raw.Invalid($"expected {expected}");

    private static TimeSpan ParseSeconds(RawValue raw, bool allowZero = false)
    {
        if (double.TryParse(raw.Value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            && double.IsFinite(seconds) && (seconds > 0 || (allowZero && seconds == 0)) && seconds <= 31_536_000)
        {
            return TimeSpan.FromSeconds(seconds);
        }
        throw raw.Invalid(allowZero ? "expected a number of seconds, 0 or more" : "expected a positive number of seconds");
    }

    internal static bool ParseBool(RawValue raw) => raw.Value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw raw.Invalid("expected true/false, 1/0, yes/no or on/off"),
    };

    private static string ParseLogLevel(RawValue raw)
    {
        var level = raw.Value.Trim().ToUpperInvariant();
        return level is "DEBUG" or "INFO" or "WARNING" or "ERROR" or "CRITICAL"
            ? level
            : throw raw.Invalid("expected DEBUG, INFO, WARNING, ERROR or CRITICAL");
    }

    private static LogFormat ParseLogFormat(RawValue raw) => raw.Value.Trim().ToLowerInvariant() switch
    {
        "auto" => LogFormat.Auto,
        "json" => LogFormat.Json,
        "text" => LogFormat.Text,
        _ => throw raw.Invalid("expected auto, json or text"),
    };

    private static Uri ParseBaseUrl(RawValue raw)
    {
        var text = raw.Value.Trim();
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0 && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment))
        {
            // Keep a trailing slash so relative paths ("chat/completions") append instead of replacing "v1".
            return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        }
        throw raw.Invalid("expected an absolute http:// or https:// URL without query");
    }

    private static string[] ParseOrigins(RawValue raw)
    {
        var origins = SplitList(raw.Value);
        if (origins.Length == 0)
        {
            throw raw.Invalid("expected * or a comma-separated list of origins such as http://localhost:3000");
        }
        foreach (var origin in origins)
        {
            if (origin == "*")
            {
                continue;
            }
            // An origin is scheme://host[:port] (RFC 6454 §6.2): no path, query or fragment. ":*" stands for any port.
            var anyPort = origin.EndsWith(":*", StringComparison.Ordinal);
            var text = anyPort ? origin[..^2] : origin.TrimEnd('/');
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.GetLeftPart(UriPartial.Authority).Length != text.Length
                || (anyPort && !uri.IsDefaultPort))
            {
                throw raw.Invalid($"'{origin}' is not an origin (expected scheme://host[:port], the port a number or *)");
            }
        }
        return origins.Contains("*") ? ["*"] : origins.Select(o => o.EndsWith(":*", StringComparison.Ordinal) ? o : o.TrimEnd('/')).ToArray();
    }

    /// <summary>
    /// ALLOWED_HOSTS: <c>*</c>, host names (a leading <c>*.</c> allows every subdomain), IPv4 literals and IPv6 literals
    /// (kept in brackets, as a Host header writes them: RFC 9110 §7.2 and RFC 3986 §3.2.2). No ports: any port is
    /// accepted, so an entry with one could never match.
    /// </summary>
    private static string[] ParseAllowedHosts(RawValue raw)
    {
        var entries = SplitList(raw.Value);
        if (entries.Length == 0)
        {
            throw raw.Invalid("expected * or a comma-separated list of host names such as localhost,proxy.example.com");
        }
        var hosts = new List<string>(entries.Length);
        foreach (var entry in entries)
        {
            if (entry == "*")
            {
                return ["*"];
            }
            var bracketed = entry.StartsWith('[') && entry.EndsWith(']');
            if ((bracketed || entry.Contains(':', StringComparison.Ordinal))
                && System.Net.IPAddress.TryParse(bracketed ? entry[1..^1] : entry, out var v6)
                && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                hosts.Add($"[{v6}]");
                continue;
            }
            var name = entry.StartsWith("*.", StringComparison.Ordinal) ? entry[2..] : entry;
            if (Uri.CheckHostName(name) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
            {
                throw raw.Invalid(entry.Contains(':', StringComparison.Ordinal)
                    ? $"'{entry}' has a port or is not a host; list host names only (any port is accepted)"
                    : $"'{entry}' is not a host name or IP address");
            }
            hosts.Add(entry.ToLowerInvariant());
        }
        return [.. hosts.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Reads and parses the keys file once (docs/replicas.md, "Per-key settings: the keys file"), so a bad line stops the
    /// start with exit 2; the auth layer reads it again when the app is built and on every reload. Returns the path.
    /// </summary>
    private static string CheckKeysFile(RawValue raw, Func<string, string> readFile)
    {
        var path = raw.Value.Trim();
        string text;
        try
        {
            text = readFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw raw.Invalid($"cannot read the file ({e.GetType().Name})");
        }
        try
        {
            _ = ApiKeysFile.Parse(text, path);
        }
        catch (ApiKeysFileException e)
        {
            // The parser's message names the file and the line and never repeats a key.
            throw new SettingsException(e.Message);
        }
        return path;
    }

    /// <summary>REDIS_URL: the parser's reasons never contain the password, and the value is never echoed (a secret).</summary>
    private static RedisUrl ParseRedisUrl(RawValue raw) =>
        RedisUrl.TryParse(raw.Value, out var url, out var error) ? url : throw raw.Invalid(error);

    private static StoreFailureMode ParseFailureMode(RawValue raw) =>
        StoreFailureModes.TryParse(raw.Value, out var mode, out var error) ? mode : throw raw.Invalid(error!);

    private static string[] SplitList(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Where each setting's value comes from, highest precedence first.</summary>
    private sealed class Source(ParseResult parseResult, IReadOnlyDictionary<string, string> environment, Dictionary<string, string> file)
    {
        public RawValue? Get(SettingDefinition setting)
        {
            if (parseResult.GetResult(setting.Option) is { } optionResult)
            {
                // A switch given alone (--log-requests) means true; a repeated flag stands for the comma-separated list.
                var value = optionResult.Tokens.Count == 0 ? "true"
                    : setting.IsRepeatable ? string.Join(',', optionResult.Tokens.Select(t => t.Value))
                    : optionResult.Tokens[0].Value;
                return new RawValue(value, setting.Flag, setting.IsSecret);
            }
            if (environment.TryGetValue(setting.EnvName, out var env))
            {
                return new RawValue(env, setting.EnvName, setting.IsSecret);
            }
            if (file.TryGetValue(setting.EnvName, out var fromFile))
            {
                return new RawValue(fromFile, $"{setting.EnvName} (from --env-file)", setting.IsSecret);
            }
            return null;
        }

        /// <summary>Every variable of the environment, then of the env-file, with the origin an error names.</summary>
        public IEnumerable<(string Key, RawValue Value)> Variables()
        {
            foreach (var (key, value) in environment)
            {
                yield return (key, new RawValue(value, key, false));
            }
            foreach (var (key, value) in file)
            {
                if (!environment.ContainsKey(key))
                {
                    yield return (key, new RawValue(value, $"{key} (from --env-file)", false));
                }
            }
        }
    }
}

/// <summary>A raw setting value and the name of where it came from, for error messages.</summary>
internal sealed record RawValue(string Value, string Origin, bool IsSecret)
{
    /// <summary>"invalid RATE_LIMIT_MAX_REQUESTS='lots': expected a positive whole number"; secrets are never echoed.</summary>
    public SettingsException Invalid(string why) =>
        new(IsSecret ? $"invalid {Origin}: {why}" : $"invalid {Origin}='{Value}': {why}");
}

/// <summary>A bad setting: the process prints <see cref="Exception.Message"/> (naming the variable or flag) and exits 2.</summary>
internal sealed class SettingsException(string message) : Exception(message);

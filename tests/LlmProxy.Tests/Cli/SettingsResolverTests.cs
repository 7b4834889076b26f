using System.Globalization;
using LlmProxy.Cli;
using LlmProxy.Configuration;
using LlmProxy.Routing;

namespace LlmProxy.Tests.Cli;

public class SettingsResolverTests
{
    private static ProxySettings Resolve(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null)
    {
        env ??= [];
        var root = ProxyCommandLine.CreateRoot(env, TextWriter.Null, TextWriter.Null);
        var parseResult = root.Parse(args);
        Assert.Empty(parseResult.Errors);
        return SettingsResolver.Resolve(parseResult, env, ProxyCommandLine.EnvFileOption,
            path => files is not null && files.TryGetValue(path, out var text) ? text : throw new FileNotFoundException(path));
    }

    /// <summary>The setting's value rendered as text, so one table can check every setting.</summary>
    private static string Show(ProxySettings s, string env) => env switch
    {
        "HOST" => s.Host,
        "PORT" => s.Port.ToString(CultureInfo.InvariantCulture),
        "LLM_PROVIDER" => s.DefaultProvider,
        "MODEL_PROVIDER_MAP" => string.Join(",", ModelProviderMap.Parse(s.ModelProviderMap).ExactModels.Order(StringComparer.Ordinal)) + "|" + ModelProviderMap.Parse(s.ModelProviderMap).Match("local-x"),
        "OPENAI_COMPAT_BASE_URL" => s.OpenAiCompatBaseUrl.AbsoluteUri,
        "OPENAI_COMPAT_API_KEY" => s.OpenAiCompatApiKey ?? "",
        "CORS_ALLOW_ORIGINS" => string.Join(",", s.CorsAllowOrigins),
        "LOG_REQUESTS" => s.LogRequests.ToString(),
        "LOG_LEVEL" => s.LogLevel,
        "LOG_FORMAT" => s.LogFormat.ToString(),
        "MAX_REQUEST_BYTES" => s.MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
        "RATE_LIMIT_ENABLED" => s.RateLimitEnabled.ToString(),
        "RATE_LIMIT_WINDOW_SECONDS" => s.RateLimitWindowSeconds.ToString(CultureInfo.InvariantCulture),
        "RATE_LIMIT_MAX_REQUESTS" => s.RateLimitMaxRequests.ToString(CultureInfo.InvariantCulture),
        "RATE_LIMIT_MAX_TOKENS" => s.RateLimitMaxTokens.ToString(CultureInfo.InvariantCulture),
        "REDIS_URL" => s.RedisUrl?.ToString() ?? "",
        "REDIS_FAILURE_MODE" => s.RedisFailureMode.Name(),
        "PROXY_API_KEYS" => string.Join(",", s.ApiKeys),
        "UPSTREAM_CONNECT_TIMEOUT_SECONDS" => s.UpstreamConnectTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        "UPSTREAM_TIMEOUT_SECONDS" => s.UpstreamTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        "SHUTDOWN_TIMEOUT_SECONDS" => s.ShutdownTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        "ALLOWED_HOSTS" => string.Join(",", s.EffectiveAllowedHosts),
        "ALLOW_UNAUTHENTICATED" => s.AllowUnauthenticated.ToString(),
        "MAX_INFLIGHT_BODY_BYTES" => s.MaxInflightBodyBytes.ToString(CultureInfo.InvariantCulture),
        "UPSTREAMS" => string.Join(",", s.Upstreams.Select(u => $"{u.Name}={u.BaseUrl.AbsoluteUri}")),
        "MODEL_ALIASES" => string.Join(",", ModelAliases.Parse(s.ModelAliases).Targets.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}>{a.Value}")),
        "MODEL_REFRESH_SECONDS" => s.ModelRefreshInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        "QUEUE_TIMEOUT_SECONDS" => s.QueueTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(env), env, null),
    };

    // env, flag, three distinct valid values (for flag, env, file), the default as Show renders it, and how each value shows.
    public static TheoryData<string, string, string[], string, string[]> Settings => new()
    {
        { "HOST", "--host", ["0.0.0.0", "::1", "localhost"], "127.0.0.1", ["0.0.0.0", "::1", "localhost"] },
        { "PORT", "--port", ["81", "82", "83"], "8000", ["81", "82", "83"] },
        { "LLM_PROVIDER", "--provider", ["ollama", "STUB", "Ollama"], "stub", ["ollama", "stub", "ollama"] },
        { "MODEL_PROVIDER_MAP", "--model-provider-map", ["a=stub", " b = ollama , local-*=stub", "c=stub,local-*=ollama"], "|", ["a|", "b|stub", "c|ollama"] },
        { "OPENAI_COMPAT_BASE_URL", "--openai-compat-base-url", ["http://h1:1/v1", "https://h2/v1/", "http://h3:3"], "http://localhost:11434/v1/", ["http://h1:1/v1/", "https://h2/v1/", "http://h3:3/"] },
        { "OPENAI_COMPAT_API_KEY", "--openai-compat-api-key", ["k1", "k2", "k3"], "", ["k1", "k2", "k3"] },
        { "CORS_ALLOW_ORIGINS", "--cors-allow-origins", ["http://a.test", "http://b.test:3000, https://c.test:*", "*"], string.Join(",", ProxySettings.LoopbackOrigins), ["http://a.test", "http://b.test:3000,https://c.test:*", "*"] },
        { "LOG_REQUESTS", "--log-requests", ["yes", "1", "on"], "False", ["True", "True", "True"] },
        { "LOG_LEVEL", "--log-level", ["debug", "WARNING", "Error"], "INFO", ["DEBUG", "WARNING", "ERROR"] },
        { "LOG_FORMAT", "--log-format", ["json", "TEXT", "Auto"], "Auto", ["Json", "Text", "Auto"] },
        { "MAX_REQUEST_BYTES", "--max-request-bytes", ["1024", "2048", "0"], "0", ["1024", "2048", "0"] },
        { "RATE_LIMIT_ENABLED", "--rate-limit-enabled", ["true", "on", "1"], "False", ["True", "True", "True"] },
        { "RATE_LIMIT_WINDOW_SECONDS", "--rate-limit-window-seconds", ["1", "2", "3"], "60", ["1", "2", "3"] },
        { "RATE_LIMIT_MAX_REQUESTS", "--rate-limit-max-requests", ["4", "5", "6"], "60", ["4", "5", "6"] },
        { "RATE_LIMIT_MAX_TOKENS", "--rate-limit-max-tokens", ["100000", "0", "7"], "0", ["100000", "0", "7"] },
        { "REDIS_URL", "--redis-url", ["redis://r1", "rediss://:pw@r2:6380/3", "redis://[::1]:7000"], "", ["redis://r1:6379/0", "rediss://:***@r2:6380/3", "redis://[::1]:7000/0"] },
        { "REDIS_FAILURE_MODE", "--redis-failure-mode", ["closed", "OPEN", "Closed"], "open", ["closed", "open", "closed"] },
        { "PROXY_API_KEYS", "--api-keys", ["k1", "k2,k3", " k4 "], "", ["k1", "k2,k3", "k4"] },
        { "UPSTREAM_CONNECT_TIMEOUT_SECONDS", "--upstream-connect-timeout-seconds", ["1", "2.5", "3"], "10", ["1", "2.5", "3"] },
        { "UPSTREAM_TIMEOUT_SECONDS", "--upstream-timeout-seconds", ["7", "8", "9"], "600", ["7", "8", "9"] },
        { "SHUTDOWN_TIMEOUT_SECONDS", "--shutdown-timeout-seconds", ["0", "5", "6"], "30", ["0", "5", "6"] },
        { "ALLOWED_HOSTS", "--allowed-hosts", ["proxy.lan", " *.example.com , 10.0.0.5,::1 ", "*"], "localhost,127.0.0.1,[::1]", ["proxy.lan", "*.example.com,10.0.0.5,[::1]", "*"] },
        { "ALLOW_UNAUTHENTICATED", "--allow-unauthenticated", ["true", "yes", "1"], "False", ["True", "True", "True"] },
        { "MAX_INFLIGHT_BODY_BYTES", "--max-inflight-body-bytes", ["30000000", "0", "1073741824"], "67108864", ["30000000", "0", "1073741824"] },
        { "UPSTREAMS", "--upstream", ["a=http://h1:1/v1", "b=http://h2/v1/, c-2=https://h3/v1", "d=http://h4:4"], "", ["a=http://h1:1/v1/", "b=http://h2/v1/,c-2=https://h3/v1/", "d=http://h4:4/"] },
        { "MODEL_ALIASES", "--model-aliases", ["a=b", " c = d , e=f:latest,", "g=h"], "", ["a>b", "c>d,e>f:latest", "g>h"] },
        { "MODEL_REFRESH_SECONDS", "--model-refresh-seconds", ["0", "5", "1.5"], "30", ["0", "5", "1.5"] },
        { "QUEUE_TIMEOUT_SECONDS", "--queue-timeout-seconds", ["0", "7", "2.5"], "30", ["0", "7", "2.5"] },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Each_setting_comes_from_its_flag_its_variable_and_the_env_file(string env, string flag, string[] values, string shownDefault, string[] shown)
    {
        Assert.Equal(shownDefault, Show(Resolve([]), env));
        Assert.Equal(shown[0], Show(Resolve([flag, values[0]]), env));
        Assert.Equal(shown[1], Show(Resolve([], new() { [env] = values[1] }), env));
        var file = new Dictionary<string, string> { ["f.env"] = $"# comment\n\nexport {env}=\"{values[2]}\"\n" };
        Assert.Equal(shown[2], Show(Resolve(["--env-file", "f.env"], files: file), env));
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Flag_beats_environment_beats_env_file_beats_default(string env, string flag, string[] values, string shownDefault, string[] shown)
    {
        _ = shownDefault;
        var file = new Dictionary<string, string> { ["f.env"] = $"{env}={values[2]}" };
        var all = Resolve([flag, values[0], "--env-file", "f.env"], new() { [env] = values[1] }, file);
        Assert.Equal(shown[0], Show(all, env));
        var envAndFile = Resolve(["--env-file", "f.env"], new() { [env] = values[1] }, file);
        Assert.Equal(shown[1], Show(envAndFile, env));
    }

    [Fact]
    public void A_switch_flag_given_alone_means_true()
    {
        var s = Resolve(["--log-requests", "--rate-limit-enabled"]);
        Assert.True(s.LogRequests);
        Assert.True(s.RateLimitEnabled);
    }

    [Fact]
    public void The_keys_file_is_checked_at_start_and_kept_as_a_path_beside_the_listed_keys()
    {
        var files = new Dictionary<string, string> { ["keys.txt"] = "# team keys\nkey-a name=alice rpm=60\n\n  key-b  \n#key-c\n" };
        var s = Resolve(["--api-keys", "key-x", "--api-keys-file", "keys.txt"], files: files);
        Assert.Equal(["key-x"], s.ApiKeys);
        Assert.Equal("keys.txt", s.ApiKeysFile);
        Assert.True(s.ApiKeysEnabled);
        Assert.True(Resolve([], new() { ["PROXY_API_KEYS_FILE"] = "keys.txt" }, files).ApiKeysEnabled);
        Assert.False(Resolve([]).ApiKeysEnabled);
    }

    [Fact]
    public void A_bad_line_in_the_keys_file_exits_2_naming_the_file_and_line_without_repeating_any_key()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "sk-good-key-1 name=alice\nsk-secret-key-2 rpm=ten\n");
        try
        {
            var stderr = new StringWriter();
            Assert.Equal(2, ProxyCommandLine.Run([], new Dictionary<string, string> { ["PROXY_API_KEYS_FILE"] = path }, TextWriter.Null, stderr));
            var line = stderr.ToString().Trim();
            Assert.Single(line.Split('\n'));
            Assert.Contains($"PROXY_API_KEYS_FILE {path}, line 2: rpm 'ten' is not a whole number", line, StringComparison.Ordinal);
            Assert.DoesNotContain("sk-", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("http://:Hunter2-pass@redis:6379")]
    [InlineData("redis://:Hunter2-pass@redis:99999")]
    [InlineData("redis://Hunter2-pass@redis")]
    [InlineData("redis://:Hunter2-pass@redis/zero")]
    public void A_bad_redis_url_exits_2_naming_the_variable_and_never_the_password(string url)
    {
        foreach (var (args, env, name) in new[]
        {
            (Array.Empty<string>(), new Dictionary<string, string> { ["REDIS_URL"] = url }, "REDIS_URL"),
            (new[] { "--redis-url", url }, new Dictionary<string, string>(), "--redis-url"),
        })
        {
            var stderr = new StringWriter();
            Assert.Equal(2, ProxyCommandLine.Run(args, env, TextWriter.Null, stderr));
            var line = stderr.ToString().Trim();
            Assert.Single(line.Split('\n'));
            Assert.Contains($"invalid {name}: ", line, StringComparison.Ordinal);
            Assert.DoesNotContain("Hunter2", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_redis_password_never_shows_in_the_settings_text()
    {
        var s = Resolve([], new() { ["REDIS_URL"] = "redis://proxy:Hunter2-pass@cache:6380/2", ["REDIS_FAILURE_MODE"] = "closed" });
        Assert.Equal("Hunter2-pass", s.RedisUrl!.Password);
        Assert.Equal(StoreFailureMode.Closed, s.RedisFailureMode);
        Assert.DoesNotContain("Hunter2", s.ToString(), StringComparison.Ordinal);
        Assert.Contains("redis://proxy:***@cache:6380/2", s.ToString(), StringComparison.Ordinal);
    }

    // One bad value of every kind: each must exit 2 naming the variable (or flag) and the value.
    public static TheoryData<string, string, string> BadValues => new()
    {
        { "RATE_LIMIT_MAX_REQUESTS", "--rate-limit-max-requests", "lots" },
        { "RATE_LIMIT_MAX_REQUESTS", "--rate-limit-max-requests", "0" },
        { "RATE_LIMIT_WINDOW_SECONDS", "--rate-limit-window-seconds", "-5" },
        { "PORT", "--port", "70000" },
        { "PORT", "--port", "eighty" },
        { "HOST", "--host", " " },
        { "LLM_PROVIDER", "--provider", "openai" },
        { "MODEL_PROVIDER_MAP", "--model-provider-map", "gpt-4" },
        { "MODEL_PROVIDER_MAP", "--model-provider-map", "gpt-4=nobody" },
        { "MODEL_PROVIDER_MAP", "--model-provider-map", "a*b=stub" },
        { "OPENAI_COMPAT_BASE_URL", "--openai-compat-base-url", "localhost:11434/v1" },
        { "OPENAI_COMPAT_BASE_URL", "--openai-compat-base-url", "ftp://example.test/v1" },
        { "CORS_ALLOW_ORIGINS", "--cors-allow-origins", "not an origin" },
        { "LOG_REQUESTS", "--log-requests", "maybe" },
        { "LOG_LEVEL", "--log-level", "LOUD" },
        { "LOG_FORMAT", "--log-format", "yaml" },
        { "MAX_REQUEST_BYTES", "--max-request-bytes", "-1" },
        { "MAX_REQUEST_BYTES", "--max-request-bytes", "10KB" },
        { "RATE_LIMIT_ENABLED", "--rate-limit-enabled", "2" },
        { "UPSTREAM_CONNECT_TIMEOUT_SECONDS", "--upstream-connect-timeout-seconds", "0" },
        { "UPSTREAM_TIMEOUT_SECONDS", "--upstream-timeout-seconds", "soon" },
        { "SHUTDOWN_TIMEOUT_SECONDS", "--shutdown-timeout-seconds", "-1" },
        { "PROXY_API_KEYS_FILE", "--api-keys-file", "/nonexistent/keys.txt" },
        { "CORS_ALLOW_ORIGINS", "--cors-allow-origins", "http://localhost:80:*" },
        { "CORS_ALLOW_ORIGINS", "--cors-allow-origins", "http://localhost:x" },
        { "ALLOWED_HOSTS", "--allowed-hosts", "localhost:8000" },
        { "ALLOWED_HOSTS", "--allowed-hosts", "bad host" },
        { "ALLOWED_HOSTS", "--allowed-hosts", "http://proxy.lan" },
        { "ALLOW_UNAUTHENTICATED", "--allow-unauthenticated", "sure" },
        { "MAX_INFLIGHT_BODY_BYTES", "--max-inflight-body-bytes", "-1" },
        { "MAX_INFLIGHT_BODY_BYTES", "--max-inflight-body-bytes", "64MB" },
        // Smaller than the largest body (the built-in ceiling of 30,000,000 bytes): such a body could never be read.
        { "MAX_INFLIGHT_BODY_BYTES", "--max-inflight-body-bytes", "1048576" },
        { "LLM_PROVIDER", "--provider", "lmstudio" },
        { "UPSTREAMS", "--upstream", "gpu" },
        { "MODEL_ALIASES", "--model-aliases", "a=a" },
        { "MODEL_ALIASES", "--model-aliases", "a=b,b=c" },
        { "MODEL_REFRESH_SECONDS", "--model-refresh-seconds", "-1" },
        { "QUEUE_TIMEOUT_SECONDS", "--queue-timeout-seconds", "soon" },
        { "RATE_LIMIT_MAX_TOKENS", "--rate-limit-max-tokens", "-1" },
        { "RATE_LIMIT_MAX_TOKENS", "--rate-limit-max-tokens", "100k" },
        { "REDIS_FAILURE_MODE", "--redis-failure-mode", "fail-open" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_exits_2_naming_the_variable_and_the_value(string env, string flag, string value)
    {
        var stderr = new StringWriter();
        var code = ProxyCommandLine.Run([], new Dictionary<string, string> { [env] = value }, TextWriter.Null, stderr);
        Assert.Equal(2, code);
        var line = stderr.ToString().Trim();
        Assert.Single(line.Split('\n'));
        Assert.Contains(env, line, StringComparison.Ordinal);
        Assert.Contains(value.Trim(), line, StringComparison.Ordinal);

        stderr = new StringWriter();
        code = ProxyCommandLine.Run([flag, value], new Dictionary<string, string>(), TextWriter.Null, stderr);
        Assert.Equal(2, code);
        Assert.Contains(flag, stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_limit_above_the_budget_of_bodies_in_flight_exits_2_naming_both()
    {
        var stderr = new StringWriter();
        var code = ProxyCommandLine.Run([], new Dictionary<string, string> { ["MAX_REQUEST_BYTES"] = "100000000" }, TextWriter.Null, stderr);
        Assert.Equal(2, code);
        Assert.Contains("MAX_REQUEST_BYTES='100000000'", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("MAX_INFLIGHT_BODY_BYTES", stderr.ToString(), StringComparison.Ordinal);

        var raised = Resolve([], new() { ["MAX_REQUEST_BYTES"] = "100000000", ["MAX_INFLIGHT_BODY_BYTES"] = "200000000" });
        Assert.Equal(200_000_000, raised.MaxInflightBodyBytes);
    }

    [Theory]
    [InlineData("127.0.0.1", "localhost,127.0.0.1,[::1]", false)]
    [InlineData("localhost", "localhost,127.0.0.1,[::1]", false)]
    [InlineData("::1", "localhost,127.0.0.1,[::1]", false)]
    [InlineData("127.0.0.2", "localhost,127.0.0.1,[::1],127.0.0.2", false)]
    [InlineData("0.0.0.0", "*", true)]
    [InlineData("::", "*", true)]
    [InlineData("192.168.1.20", "*", true)]
    public void The_host_allow_list_and_protected_mode_follow_the_bind_address(string host, string allowedHosts, bool protectedMode)
    {
        var s = Resolve(["--host", host]);
        Assert.Equal(allowedHosts, string.Join(",", s.EffectiveAllowedHosts));
        Assert.Equal(protectedMode, s.ProtectedMode);
        Assert.False(Resolve(["--host", host, "--api-keys", "k"]).ProtectedMode);
        Assert.False(Resolve(["--host", host, "--allow-unauthenticated"]).ProtectedMode);
    }

    [Fact]
    public void A_bad_value_in_the_env_file_names_the_variable_and_the_file()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "RATE_LIMIT_MAX_REQUESTS=lots\n");
        try
        {
            var stderr = new StringWriter();
            Assert.Equal(2, ProxyCommandLine.Run(["--env-file", path], new Dictionary<string, string>(), TextWriter.Null, stderr));
            Assert.Contains("RATE_LIMIT_MAX_REQUESTS (from --env-file)='lots'", stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_env_file_exits_2_naming_it()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, ProxyCommandLine.Run(["--env-file", "/nonexistent/.env"], new Dictionary<string, string>(), TextWriter.Null, stderr));
        Assert.Contains("--env-file '/nonexistent/.env'", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_flag_exits_2()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, ProxyCommandLine.Run(["--no-such-flag"], new Dictionary<string, string>(), TextWriter.Null, stderr));
        Assert.Contains("--no-such-flag", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_is_never_echoed_in_an_error()
    {
        var stderr = new StringWriter();
        var env = new Dictionary<string, string> { ["OPENAI_COMPAT_API_KEY"] = "sk-very-secret", ["PORT"] = "nope" };
        Assert.Equal(2, ProxyCommandLine.Run([], env, TextWriter.Null, stderr));
        Assert.DoesNotContain("sk-very-secret", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_lists_every_flag_with_its_variable_and_default()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, ProxyCommandLine.Run(["--help"], new Dictionary<string, string>(), stdout, TextWriter.Null));
        var help = stdout.ToString();
        foreach (var setting in SettingDefinitions.All)
        {
            var line = help.Split('\n').Single(l => l.TrimStart().StartsWith(setting.Flag + " ", StringComparison.Ordinal));
            Assert.Contains($"[env: {setting.EnvName}]", line, StringComparison.Ordinal);
            Assert.Contains("[default: ", line, StringComparison.Ordinal);
        }
        Assert.Contains("--env-file", help, StringComparison.Ordinal);
        Assert.Contains("healthcheck", help, StringComparison.Ordinal);
    }
}

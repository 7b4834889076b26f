using System.Net;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>The published AOT binary itself: one file, its flags, its exit codes.</summary>
public class BinaryTests
{
    [Fact]
    public void The_artifact_is_one_native_executable_with_no_managed_assemblies_beside_it()
    {
        var path = ProxyBinary.Path;
        var header = new byte[4];
        using (var file = File.OpenRead(path))
        {
            file.ReadExactly(header);
        }
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, header);
        var dir = Path.GetDirectoryName(path)!;
        Assert.Empty(Directory.GetFiles(dir, "*.dll"));
        Assert.Empty(Directory.GetFiles(dir, "*.json"));
    }

    [Fact]
    public async Task Version_prints_the_product_version()
    {
        var (code, stdout, _) = await ProxyProcess.RunToExitAsync(["--version"]);
        Assert.Equal(0, code);
        Assert.Equal("0.1.0", stdout.Trim());
    }

    [Fact]
    public async Task Help_lists_every_flag_with_env_name_and_default()
    {
        var (code, stdout, _) = await ProxyProcess.RunToExitAsync(["--help"]);
        Assert.Equal(0, code);
        string[] expected =
        [
            "--host", "HOST", "--port", "PORT", "--provider", "LLM_PROVIDER", "--model-provider-map", "MODEL_PROVIDER_MAP",
            "--openai-compat-base-url", "OPENAI_COMPAT_BASE_URL", "--openai-compat-api-key", "OPENAI_COMPAT_API_KEY",
            "--cors-allow-origins", "CORS_ALLOW_ORIGINS", "--log-requests", "LOG_REQUESTS", "--log-level", "LOG_LEVEL",
            "--log-format", "LOG_FORMAT",
            "--max-request-bytes", "MAX_REQUEST_BYTES", "--rate-limit-enabled", "RATE_LIMIT_ENABLED",
            "--rate-limit-window-seconds", "RATE_LIMIT_WINDOW_SECONDS", "--rate-limit-max-requests", "RATE_LIMIT_MAX_REQUESTS",
            "--api-keys", "PROXY_API_KEYS", "--api-keys-file", "PROXY_API_KEYS_FILE",
            "--upstream-connect-timeout-seconds", "UPSTREAM_CONNECT_TIMEOUT_SECONDS", "--upstream-timeout-seconds", "UPSTREAM_TIMEOUT_SECONDS",
            "--shutdown-timeout-seconds", "SHUTDOWN_TIMEOUT_SECONDS", "--env-file",
        ];
        for (var i = 0; i + 1 < expected.Length; i += 2)
        {
            if (!expected[i].StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }
            var line = stdout.Split('\n').Single(l => l.TrimStart().StartsWith(expected[i] + " ", StringComparison.Ordinal));
            if (!expected[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                Assert.Contains($"[env: {expected[i + 1]}]", line, StringComparison.Ordinal);
                Assert.Contains("[default: ", line, StringComparison.Ordinal);
            }
        }
    }

    // One bad value of every kind: the process must stop at start with exit 2 and one line naming the variable and value.
    [Theory]
    [InlineData("RATE_LIMIT_MAX_REQUESTS", "lots")]
    [InlineData("RATE_LIMIT_WINDOW_SECONDS", "-1")]
    [InlineData("PORT", "99999")]
    [InlineData("HOST", "not-an-address")]
    [InlineData("LLM_PROVIDER", "gpt")]
    [InlineData("MODEL_PROVIDER_MAP", "gpt-4")]
    [InlineData("OPENAI_COMPAT_BASE_URL", "localhost:11434")]
    [InlineData("CORS_ALLOW_ORIGINS", "localhost:3000/path")]
    [InlineData("LOG_REQUESTS", "perhaps")]
    [InlineData("LOG_LEVEL", "TRACE")]
    [InlineData("LOG_FORMAT", "xml")]
    [InlineData("MAX_REQUEST_BYTES", "big")]
    [InlineData("RATE_LIMIT_ENABLED", "enabled")]
    [InlineData("UPSTREAM_CONNECT_TIMEOUT_SECONDS", "0")]
    [InlineData("UPSTREAM_TIMEOUT_SECONDS", "NaN")]
    [InlineData("SHUTDOWN_TIMEOUT_SECONDS", "x")]
    [InlineData("PROXY_API_KEYS_FILE", "/nonexistent/keys")]
    public async Task A_bad_setting_exits_2_naming_the_variable(string name, string value)
    {
        var (code, stdout, stderr) = await ProxyProcess.RunToExitAsync([], new Dictionary<string, string> { [name] = value });
        Assert.Equal(2, code);
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains(name, lines[0], StringComparison.Ordinal);
        Assert.Contains(value, lines[0], StringComparison.Ordinal);
        Assert.Equal("", stdout.Trim());
    }

    [Fact]
    public async Task A_bad_flag_value_exits_2_naming_the_flag()
    {
        var (code, _, stderr) = await ProxyProcess.RunToExitAsync(["--rate-limit-max-requests", "lots"]);
        Assert.Equal(2, code);
        Assert.Contains("--rate-limit-max-requests='lots'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flag_beats_env_beats_env_file_through_the_binary()
    {
        var envFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(envFile, "# settings\nRATE_LIMIT_MAX_REQUESTS=5\nRATE_LIMIT_WINDOW_SECONDS=7\nexport LOG_LEVEL='warning'\nCORS_ALLOW_ORIGINS=\"http://file.test\"\n");
        try
        {
            var env = new Dictionary<string, string> { ["RATE_LIMIT_WINDOW_SECONDS"] = "8", ["LOG_LEVEL"] = "error" };
            await using var proxy = await ProxyProcess.StartAsync(env, ["--env-file", envFile, "--log-level", "debug"]);
            var health = await Http.JsonAsync(await proxy.Client.GetAsync("healthz"));
            Assert.Equal(5, health.GetProperty("rate_limit").GetProperty("max_requests").GetInt32());      // file
            Assert.Equal(8, health.GetProperty("rate_limit").GetProperty("window_seconds").GetInt32());    // env over file
            Assert.Equal("DEBUG", health.GetProperty("logging").GetProperty("level").GetString());          // flag over env
            Assert.Equal("http://file.test", health.GetProperty("cors").GetProperty("allow_origins")[0].GetString());
        }
        finally
        {
            File.Delete(envFile);
        }
    }

    [Fact]
    public async Task Serves_on_the_configured_host_and_port()
    {
        var port = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(args: ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--host", "127.0.0.1"],
            env: new Dictionary<string, string> { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var response = await proxy.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(port, proxy.Port);
    }
}

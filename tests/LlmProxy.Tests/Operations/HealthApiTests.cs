using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Operations;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Operations;

public class HealthApiTests
{
    [Fact]
    public async Task Healthz_reports_status_version_and_settings_without_secrets()
    {
        var settings = new ProxySettings
        {
            RateLimitEnabled = true,
            RateLimitWindowSeconds = 30,
            RateLimitMaxRequests = 7,
            LogRequests = true,
            LogLevel = "DEBUG",
            CorsAllowOrigins = ["http://localhost:3000"],
            OpenAiCompatApiKey = "sk-upstream-secret",
            ApiKeys = ["proxy-key-secret"],
        };
        await using var proxy = await TestProxy.StartAsync(settings);
        using var response = await proxy.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        var body = await Requests.JsonAsync(response);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.True(body.GetProperty("uptime_seconds").GetDouble() >= 0);
        Assert.Equal("0.1.0", body.GetProperty("version").GetString());
        Assert.True(body.GetProperty("rate_limit").GetProperty("enabled").GetBoolean());
        Assert.Equal(30, body.GetProperty("rate_limit").GetProperty("window_seconds").GetInt32());
        Assert.Equal(7, body.GetProperty("rate_limit").GetProperty("max_requests").GetInt32());
        Assert.Equal(0, body.GetProperty("rate_limit").GetProperty("max_tokens").GetInt64());
        Assert.Equal("memory", body.GetProperty("rate_limit").GetProperty("store").GetString());
        Assert.True(body.GetProperty("rate_limit").GetProperty("store_up").GetBoolean());
        Assert.True(body.GetProperty("logging").GetProperty("enabled").GetBoolean());
        Assert.Equal("DEBUG", body.GetProperty("logging").GetProperty("level").GetString());
        Assert.Equal("http://localhost:3000", body.GetProperty("cors").GetProperty("allow_origins")[0].GetString());
    }

    [Fact]
    public async Task Healthz_is_503_draining_once_shutdown_began()
    {
        await using var proxy = await TestProxy.StartAsync();
        proxy.App.Services.GetRequiredService<HealthState>().MarkDraining();
        using var response = await proxy.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("draining", (await Requests.JsonAsync(response)).GetProperty("status").GetString());
    }
}

using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary><c>llm-proxy healthcheck</c>: the distroless image's HEALTHCHECK, so exit code and one line are the contract.</summary>
public class HealthcheckCommandTests
{
    [Fact]
    public async Task Exits_0_with_one_line_against_a_running_instance()
    {
        await using var proxy = await ProxyProcess.StartAsync();
        var (code, stdout, stderr) = await ProxyProcess.RunToExitAsync(["healthcheck", "--url", new Uri(proxy.BaseUrl, "healthz").ToString()]);
        Assert.Equal(0, code);
        var line = Assert.Single(stdout.Trim().Split('\n'));
        Assert.StartsWith("healthy:", line, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Without_url_probes_the_port_from_PORT_as_the_image_does()
    {
        await using var proxy = await ProxyProcess.StartAsync();
        var port = proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (code, stdout, _) = await ProxyProcess.RunToExitAsync(["healthcheck"], new Dictionary<string, string> { ["PORT"] = port });
        Assert.Equal(0, code);
        Assert.Contains($"127.0.0.1:{port}/healthz", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exits_1_with_one_line_against_a_stopped_instance()
    {
        var proxy = await ProxyProcess.StartAsync();
        var url = new Uri(proxy.BaseUrl, "healthz").ToString();
        Assert.Equal(0, await proxy.TerminateAsync(TimeSpan.FromSeconds(15)));
        await proxy.DisposeAsync();

        var (code, stdout, _) = await ProxyProcess.RunToExitAsync(["healthcheck", "--url", url, "--timeout-seconds", "2"]);
        Assert.Equal(1, code);
        var line = Assert.Single(stdout.Trim().Split('\n'));
        Assert.StartsWith("unhealthy:", line, StringComparison.Ordinal);
    }
}

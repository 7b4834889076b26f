using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>
/// A friendly start on the real binary (docs/operations.md, Logs; docs/architecture.md, Exit codes): LOG_FORMAT, the
/// one start line, no framework chatter at INFO, and a port that cannot be bound told in one line with exit code 1.
/// </summary>
public class StartTests
{
    private static readonly string[] Chatter = ["Hosting environment", "Content root path", "Application started", "Now listening on"];

    [Fact]
    public async Task Piped_stdout_gets_json_lines_with_one_start_line_naming_the_version_url_provider_and_docs()
    {
        await using var proxy = await ProxyProcess.StartAsync();
        var lines = await WaitForLinesAsync(proxy, l => l.Contains("listening on", StringComparison.Ordinal));

        var start = Assert.Single(lines, l => l.Contains("listening on", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(start);
        Assert.Equal("Information", json.RootElement.GetProperty("LogLevel").GetString());
        var state = json.RootElement.GetProperty("State");
        Assert.Equal("0.1.0", state.GetProperty("Version").GetString());
        Assert.Equal($"http://127.0.0.1:{proxy.Port}", state.GetProperty("Url").GetString());
        Assert.Equal("stub", state.GetProperty("Provider").GetString());
        Assert.Equal($"http://127.0.0.1:{proxy.Port}/docs", state.GetProperty("DocsUrl").GetString());
        foreach (var line in lines)
        {
            using var _ = JsonDocument.Parse(line);
            Assert.DoesNotContain(Chatter, c => line.Contains(c, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Log_format_text_writes_one_readable_line_per_entry_even_when_piped()
    {
        await using var proxy = await ProxyProcess.StartAsync(new Dictionary<string, string> { ["LOG_FORMAT"] = "text" });
        var lines = await WaitForLinesAsync(proxy, l => l.Contains("listening on", StringComparison.Ordinal));

        var start = Assert.Single(lines, l => l.Contains("listening on", StringComparison.Ordinal));
        Assert.StartsWith(DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start, StringComparison.Ordinal);
        Assert.Contains($"info: LlmProxy[1] llm-proxy 0.1.0 listening on http://127.0.0.1:{proxy.Port} (provider: stub); API docs at http://127.0.0.1:{proxy.Port}/docs", start, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith('{'));
        Assert.DoesNotContain(lines, l => Chatter.Any(c => l.Contains(c, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task On_a_terminal_the_default_format_is_text()
    {
        // script(1) runs the binary on a pseudo-terminal, as a person starting it in a shell would.
        Assert.True(File.Exists("/usr/bin/script"), "script(1) from util-linux is needed to give the proxy a terminal");
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var info = ProxyProcess.StartInfo([], new Dictionary<string, string> { ["PORT"] = port });
        var command = string.Join(' ', new[] { info.FileName }.Concat(info.ArgumentList).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        info.FileName = "/usr/bin/script";
        info.ArgumentList.Clear();
        foreach (var arg in new[] { "-q", "-e", "-c", "exec " + command, "/dev/null" })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        try
        {
            var seen = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                seen.Add(line);
                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    Assert.DoesNotContain("\"LogLevel\"", line, StringComparison.Ordinal);
                    Assert.Contains($"listening on http://127.0.0.1:{port} (provider: stub); API docs at http://127.0.0.1:{port}/docs", line, StringComparison.Ordinal);
                    Assert.Contains("info", line, StringComparison.Ordinal);
                    return;
                }
            }
            Assert.Fail("no start line on the terminal: " + string.Join('\n', seen));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_on_stderr_and_exit_code_1()
    {
        await using var first = await ProxyProcess.StartAsync();
        var port = first.Port.ToString(CultureInfo.InvariantCulture);

        var (code, stdout, stderr) = await ProxyProcess.RunToExitAsync([], new Dictionary<string, string> { ["PORT"] = port });

        Assert.Equal(1, code);
        Assert.Equal($"llm-proxy: cannot listen on 127.0.0.1:{port}: address already in use", stderr.Trim());
        Assert.DoesNotContain("Exception", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        // The first instance is untouched.
        using var health = await first.Client.GetAsync("healthz");
        Assert.True(health.IsSuccessStatusCode);
    }

    [Fact]
    public async Task An_address_that_is_not_on_this_machine_is_one_line_on_stderr_and_exit_code_1()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this host.
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var (code, stdout, stderr) = await ProxyProcess.RunToExitAsync([], new Dictionary<string, string> { ["HOST"] = "192.0.2.1", ["PORT"] = port });

        Assert.Equal(1, code);
        Assert.Equal($"llm-proxy: cannot listen on 192.0.2.1:{port}: the address is not available on this machine", stderr.Trim());
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    /// <summary>The start line is written right after the listeners open, so it may trail the first healthy probe by a moment.</summary>
    private static async Task<List<string>> WaitForLinesAsync(ProxyProcess proxy, Func<string, bool> until)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            var lines = proxy.StdoutLines.ToList();
            if (lines.Any(until))
            {
                return lines;
            }
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException("the expected line never came: " + string.Join('\n', proxy.StdoutLines));
    }
}

using System.CommandLine;
using System.Text.Json;
using LlmProxy.Operations;

namespace LlmProxy.Cli;

/// <summary>
/// <c>llm-proxy healthcheck [--url URL]</c>: distroless images have no curl, so the binary probes itself.
/// Exit 0 when /healthz answers <c>"status":"ok"</c> or <c>"degraded"</c>, 1 otherwise, with one short line either way.
/// </summary>
internal static class HealthcheckCommand
{
    public static Command Create(IReadOnlyDictionary<string, string> environment, TextWriter stdout)
    {
        var url = new Option<string?>("--url")
        {
            Description = "Health URL to probe [default: http://127.0.0.1:$PORT/healthz, PORT defaulting to 8000]",
            HelpName = "url",
        };
        var timeout = new Option<double>("--timeout-seconds")
        {
            Description = "Give up after this many seconds.",
            DefaultValueFactory = _ => 3,
        };
        var command = new Command("healthcheck", "Probe a running llm-proxy's /healthz; exit 0 when healthy, 1 otherwise.");
        command.Options.Add(url);
        command.Options.Add(timeout);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var target = parseResult.GetValue(url) ?? DefaultUrl(environment);
            return await ProbeAsync(target, TimeSpan.FromSeconds(Math.Max(0.1, parseResult.GetValue(timeout))), stdout, cancellationToken);
        });
        return command;
    }

    private static string DefaultUrl(IReadOnlyDictionary<string, string> environment)
    {
        var port = environment.TryGetValue("PORT", out var p) && p.Trim().Length > 0 ? p.Trim() : "8000";
        return $"http://127.0.0.1:{port}/healthz";
    }

    public static async Task<int> ProbeAsync(string target, TimeSpan timeout, TextWriter stdout, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            await stdout.WriteLineAsync($"unhealthy: '{target}' is not an http(s) URL");
            return 1;
        }
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            using var response = await http.GetAsync(uri, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var status = TryReadStatus(body);
            // "degraded" (an upstream is down) is still a proxy that serves: restarting it would not bring the upstream back.
            if (response.IsSuccessStatusCode && status is "ok" or "degraded")
            {
                await stdout.WriteLineAsync($"healthy: {uri} answered status {status}");
                return 0;
            }
            await stdout.WriteLineAsync($"unhealthy: {uri} answered {(int)response.StatusCode} status {status ?? "(none)"}");
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
        {
            await stdout.WriteLineAsync($"unhealthy: {uri} did not answer ({e.GetType().Name})");
            return 1;
        }
    }

    private static string? TryReadStatus(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, HealthJsonContext.Default.HealthResponse)?.Status;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

using System.Net.Sockets;
using LlmProxy.Configuration;
using LlmProxy.Http.Auth;
using LlmProxy.Routing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LlmProxy.Hosting;

/// <summary>
/// Runs the proxy as a process (docs/architecture.md, Exit codes): start, say in one line where it serves, wait for
/// SIGTERM/SIGINT (the drain happens in the host's stop), exit 0. A server that cannot start — the port in use, an
/// address not on this machine — prints one line to stderr and exits 1; bad settings never get here (exit 2).
/// </summary>
internal static partial class ProxyHost
{
    public const int ExitOk = 0;
    public const int ExitRuntimeFailure = 1;

    /// <summary>Bad configuration found while building the app (the same code as the command line's bad settings).</summary>
    public const int ExitBadSettings = 2;

    public static async Task<int> RunAsync(ProxySettings settings, TextWriter stderr)
    {
        WebApplication built;
        try
        {
            built = ProxyApp.Build(settings);
        }
        catch (ApiKeysFileException e)
        {
            // The keys file changed for the worse between the settings check and now: as bad as a bad setting.
            await stderr.WriteLineAsync($"llm-proxy: {e.Message}");
            return ExitBadSettings;
        }
        await using var app = built;
        try
        {
            await app.StartAsync();
        }
        catch (Exception e)
        {
            await stderr.WriteLineAsync(ListenFailure(e) is { } reason
                ? $"llm-proxy: cannot listen on {settings.Host}:{settings.Port}: {reason}"
                : $"llm-proxy: cannot start: {e.Message}");
            return ExitRuntimeFailure;
        }
        LogStarted(app);
        await app.WaitForShutdownAsync();
        return ExitOk;
    }

    /// <summary>Why binding failed, in a few words (null when the failure is not about binding).</summary>
    public static string? ListenFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                return "address already in use";
            }
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => "address already in use",
                    SocketError.AddressNotAvailable => "the address is not available on this machine",
                    SocketError.AccessDenied => "permission denied",
                    _ => socket.Message,
                };
            }
        }
        return null;
    }

    /// <summary>
    /// The start line: version, the URL it serves (the real port, when PORT=0 picked one), where requests go and
    /// where the API docs are. The upstream is shown by host and port only: a base URL may carry a password.
    /// </summary>
    private static void LogStarted(WebApplication app)
    {
        var settings = app.Services.GetRequiredService<ProxySettings>();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://{settings.Host}:{settings.Port}";
        var table = app.Services.GetRequiredService<RoutingTable>();
        var provider = table.Mode switch
        {
            UpstreamMode.Named => $"{settings.DefaultProvider}; upstreams {string.Join(", ", settings.Upstreams.Select(u => $"{u.Name} at {u.BaseUrl.Authority}"))}",
            UpstreamMode.Discovery => $"{settings.DefaultProvider}; looking for local model servers on ports {string.Join(", ", DiscoveryTargets.All.Where(t => t.Port != settings.Port).Select(t => t.Port))}",
            _ when settings.DefaultProvider == ProviderNames.Ollama => $"{settings.DefaultProvider} at {settings.OpenAiCompatBaseUrl.Authority}",
            _ => settings.DefaultProvider,
        };
        if (settings.ModelProviderMap.Length > 0)
        {
            provider += ", with MODEL_PROVIDER_MAP";
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LlmProxy");
        var docs = url.TrimEnd('/') + "/docs";
        LogListening(logger, ProxyVersion.Text, url, provider, docs);
        if (settings.ProtectedMode)
        {
            LogProtectedMode(logger, settings.Host);
        }
        else if (!settings.ListensOnLoopbackOnly && !settings.ApiKeysEnabled)
        {
            LogUnauthenticated(logger, settings.Host);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "llm-proxy {Version} listening on {Url} (provider: {Provider}); API docs at {DocsUrl}")]
    private static partial void LogListening(ILogger logger, string version, string url, string provider, string docsUrl);

    // docs/security.md, Protected mode: the one line that explains every 403 a remote client is about to get.
    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "protected mode: listening on {Host} without API keys, so requests from other machines get 403 (only /healthz and /metrics answer them); set PROXY_API_KEYS to serve them with keys, or ALLOW_UNAUTHENTICATED=true to serve them without")]
    private static partial void LogProtectedMode(ILogger logger, string host);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "ALLOW_UNAUTHENTICATED=true: listening on {Host} without API keys; every machine that can reach this port can use the models behind the proxy")]
    private static partial void LogUnauthenticated(ILogger logger, string host);
}

using LlmProxy.Configuration;

namespace LlmProxy.Http.Auth;

/// <summary>
/// Wiring of the auth check: the key source (PROXY_API_KEYS alone, or the keys file's reloader, which also holds
/// PROXY_API_KEYS) and the check itself.
/// </summary>
internal static class ProxyAuthSetup
{
    public static IServiceCollection AddProxyAuth(this IServiceCollection services, ProxySettings settings)
    {
        if (settings.ApiKeysFile is { } path)
        {
            // Reads the file now: one that became unusable since the settings were checked throws
            // ApiKeysFileException, which the host reports like a bad setting (exit 2).
            services.AddSingleton(s => new ApiKeysFileReloader(path, settings.ApiKeys, s.GetRequiredService<ILoggerFactory>().CreateLogger("LlmProxy.ApiKeys")));
            services.AddSingleton<IApiKeySource>(s => s.GetRequiredService<ApiKeysFileReloader>());
        }
        else
        {
            services.AddSingleton<IApiKeySource>(new FixedApiKeys(ApiKeyTable.Create(settings.ApiKeys, [])));
        }
        services.AddSingleton<ProxyAuth>();
        return services;
    }

    /// <summary>Loads the keys file (if any) before the first request, and re-reads it on SIGHUP and on change once started.</summary>
    public static void StartKeyReloads(WebApplication app)
    {
        if (app.Services.GetService<ApiKeysFileReloader>() is { } reloader)
        {
            app.Lifetime.ApplicationStarted.Register(reloader.Start);
        }
    }
}

using System.Net;
using LlmProxy.Api;
using LlmProxy.Configuration;
using LlmProxy.Edge;
using LlmProxy.Json;
using LlmProxy.Providers;

namespace LlmProxy.Hosting;

/// <summary>
/// Builds the web application from resolved settings. The pipeline order is the request flow of ARCHITECTURE.md:
/// request id → error handler → routing → body limit → auth → route → provider.
/// </summary>
public static class ProxyApp
{
    /// <param name="settings">The resolved settings.</param>
    /// <param name="configureBuilder">Tests use it to swap in the test server or extra services.</param>
    /// <param name="configureEndpoints">Tests use it to add endpoints (e.g. one that throws).</param>
    public static WebApplication Build(
        ProxySettings settings,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<WebApplication>? configureEndpoints = null)
    {
        // Args empty and no content root probing: configuration is ours alone (CONTRACT §1), resolved before this point.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });

        ConfigureLogging(builder, settings);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.EffectiveMaxRequestBytes;
            if (IPAddress.TryParse(settings.Host, out var address))
            {
                kestrel.Listen(address, settings.Port);
            }
            else
            {
                kestrel.ListenLocalhost(settings.Port);
            }
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ProxyJsonContext.Default));

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<HealthState>();
        builder.Services.AddSingleton<ProxyAuth>();
        builder.Services.AddSingleton<IChatProvider, StubProvider>();
        builder.Services.AddSingleton<ProviderRouter>();
        builder.Services.AddSingleton<SeedChatHandler>();
        builder.Services.AddOpenAiCompatUpstream();

        configureBuilder?.Invoke(builder);

        var app = builder.Build();
        var health = app.Services.GetRequiredService<HealthState>();
        app.Lifetime.ApplicationStopping.Register(health.MarkDraining);

        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseRouting();
        app.UseMiddleware<BodyLimitMiddleware>();
        app.UseMiddleware<ProxyAuthMiddleware>();

        app.MapHealthApi();
        app.MapSeedProxyApi();
        app.MapOpenAiApi();
        configureEndpoints?.Invoke(app);
        return app;
    }

    private static void ConfigureLogging(WebApplicationBuilder builder, ProxySettings settings)
    {
        var level = LogLevels.FromContractName(settings.LogLevel);
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        builder.Logging.SetMinimumLevel(level);
        // The framework's per-request chatter stays out of the log unless DEBUG asks for it.
        builder.Logging.AddFilter("Microsoft.AspNetCore", level <= LogLevel.Debug ? level : LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", level);
    }
}

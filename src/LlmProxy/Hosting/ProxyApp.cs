using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Doors.Classic;
using LlmProxy.Doors.OpenAi;
using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Http.Errors;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Json;
using LlmProxy.Metrics;
using LlmProxy.Operations;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Hosting;

/// <summary>
/// Builds the web application from resolved settings. The pipeline order is the request flow of ARCHITECTURE.md:
/// request id → request log → error handler → CORS → drain gate (shutdown) → routing → metrics → docs UIs → body limit
/// → auth → rate limit → route → provider.
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
            KestrelLimits.Apply(kestrel.Limits, settings.EffectiveMaxRequestBytes);
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
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddHostedService<DrainOnShutdownService>();
        builder.Services.AddSingleton<ProxyAuth>();
        builder.Services.AddSingleton<IChatProvider, StubProvider>();
        builder.Services.AddSingleton<ProviderRouter>();
        builder.Services.AddSingleton<SeedChatHandler>();
        builder.Services.AddProxyMetrics();
        builder.Services.AddProxyCors(settings);
        builder.Services.AddProxyRateLimiting(settings);
        builder.Services.AddProxyDocs();
        builder.Services.AddOpenAiCompatUpstream();

        configureBuilder?.Invoke(builder);

        var app = builder.Build();
        var health = app.Services.GetRequiredService<HealthState>();
        app.Lifetime.ApplicationStopping.Register(health.MarkDraining);
        app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<ShutdownDrain>().BeginDrain);

        app.UseMiddleware<RequestIdMiddleware>();
        if (settings.LogRequests)
        {
            // Outside the error handler, so the line carries the final status of failed requests too.
            app.UseMiddleware<RequestLogMiddleware>();
        }
        app.UseMiddleware<ErrorHandlingMiddleware>();
        // Before routing: preflights are answered here (204), never by routing's 405; inside the error handler, whose
        // error bodies then still get the CORS headers (added when the response starts). Before the drain gate, so
        // its 503s carry CORS headers too.
        app.UseCors();
        app.UseMiddleware<DrainGateMiddleware>();
        app.UseRouting();
        app.UseHttpMetrics();
        app.UseProxyDocs();
        app.UseMiddleware<BodyLimitMiddleware>();
        app.UseMiddleware<ProxyAuthMiddleware>();
        app.UseProxyRateLimiting(settings);

        app.MapHealthApi();
        app.MapSeedProxyApi();
        app.MapMetricsApi();
        app.MapDocsApi();
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

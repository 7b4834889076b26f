using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Doors.Anthropic;
using LlmProxy.Doors.Classic;
using LlmProxy.Doors.Ollama;
using LlmProxy.Doors.OpenAi;
using LlmProxy.Http;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Http.Tracing;
using LlmProxy.Metrics;
using LlmProxy.Operations;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Hosting;

/// <summary>
/// Builds the web application from resolved settings: the one place that wires every folder together. The pipeline
/// order is the request flow of docs/architecture.md: request pipeline (id, outcome, errors, log, metrics) → Host
/// allow-list → protected mode → CORS →
/// routing → drain gate → body limit → auth → rate limit → door → routing by model → upstream → relay.
/// </summary>
internal static class ProxyApp
{
    /// <param name="settings">The resolved settings.</param>
    /// <param name="configureBuilder">Tests use it to swap in the test server or extra services.</param>
    /// <param name="configureEndpoints">Tests use it to add endpoints (e.g. one that throws).</param>
    public static WebApplication Build(
        ProxySettings settings,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<WebApplication>? configureEndpoints = null)
    {
        // Args empty and no content root probing: configuration is ours alone (docs/configuration.md), resolved before this point.
        // The application's name is fixed, not the entry assembly's: in-process tests and the OpenAPI generator run
        // under the test host, and untagged routes are tagged with this name in the API description.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "llm-proxy",
            ContentRootPath = AppContext.BaseDirectory,
        });

        FrameworkHostFilter.Remove(builder.Services);

        var startup = new StartupGate();
        ProxyLogging.Configure(builder.Logging, settings, startup);
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

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<HealthState>();
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddHostedService<DrainOnShutdownService>();
        builder.Services.AddProxyAuth(settings);
        builder.Services.AddSingleton<RequestLog>();
        builder.Services.AddSingleton<RecentRequests>();
        builder.Services.AddSingleton<RequestTracing>();
        builder.Services.AddSingleton<JsonBodyGate>();
        builder.Services.AddSingleton<BodyBudget>();
        builder.Services.AddProxyMetrics();
        builder.Services.AddProxyCors(settings);
        builder.Services.AddProxyRateLimiting(settings);
        builder.Services.AddDashboard();
        builder.AddProxyTracing(settings);
        builder.Services.AddUpstreams();
        builder.Services.AddModelRouting();
        builder.Services.AddClassicDoor();
        builder.Services.AddOpenAiDoor();
        builder.Services.AddAnthropicDoor();
        builder.Services.AddOllamaDoor();

        configureBuilder?.Invoke(builder);

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(startup.Open);
        MetricsSetup.CreateFamilies(app.Services);
        // Before the first request: the limit store (with REDIS_URL, its connection) and the keys file's table.
        ProxyRateLimiting.CreateStore(app.Services);
        ProxyAuthSetup.StartKeyReloads(app);
        var health = app.Services.GetRequiredService<HealthState>();
        app.Lifetime.ApplicationStopping.Register(health.MarkDraining);
        app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<ShutdownDrain>().BeginDrain);

        // Outermost: every request gets an id and an outcome, and every one is logged and counted once.
        app.UseMiddleware<RequestPipelineMiddleware>();
        // Who may talk to the proxy at all, before anything else looks at the request (docs/security.md): the Host
        // allow-list (DNS rebinding) and protected mode. Each is installed only when it has something to refuse.
        if (HostGuardMiddleware.IsNeeded(settings))
        {
            app.UseMiddleware<HostGuardMiddleware>();
        }
        if (ProtectedModeMiddleware.IsNeeded(settings))
        {
            app.UseMiddleware<ProtectedModeMiddleware>();
        }
        // Before routing: preflights are answered here (204), never by routing's 405; inside the error handler, whose
        // error bodies then still get the CORS headers (added when the response starts).
        app.UseCors();
        app.UseRouting();
        // After routing, so a drain's 503 is counted under its route; before anything reads a body, so an upload in
        // progress already counts as work to drain.
        app.UseMiddleware<DrainGateMiddleware>();
        app.UseMiddleware<BodyLimitMiddleware>();
        app.UseMiddleware<ProxyAuthMiddleware>();
        app.UseProxyRateLimiting();

        app.MapHealthApi();
        app.MapClassicDoor();
        app.MapMetricsApi();
        app.MapUiApi();
        app.MapDocsApi();
        app.MapOpenAiDoor();
        app.MapAnthropicDoor();
        app.MapOllamaDoor();
        configureEndpoints?.Invoke(app);
        return app;
    }
}

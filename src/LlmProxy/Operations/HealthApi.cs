using System.Text.Json.Serialization;
using LlmProxy.Configuration;
using LlmProxy.Http;

namespace LlmProxy.Operations;

/// <summary>
/// <c>GET /healthz</c> (docs/operations.md, Health): 200 "ok", or 503 "draining" while shutting down; uptime, version
/// and the non-secret settings. Never limited, no auth.
/// </summary>
internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(OperationsRoutes.Health, (HealthState health) =>
        {
            var report = health.Report();
            return Results.Json(report, HealthJsonContext.Default.HealthResponse, statusCode: health.IsDraining ? 503 : 200);
        })
            .WithName("healthz")
            .WithTags("operations")
            .WithSummary("Health, uptime, version and the non-secret settings")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        return routes;
    }
}

/// <summary>What /healthz reports: uptime, version and the non-secret settings; draining on shutdown.</summary>
internal sealed class HealthState(ProxySettings settings, TimeProvider time)
{
    private readonly long _startTimestamp = time.GetTimestamp();
    private volatile bool _draining;

    public bool IsDraining => _draining;

    /// <summary>Seconds since the proxy started, to the millisecond.</summary>
    public double UptimeSeconds => Math.Round(time.GetElapsedTime(_startTimestamp).TotalSeconds, 3);

    /// <summary>Called once when the host starts stopping (SIGTERM/SIGINT): /healthz turns 503 "draining".</summary>
    public void MarkDraining() => _draining = true;

    public HealthResponse Report() => new(
        Status: _draining ? "draining" : "ok",
        UptimeSeconds: UptimeSeconds,
        Version: ProxyVersion.Text,
        RateLimit: new HealthRateLimit(settings.RateLimitEnabled, settings.RateLimitWindowSeconds, settings.RateLimitMaxRequests),
        Logging: new HealthLogging(settings.LogRequests, settings.LogLevel),
        Cors: new HealthCors(settings.CorsAllowOrigins));
}

internal sealed record HealthResponse(
    string Status,
    double UptimeSeconds,
    string Version,
    HealthRateLimit RateLimit,
    HealthLogging Logging,
    HealthCors Cors);

internal sealed record HealthRateLimit(bool Enabled, int WindowSeconds, int MaxRequests);

internal sealed record HealthLogging(bool Enabled, string Level);

internal sealed record HealthCors(IReadOnlyList<string> AllowOrigins);

/// <summary>Source-generated JSON for /healthz (also read back by the <c>healthcheck</c> command).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;

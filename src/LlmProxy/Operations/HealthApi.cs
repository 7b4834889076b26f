using System.Text.Json.Serialization;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Routing;

namespace LlmProxy.Operations;

/// <summary>
/// <c>GET /healthz</c> (docs/operations.md, Health): 200 "ok" (or "degraded" when an upstream is down), 503
/// "draining" while shutting down; uptime, version, the non-secret settings and the upstreams. Never limited, no auth.
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

/// <summary>
/// What /healthz reports: uptime, version, the non-secret settings and the upstreams; draining on shutdown. The
/// rate-limit section names the limit store (<c>memory</c> or <c>redis</c>) and whether it answers — never its URL. A
/// Redis that cannot be reached does not make the proxy unhealthy: in REDIS_FAILURE_MODE=open it counts locally, in
/// closed mode every replica would be equally affected, and taking them all out of a load balancer helps nobody.
/// </summary>
internal sealed class HealthState(ProxySettings settings, TimeProvider time, UpstreamPool upstreams, IWindowCounterStore store)
{
    private readonly long _startTimestamp = time.GetTimestamp();
    private volatile bool _draining;

    public bool IsDraining => _draining;

    /// <summary>Seconds since the proxy started, to the millisecond.</summary>
    public double UptimeSeconds => Math.Round(time.GetElapsedTime(_startTimestamp).TotalSeconds, 3);

    /// <summary>Called once when the host starts stopping (SIGTERM/SIGINT): /healthz turns 503 "draining".</summary>
    public void MarkDraining() => _draining = true;

    public HealthResponse Report()
    {
        var statuses = upstreams.Statuses();
        // Degraded, not failing: the proxy still serves (other upstreams, the stub, its own routes), so an orchestrator
        // must not restart it because a model server behind it is off.
        var status = _draining ? "draining" : statuses.Any(u => u.State == "down") ? "degraded" : "ok";
        return new(
            Status: status,
            UptimeSeconds: UptimeSeconds,
            Version: ProxyVersion.Text,
            RateLimit: new HealthRateLimit(settings.RateLimitEnabled, settings.RateLimitWindowSeconds, settings.RateLimitMaxRequests,
                settings.RateLimitMaxTokens, store is RedisWindowStore ? "redis" : "memory", store is not RedisWindowStore redis || redis.IsUp,
                settings.RedisFailureMode.Name()),
            Logging: new HealthLogging(settings.LogRequests, settings.LogLevel),
            Cors: new HealthCors(settings.CorsAllowOrigins),
            Upstreams: [.. statuses.Select(u => new HealthUpstream(u.Name, u.Url, u.State, u.Models, u.InFlight, u.Queued))]);
    }
}

internal sealed record HealthResponse(
    string Status,
    double UptimeSeconds,
    string Version,
    HealthRateLimit RateLimit,
    HealthLogging Logging,
    HealthCors Cors,
    IReadOnlyList<HealthUpstream>? Upstreams = null);

/// <summary>One upstream: its URL without user info, <c>up</c>/<c>down</c>/<c>unknown</c>, its model count (null while unknown), its load.</summary>
internal sealed record HealthUpstream(string Name, string Url, string State, int? Models, int InFlight, int Queued);

/// <param name="Store"><c>memory</c> (this process) or <c>redis</c> (shared with every replica: REDIS_URL).</param>
/// <param name="StoreUp">Whether the store answered its last call (always true in memory).</param>
/// <param name="FailureMode">REDIS_FAILURE_MODE: what happens while Redis cannot be reached.</param>
internal sealed record HealthRateLimit(bool Enabled, int WindowSeconds, int MaxRequests, long MaxTokens, string Store, bool StoreUp, string FailureMode);

internal sealed record HealthLogging(bool Enabled, string Level);

internal sealed record HealthCors(IReadOnlyList<string> AllowOrigins);

/// <summary>Source-generated JSON for /healthz (also read back by the <c>healthcheck</c> command).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;

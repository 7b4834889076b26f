using LlmProxy.Json;

namespace LlmProxy.Operations;

/// <summary><c>GET /healthz</c>: 200 "ok", or 503 "draining" while shutting down (CONTRACT §2.1). Never limited, no auth.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", (HealthState health) =>
        {
            var report = health.Report();
            return Results.Json(report, ProxyJsonContext.Default.HealthResponse, statusCode: health.IsDraining ? 503 : 200);
        })
            .WithName("healthz")
            .WithTags("operations")
            .WithSummary("Health, uptime, version and the non-secret settings")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        return routes;
    }
}

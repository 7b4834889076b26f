using LlmProxy.Http;
using LlmProxy.Metrics;

namespace LlmProxy.Operations;

/// <summary>
/// <c>GET /metrics</c>: the Prometheus text exposition 0.0.4 (docs/operations.md, Metrics). No auth, never rate limited: a
/// scraper must reach it whatever the clients do. The text goes straight into the response's pipe as UTF-8.
/// </summary>
internal static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(OperationsRoutes.Metrics, WriteAsync)
            .DisableRateLimiting()
            .WithName("metrics")
            .WithTags("operations")
            .WithSummary("Prometheus metrics (text exposition format 0.0.4)");
        return routes;
    }

    private static async Task WriteAsync(HttpContext context, MetricsRegistry registry)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = PrometheusText.ContentType;
        context.Response.Headers.CacheControl = "no-store";
        registry.WriteTo(context.Response.BodyWriter);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}

using System.Text.Json;
using LlmProxy.Http;
using LlmProxy.Operations.Ui;

namespace LlmProxy.Operations;

/// <summary>
/// The dashboard (docs/observability.md, The /ui page): <c>GET /ui</c>, one HTML page with its CSS and JavaScript
/// inside, embedded in the binary; <c>GET /ui/stats.json</c>, the figures it polls. Like <c>/metrics</c> they need no
/// key and are never rate limited: counts and names, no content, and a page that must keep working while the proxy
/// refuses clients.
/// </summary>
internal static class UiApi
{
    public const string ResourceName = "LlmProxy.dashboard.html";

    /// <summary>
    /// The page's own policy, again as a header: <c>frame-ancestors</c> works only as a header (CSP Level 3, §6.4.2),
    /// and no other site may frame the page to trick a click on it.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddSingleton<DashboardHistory>();
        services.AddHostedService(s => s.GetRequiredService<DashboardHistory>());
        services.AddSingleton<DashboardStats>();
        return services;
    }

    public static IEndpointRouteBuilder MapUiApi(this IEndpointRouteBuilder routes)
    {
        var page = LoadPage();
        routes.MapGet(OperationsRoutes.Dashboard, (HttpContext context) => WritePageAsync(context, page))
            .DisableRateLimiting()
            .WithName("dashboard")
            .WithTags("operations")
            .WithSummary("The live dashboard page (HTML, works offline)");
        routes.MapGet(OperationsRoutes.DashboardStats, WriteStatsAsync)
            .DisableRateLimiting()
            .WithName("dashboardStats")
            .WithTags("operations")
            .WithSummary("The dashboard's figures: totals, 10 minutes of history, upstreams, models, recent requests")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        return routes;
    }

    private static byte[] LoadPage()
    {
        using var stream = typeof(UiApi).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("dashboard.html is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static Task WritePageAsync(HttpContext context, byte[] page)
    {
        var response = context.Response;
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = page.Length;
        var headers = response.Headers;
        // The page is small and changes with the binary: always revalidated, so an upgrade shows at once.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        return response.Body.WriteAsync(page, context.RequestAborted).AsTask();
    }

    private static async Task WriteStatsAsync(HttpContext context, DashboardStats stats)
    {
        var response = context.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        await using (var json = new Utf8JsonWriter(response.BodyWriter))
        {
            stats.Write(json);
        }
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}

namespace LlmProxy.Http;

/// <summary>
/// The routes of the proxy itself, as opposed to API traffic (docs/observability.md, /ui/stats.json): health,
/// metrics, the API description and the dashboard. The dashboard's request totals and its recent requests leave them
/// out, so a page refreshing every 2 s or a scraper never counts itself. The routes are mapped by Operations with these
/// same constants.
/// </summary>
internal static class OperationsRoutes
{
    public const string Health = "/healthz";
    public const string Metrics = "/metrics";
    public const string OpenApiDocument = "/openapi.json";
    public const string Dashboard = "/ui";
    public const string DashboardStats = "/ui/stats.json";

    /// <summary>Every operations route template, in the order docs/observability.md lists them.</summary>
    public static readonly IReadOnlyList<string> All = [Health, Metrics, Dashboard, DashboardStats, OpenApiDocument];

    /// <summary>
    /// Whether <paramref name="route"/> (a route template, as in <see cref="RequestOutcome.Route"/> and the <c>path</c>
    /// label) is one of them. Compared by value: five short comparisons, no lookup structure.
    /// </summary>
    public static bool Contains(string? route) =>
        route is Health or Metrics or Dashboard or DashboardStats or OpenApiDocument;
}

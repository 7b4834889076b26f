using System.Text.Json;
using System.Text.Json.Serialization;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Operations.Docs;

namespace LlmProxy.Operations;

/// <summary>
/// API docs (docs/api.md, API description): <c>GET /openapi.json</c>, Swagger UI at <c>/docs/</c> and ReDoc at
/// <c>/redoc/</c>. The description is generated from the routes' metadata (<c>Produces</c>, <c>WithSummary</c>, …) when
/// the repository is built and tested, not when the proxy starts: the committed Operations/Docs/openapi.json is
/// embedded, and a test fails when it no longer matches the routes (docs/contributing.md, API description). No auth,
/// never rate limited, not in the description themselves.
/// </summary>
internal static class DocsApi
{
    public const string DocumentPath = OperationsRoutes.OpenApiDocument;

    private static readonly string[] GetOrHead = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapDocsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods(DocumentPath, GetOrHead, (HttpContext context) => DocsAssets.ServeAsync(context, "openapi.json"))
            .WithName("openapi")
            .ExcludeFromDescription();
        MapPage(routes, "docs");
        MapPage(routes, "redoc");
        return routes;
    }

    /// <summary>
    /// <c>/{page}</c> redirects to <c>/{page}/</c>, which is the page; its files are <c>/{page}/{file}</c>. The redirect is
    /// relative, so it also works behind a reverse proxy that adds a path prefix.
    /// </summary>
    private static void MapPage(IEndpointRouteBuilder routes, string page)
    {
        // One template for all three: routing treats "/docs" and "/docs/" alike, the handler tells them apart.
        routes.MapMethods($"/{page}/{{file?}}", GetOrHead, (HttpContext context, string? file) =>
        {
            if (file is null && !context.Request.Path.Value!.EndsWith('/'))
            {
                context.Response.Redirect(page + "/", permanent: true);
                return Task.CompletedTask;
            }
            return DocsAssets.ServeAsync(context, $"{page}/{file ?? "index.html"}");
        })
            .WithName(page)
            .ExcludeFromDescription();
    }
}

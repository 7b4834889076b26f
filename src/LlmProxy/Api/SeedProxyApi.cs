using LlmProxy.Edge;

namespace LlmProxy.Api;

/// <summary>The seed's chat routes, <c>POST /proxy</c> and <c>POST /proxy/stream</c> (CONTRACT §2.2).</summary>
public static class SeedProxyApi
{
    public static IEndpointRouteBuilder MapSeedProxyApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/proxy", (HttpContext context, SeedChatHandler handler) => handler.HandleAsync(context, stream: false))
            .RequireProxyAuth()
            .WithName("proxy");
        routes.MapPost("/proxy/stream", (HttpContext context, SeedChatHandler handler) => handler.HandleAsync(context, stream: true))
            .RequireProxyAuth()
            .WithName("proxyStream");
        return routes;
    }
}

using LlmProxy.Http.Auth;
using LlmProxy.Http.Errors;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// The OpenAI-compatible surface under /v1 (docs/api.md, OpenAI routes): the client's bytes go upstream as they are
/// and the upstream's answer comes back as it is. Every route needs the proxy's auth and is rate limited; errors under
/// /v1 speak the OpenAI envelope.
/// </summary>
internal static class OpenAiDoor
{
    public static IServiceCollection AddOpenAiDoor(this IServiceCollection services)
    {
        services.AddSingleton<OpenAiChatHandler>();
        services.AddSingleton<OpenAiModelsHandler>();
        services.AddErrorDialect("/v1", OpenAiErrors.Dialect);
        return services;
    }

    public static IEndpointRouteBuilder MapOpenAiDoor(this IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").RequireProxyAuth().RequireProxyRateLimit();
        v1.MapPost("/chat/completions", (HttpContext context, OpenAiChatHandler handler) => handler.HandleAsync(context, UpstreamEndpoint.ChatCompletions))
            .WithName("chatCompletions");
        v1.MapPost("/completions", (HttpContext context, OpenAiChatHandler handler) => handler.HandleAsync(context, UpstreamEndpoint.Completions))
            .WithName("completions");
        v1.MapPost("/embeddings", (HttpContext context, OpenAiChatHandler handler) => handler.HandleAsync(context, UpstreamEndpoint.Embeddings))
            .WithName("embeddings");
        v1.MapGet("/models", (HttpContext context, OpenAiModelsHandler handler) => handler.HandleAsync(context))
            .WithName("models");
        return routes;
    }
}

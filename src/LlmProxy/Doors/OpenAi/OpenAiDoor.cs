using LlmProxy.Http.Auth;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.OpenAi;

/// <summary>The OpenAI-compatible surface under /v1 (CONTRACT §2.3); every route needs the proxy's auth.</summary>
public static class OpenAiApi
{
    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder routes)
    {
        var v1 = routes.MapGroup("/v1").RequireProxyAuth().RequireProxyRateLimit();
        v1.MapPost("/chat/completions", (HttpContext context, OpenAiHandler handler) => handler.HandleAsync(context, OpenAiEndpoint.ChatCompletions))
            .WithName("chatCompletions");
        v1.MapPost("/completions", (HttpContext context, OpenAiHandler handler) => handler.HandleAsync(context, OpenAiEndpoint.Completions))
            .WithName("completions");
        v1.MapPost("/embeddings", (HttpContext context, OpenAiHandler handler) => handler.HandleAsync(context, OpenAiEndpoint.Embeddings))
            .WithName("embeddings");
        v1.MapGet("/models", (HttpContext context, OpenAiModelsHandler handler) => handler.HandleAsync(context))
            .WithName("models");
        return routes;
    }
}

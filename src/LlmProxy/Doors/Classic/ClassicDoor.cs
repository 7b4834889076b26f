using LlmProxy.Http.Auth;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Json;
using LlmProxy.Operations.Docs;

namespace LlmProxy.Doors.Classic;

/// <summary>The seed's chat routes, <c>POST /proxy</c> and <c>POST /proxy/stream</c> (CONTRACT §2.2).</summary>
public static class SeedProxyApi
{
    public static IEndpointRouteBuilder MapSeedProxyApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/proxy", (HttpContext context, SeedChatHandler handler) => handler.HandleAsync(context, stream: false))
            .WithName("proxy")
            .WithSummary("Chat completion (seed dialect)")
            .WithDescription("Answers an OpenAI chat.completion object, normalised whatever the upstream sent.")
            .Produces<ChatCompletion>(StatusCodes.Status200OK)
            .AsSeedChatRoute();
        routes.MapPost("/proxy/stream", (HttpContext context, SeedChatHandler handler) => handler.HandleAsync(context, stream: true))
            .WithName("proxyStream")
            .WithSummary("Streaming chat completion (seed dialect, SSE)")
            .WithDescription("text/event-stream: one `data: <chat.completion.chunk>` event per chunk, then exactly one `data: [DONE]`.")
            .Produces<ChatCompletionChunk>(StatusCodes.Status200OK, "text/event-stream")
            .AsSeedChatRoute();
        return routes;
    }

    /// <summary>What both seed routes share: auth, the rate limit, the request body and the error answers.</summary>
    private static RouteHandlerBuilder AsSeedChatRoute(this RouteHandlerBuilder route) => route
        .RequireProxyAuth()
        .RequireProxyRateLimit()
        .WithTags("seed")
        .WithJsonRequestBody(typeof(SeedChatRequestBody), "The chat: a model name and the messages so far.")
        .Produces<SeedError>(StatusCodes.Status400BadRequest)
        .Produces<SeedError>(StatusCodes.Status413PayloadTooLarge)
        .Produces<SeedError>(StatusCodes.Status415UnsupportedMediaType)
        .Produces<SeedValidationError>(StatusCodes.Status422UnprocessableEntity);
}

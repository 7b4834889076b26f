using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Http.Errors;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Upstreams;

namespace LlmProxy.Doors.Classic;

/// <summary>
/// The classic routes, <c>POST /proxy</c> and <c>POST /proxy/stream</c> (docs/api.md, Classic routes): a validated
/// chat request in, a normalised <c>chat.completion</c> (or its chunks) out. Their error shape is the fallback for
/// every path no other door claims.
/// </summary>
/// <remarks>
/// Every door has this shape (docs/architecture.md, How a door plugs in): <c>Add…</c> registers its handlers and
/// its error dialect's path prefix, <c>Map…</c> its routes; the host calls both. The doors look alike on purpose.
/// </remarks>
internal static class ClassicDoor
{
    public static IServiceCollection AddClassicDoor(this IServiceCollection services)
    {
        services.AddSingleton<ClassicChatHandler>();
        services.AddErrorDialect("/", ClassicErrors.Dialect);
        return services;
    }

    public static IEndpointRouteBuilder MapClassicDoor(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/proxy", (HttpContext context, ClassicChatHandler handler) => handler.HandleAsync(context, stream: false))
            .WithName("proxy")
            .WithSummary("Chat completion (classic route)")
            .WithDescription("Answers an OpenAI chat.completion object, normalised whatever the upstream sent.")
            .Produces<ChatCompletion>(StatusCodes.Status200OK)
            .AsClassicChatRoute();
        routes.MapPost("/proxy/stream", (HttpContext context, ClassicChatHandler handler) => handler.HandleAsync(context, stream: true))
            .WithName("proxyStream")
            .WithSummary("Streaming chat completion (classic route, SSE)")
            .WithDescription("text/event-stream: one `data: <chat.completion.chunk>` event per chunk, then exactly one `data: [DONE]`.")
            .Produces<ChatCompletionChunk>(StatusCodes.Status200OK, "text/event-stream")
            .AsClassicChatRoute();
        return routes;
    }

    /// <summary>What both classic routes share: auth, the rate limit, the request body and the error answers.</summary>
    private static RouteHandlerBuilder AsClassicChatRoute(this RouteHandlerBuilder route) => route
        .RequireProxyAuth()
        .RequireProxyRateLimit()
        .WithTags("classic")
        .WithJsonRequestBody(typeof(ClassicChatRequestBody), "The chat: a model name and the messages so far.")
        .Produces<ClassicError>(StatusCodes.Status400BadRequest)
        .Produces<ClassicError>(StatusCodes.Status413PayloadTooLarge)
        .Produces<ClassicError>(StatusCodes.Status415UnsupportedMediaType)
        .Produces<ClassicValidationError>(StatusCodes.Status422UnprocessableEntity);
}

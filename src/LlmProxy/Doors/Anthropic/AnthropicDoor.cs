using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Http.Errors;
using LlmProxy.Http.RateLimiting;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// Anthropic's Messages API, translated onto the OpenAI-compatible upstreams (docs/anthropic.md):
/// <c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>. Both need the proxy's auth — by
/// <c>Authorization: Bearer</c> or Anthropic's <c>x-api-key</c> — and are rate limited like /v1; every error under
/// <c>/v1/messages</c> speaks Anthropic's shape (the longer prefix wins over /v1's OpenAI envelope). Query strings
/// (Claude Code sends <c>?beta=true</c>) play no part in routing.
/// </summary>
internal static class AnthropicDoor
{
    public const string MessagesRoute = "/v1/messages";

    public static IServiceCollection AddAnthropicDoor(this IServiceCollection services)
    {
        services.AddSingleton<AnthropicMessagesHandler>();
        services.AddSingleton<AnthropicCountTokensHandler>();
        services.AddErrorDialect(MessagesRoute, AnthropicErrorDialect.Instance);
        return services;
    }

    public static IEndpointRouteBuilder MapAnthropicDoor(this IEndpointRouteBuilder routes)
    {
        routes.MapPost(MessagesRoute, (HttpContext context, AnthropicMessagesHandler handler) => handler.HandleAsync(context))
            .WithName("messages")
            .WithSummary("Create a message (Anthropic Messages API, translated)")
            .WithDescription("The request is translated into an OpenAI chat completion for the model's upstream and the answer back into an "
                + "Anthropic message. With `stream: true` the answer is `text/event-stream`: `event: <type>` + `data: <AnthropicStreamEvent>` "
                + "(message_start, content_block_start/delta/stop, message_delta, message_stop; `error` after a failure mid-stream).")
            .WithJsonRequestBody(typeof(AnthropicMessagesRequestBody), "An Anthropic Messages API request.")
            .Produces<AnthropicMessage>(StatusCodes.Status200OK)
            .WithEventStreamResponse(typeof(AnthropicStreamEvent))
            .AsAnthropicRoute()
            .Produces<AnthropicErrorBody>(StatusCodes.Status404NotFound)
            .Produces<AnthropicErrorBody>(StatusCodes.Status502BadGateway)
            .Produces<AnthropicErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .Produces<AnthropicErrorBody>(StatusCodes.Status504GatewayTimeout);
        routes.MapPost(MessagesRoute + "/count_tokens", (HttpContext context, AnthropicCountTokensHandler handler) => handler.HandleAsync(context))
            .WithName("countTokens")
            .WithSummary("Count the input tokens of a message request (estimated)")
            .WithDescription("`{\"input_tokens\": N}`, estimated from what the translation would send (docs/anthropic.md, count_tokens); no upstream call.")
            .WithJsonRequestBody(typeof(AnthropicCountTokensRequestBody), "An Anthropic Messages API request, without max_tokens.")
            .Produces<AnthropicTokenCount>(StatusCodes.Status200OK)
            .AsAnthropicRoute();
        return routes;
    }

    /// <summary>What both routes share: auth (also by x-api-key), the rate limit, the tag and the request errors.</summary>
    private static RouteHandlerBuilder AsAnthropicRoute(this RouteHandlerBuilder route) => route
        .RequireProxyAuth()
        .AcceptApiKeyHeader()
        .RequireProxyRateLimit()
        .WithTags("anthropic")
        .Produces<AnthropicErrorBody>(StatusCodes.Status400BadRequest)
        .Produces<AnthropicErrorBody>(StatusCodes.Status413PayloadTooLarge)
        .Produces<AnthropicErrorBody>(StatusCodes.Status415UnsupportedMediaType);
}

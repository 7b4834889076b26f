using System.Text;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Body;
using LlmProxy.Http.Errors;
using LlmProxy.Http.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LlmProxy.Doors.Ollama;

/// <summary>
/// Ollama's native API under /api (docs/ollama.md), translated onto the same routing and upstreams as /v1: chat and
/// generate (NDJSON streams by default), embed and embeddings, tags, show, ps, version; and Ollama's heartbeat at
/// <c>/</c>. No Authorization is needed unless API keys are configured (Ollama's clients send none); the routes are
/// rate limited like /v1, and every error under /api is Ollama's <c>{"error":"..."}</c>.
/// </summary>
internal static class OllamaDoor
{
    private const string NdjsonAndJson = "Default (`stream` absent or true): `application/x-ndjson`, one object a line as the upstream's events arrive, the last with `done: true`, `done_reason`, the token counts and durations (ns); a failure after the first line is one last `{\"error\":\"...\"}` line. With `stream: false`: one `application/json` object.";

    public static IServiceCollection AddOllamaDoor(this IServiceCollection services)
    {
        services.AddSingleton<OllamaRequestReader>();
        services.AddSingleton<OllamaModelCatalog>();
        services.AddSingleton<OllamaChatHandler>();
        services.AddSingleton<OllamaEmbedHandler>();
        services.AddSingleton<OllamaModelsHandler>();
        services.AddErrorDialect("/api", OllamaErrors.Dialect);
        return services;
    }

    public static IEndpointRouteBuilder MapOllamaDoor(this IEndpointRouteBuilder routes)
    {
        // Ollama's heartbeat: its CLI sends HEAD / before every command, and apps check GET / for this text.
        routes.MapGet("/", Heartbeat)
            .WithName("ollamaHeartbeat")
            .WithTags("ollama")
            .WithSummary("Ollama's heartbeat")
            .WithDescription("`Ollama is running` (text/plain), as Ollama answers; also to HEAD.")
            .Produces(StatusCodes.Status200OK, contentType: "text/plain");
        routes.MapMethods("/", [HttpMethods.Head], Heartbeat).ExcludeFromDescription();

        var api = routes.MapGroup("/api").RequireProxyAuthWhenKeysConfigured().RequireProxyRateLimit().WithTags("ollama");
        api.MapPost("/chat", (HttpContext context, OllamaChatHandler handler) => handler.HandleAsync(context, chat: true))
            .WithName("ollamaChat")
            .WithSummary("Chat (Ollama), translated to /v1/chat/completions")
            .WithDescription(NdjsonAndJson)
            .WithJsonRequestBody(typeof(OllamaChatRequestBody), "Ollama's chat request: model, messages (images, tool calls), tools, format, options, stream.")
            .Produces<OllamaChatResponseBody>(StatusCodes.Status200OK, "application/json", OllamaWire.NdjsonContentType)
            .WithOllamaBodyErrors();
        api.MapPost("/generate", (HttpContext context, OllamaChatHandler handler) => handler.HandleAsync(context, chat: false))
            .WithName("ollamaGenerate")
            .WithSummary("Generate (Ollama), translated to /v1/chat/completions")
            .WithDescription(NdjsonAndJson)
            .WithJsonRequestBody(typeof(OllamaGenerateRequestBody), "Ollama's generate request: model, prompt, system, images, format, options, stream.")
            .Produces<OllamaGenerateResponseBody>(StatusCodes.Status200OK, "application/json", OllamaWire.NdjsonContentType)
            .WithOllamaBodyErrors();
        api.MapPost("/embed", (HttpContext context, OllamaEmbedHandler handler) => handler.HandleAsync(context, legacy: false))
            .WithName("ollamaEmbed")
            .WithSummary("Embeddings (Ollama), translated to /v1/embeddings")
            .WithJsonRequestBody(typeof(OllamaEmbedRequestBody), "model and input (a string or a list of strings).")
            .Produces<OllamaEmbedResponseBody>(StatusCodes.Status200OK)
            .WithOllamaBodyErrors();
        api.MapPost("/embeddings", (HttpContext context, OllamaEmbedHandler handler) => handler.HandleAsync(context, legacy: true))
            .WithName("ollamaEmbeddings")
            .WithSummary("Embedding of one prompt (Ollama's older route), translated to /v1/embeddings")
            .WithJsonRequestBody(typeof(OllamaEmbeddingsRequestBody), "model and prompt.")
            .Produces<OllamaEmbeddingsResponseBody>(StatusCodes.Status200OK)
            .WithOllamaBodyErrors();
        api.MapPost("/show", (HttpContext context, OllamaModelsHandler handler) => handler.ShowAsync(context))
            .WithName("ollamaShow")
            .WithSummary("A model the proxy can route (Ollama)")
            .WithJsonRequestBody(typeof(OllamaShowRequestBody), "The model (or, older, name).")
            .Produces<OllamaShowResponseBody>(StatusCodes.Status200OK)
            .WithOllamaBodyErrors();
        api.MapGet("/tags", (HttpContext context, OllamaModelsHandler handler) => handler.TagsAsync(context))
            .WithName("ollamaTags")
            .WithSummary("The models the proxy can route (Ollama), as /v1/models lists them")
            .Produces<OllamaTagsResponseBody>(StatusCodes.Status200OK);
        api.MapMethods("/tags", [HttpMethods.Head], (HttpContext context, OllamaModelsHandler handler) => handler.TagsAsync(context)).ExcludeFromDescription();
        api.MapGet("/ps", (HttpContext context, OllamaModelsHandler handler) => handler.PsAsync(context))
            .WithName("ollamaPs")
            .WithSummary("The models with requests in flight through the proxy now (Ollama)")
            .Produces<OllamaPsResponseBody>(StatusCodes.Status200OK);
        api.MapGet("/version", Version)
            .WithName("ollamaVersion")
            .WithSummary("The Ollama API version the proxy speaks")
            .Produces<OllamaVersionResponseBody>(StatusCodes.Status200OK);
        api.MapMethods("/version", [HttpMethods.Head], Version).ExcludeFromDescription();
        return routes;
    }

    private static ContentHttpResult Heartbeat() => TypedResults.Text(OllamaModelsHandler.Heartbeat, "text/plain", Encoding.UTF8);

    private static FileContentHttpResult Version() => TypedResults.Bytes(OllamaModelsHandler.VersionBody, OllamaAnswers.JsonContentType);

    /// <summary>The errors of a route that reads a body, all in Ollama's shape.</summary>
    private static RouteHandlerBuilder WithOllamaBodyErrors(this RouteHandlerBuilder route) => route
        .Produces<OllamaErrorBody>(StatusCodes.Status400BadRequest)
        .Produces<OllamaErrorBody>(StatusCodes.Status404NotFound)
        .Produces<OllamaErrorBody>(StatusCodes.Status413PayloadTooLarge)
        .Produces<OllamaErrorBody>(StatusCodes.Status415UnsupportedMediaType)
        .Produces<OllamaErrorBody>(StatusCodes.Status502BadGateway);
}

using LlmProxy.Json;

namespace LlmProxy.Http.Errors;

/// <summary>
/// Documents an error answer of an endpoint in the OpenAPI description, with the body of the route's dialect
/// (CONTRACT §5): the OpenAI envelope under /v1, the seed body elsewhere. Edge conventions (auth, rate limit) call it so
/// every route that can answer 401 or 429 says so without each route file repeating it.
/// </summary>
public static class ErrorResponseMetadata
{
    public static TBuilder WithErrorResponse<TBuilder>(this TBuilder builder, int statusCode) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var pattern = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? "";
            var openAi = pattern.StartsWith("/v1/", StringComparison.Ordinal) || pattern.StartsWith("v1/", StringComparison.Ordinal);
            var type = openAi ? typeof(OpenAiErrorEnvelope) : typeof(SeedError);
            endpoint.Metadata.Add(new ProducesResponseTypeMetadata(statusCode, type, ["application/json"]));
        });
        return builder;
    }
}

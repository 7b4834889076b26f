namespace LlmProxy.Http.Errors;

/// <summary>
/// Documents an error answer of an endpoint in the OpenAPI description, with the body of the route's dialect
/// (<see cref="ErrorDialects"/>). Edge conventions (auth, rate limit) call it so every route that can answer 401 or 429
/// says so without each route file repeating it.
/// </summary>
internal static class ErrorResponseMetadata
{
    public static TBuilder WithErrorResponse<TBuilder>(this TBuilder builder, int statusCode) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var pattern = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? "";
            var dialect = endpoint.ApplicationServices.GetRequiredService<ErrorDialects>()
                .For(pattern.StartsWith('/') ? pattern : "/" + pattern);
            endpoint.Metadata.Add(new ProducesResponseTypeMetadata(statusCode, dialect.BodyType, ["application/json"]));
        });
        return builder;
    }
}

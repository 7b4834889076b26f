namespace LlmProxy.Http.Body;

/// <summary>
/// Endpoint metadata: the JSON request body the OpenAPI description shows for the route. Used instead of
/// <c>Accepts&lt;T&gt;()</c> because that also makes routing refuse other content types with a bodiless 415 before the
/// handler runs — and the handlers accept <c>application/*+json</c> too (RFC 6839) and explain a wrong type themselves.
/// </summary>
internal sealed class DocumentedRequestBody(Type type, string description)
{
    public Type Type { get; } = type;

    public string Description { get; } = description;
}

internal static class DocumentedRequestBodyExtensions
{
    /// <summary>Documents <paramref name="type"/> as the route's <c>application/json</c> request body.</summary>
    public static TBuilder WithJsonRequestBody<TBuilder>(this TBuilder builder, Type type, string description) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new DocumentedRequestBody(type, description));
        return builder;
    }
}

namespace LlmProxy.Http.Body;

/// <summary>
/// Endpoint metadata: besides its JSON answer, the route answers <c>text/event-stream</c> with events shaped like
/// <see cref="EventType"/> when the request asks to stream. The API description shows both under the one 200 answer
/// (two <c>Produces</c> for the same status would replace each other).
/// </summary>
internal sealed class DocumentedStreamResponse(Type eventType)
{
    public Type EventType { get; } = eventType;
}

internal static class DocumentedStreamResponseExtensions
{
    /// <summary>Documents <paramref name="eventType"/> as the schema of the route's <c>text/event-stream</c> 200 answer.</summary>
    public static TBuilder WithEventStreamResponse<TBuilder>(this TBuilder builder, Type eventType) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new DocumentedStreamResponse(eventType));
        return builder;
    }
}

using LlmProxy.Http.Body;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LlmProxy.Tests.Operations.Docs;

/// <summary>Adds the <c>text/event-stream</c> content of <see cref="DocumentedStreamResponse"/> metadata to the operation's 200 answer.</summary>
internal sealed class StreamResponseOperationTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var documented = context.Description.ActionDescriptor.EndpointMetadata.OfType<DocumentedStreamResponse>().LastOrDefault();
        if (documented is null)
        {
            return;
        }
        var schema = await context.GetOrCreateSchemaAsync(documented.EventType, null, cancellationToken);
        operation.Responses ??= [];
        if (!operation.Responses.TryGetValue("200", out var ok) || ok is not OpenApiResponse response)
        {
            response = new OpenApiResponse { Description = "OK" };
            operation.Responses["200"] = response;
        }
        response.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal);
        response.Content["text/event-stream"] = new OpenApiMediaType { Schema = schema };
    }
}

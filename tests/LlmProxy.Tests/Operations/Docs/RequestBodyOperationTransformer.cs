using LlmProxy.Http.Body;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LlmProxy.Tests.Operations.Docs;

/// <summary>Turns <see cref="DocumentedRequestBody"/> metadata into the operation's <c>requestBody</c>.</summary>
internal sealed class RequestBodyOperationTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var documented = context.Description.ActionDescriptor.EndpointMetadata.OfType<DocumentedRequestBody>().LastOrDefault();
        if (documented is null)
        {
            return;
        }
        var schema = await context.GetOrCreateSchemaAsync(documented.Type, null, cancellationToken);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = documented.Description,
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/json"] = new OpenApiMediaType { Schema = schema },
            },
        };
    }
}

using LlmProxy.Http.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LlmProxy.Tests.Operations.Docs;

/// <summary>
/// Marks every operation of an endpoint with <see cref="RequiresProxyAuthMetadata"/> as needing
/// <c>Authorization: Bearer …</c> (so Swagger UI offers an "Authorize" button), and declares that scheme once in the
/// document's components. Routes get it by calling <c>RequireProxyAuth()</c>; nothing else to do per route. Routes that
/// also take the key in <c>x-api-key</c> (<see cref="AcceptsApiKeyHeaderMetadata"/>, the Anthropic routes) get that header
/// as a second, alternative scheme.
/// </summary>
internal sealed class BearerAuthOperationTransformer : IOpenApiOperationTransformer
{
    public const string SchemeName = "bearer";
    public const string ApiKeySchemeName = ProxyAuth.ApiKeyHeader;

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (!context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiresProxyAuthMetadata>().Any() || context.Document is not { } document)
        {
            return Task.CompletedTask;
        }
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes.TryAdd(SchemeName, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "Any non-empty Authorization header by default; with PROXY_API_KEYS set, 'Bearer <one of the keys>'.",
        });
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] });
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<AcceptsApiKeyHeaderMetadata>().Any())
        {
            document.Components.SecuritySchemes.TryAdd(ApiKeySchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ProxyAuth.ApiKeyHeader,
                Description = "Anthropic's key header, on the /v1/messages routes: any non-empty value by default; with PROXY_API_KEYS set, one of the keys.",
            });
            // A second requirement is an alternative: either header will do.
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeySchemeName, document)] = [] });
        }
        return Task.CompletedTask;
    }
}

using LlmProxy.Http.Errors;
using LlmProxy.Json;
namespace LlmProxy.Http.Auth;

/// <summary>Applies <see cref="ProxyAuth"/> to endpoints marked with <see cref="RequiresProxyAuthMetadata"/>.</summary>
public sealed class ProxyAuthMiddleware(RequestDelegate next, ProxyAuth auth)
{
    /// <summary>HttpContext.Items key of the accepted key's digest prefix (the rate-limit partition in key mode).</summary>
    public const string ClientKeyItem = "llmproxy.client-key";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresProxyAuthMetadata>() is null)
        {
            return next(context);
        }
        var problem = auth.Check(context.Request, out var clientKey);
        if (problem is not null)
        {
            if (ErrorDialect.IsOpenAi(context.Request))
            {
                return ErrorWriter.WriteOpenAiAsync(context, 401, new Json.OpenAiError(problem, "authentication_error", null, "invalid_api_key"));
            }
            return ErrorWriter.WriteAsync(context, 401, problem);
        }
        if (clientKey is not null)
        {
            context.Items[ClientKeyItem] = clientKey;
        }
        return next(context);
    }
}

public static class ProxyAuthEndpointExtensions
{
    /// <summary>Marks the endpoints as needing the proxy's Authorization check (and documents their 401).</summary>
    public static TBuilder RequireProxyAuth<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(RequiresProxyAuthMetadata.Instance);
        builder.WithErrorResponse(StatusCodes.Status401Unauthorized);
        return builder;
    }
}

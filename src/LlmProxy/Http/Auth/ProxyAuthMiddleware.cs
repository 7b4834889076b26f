using LlmProxy.Http.Errors;

namespace LlmProxy.Http.Auth;

/// <summary>Applies <see cref="ProxyAuth"/> to endpoints marked with <see cref="RequiresProxyAuthMetadata"/>.</summary>
internal sealed class ProxyAuthMiddleware(RequestDelegate next, ProxyAuth auth, ErrorDialects errors)
{
    /// <summary>HttpContext.Items key of the accepted key's digest prefix (the rate-limit partition in key mode).</summary>
    public const string ClientKeyItem = "llmproxy.client-key";

    public Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<RequiresProxyAuthMetadata>() is not { } required
            || (required.OnlyWithKeys && !auth.KeyMode))
        {
            return next(context);
        }
        var problem = auth.Check(context.Request, metadata.GetMetadata<AcceptsApiKeyHeaderMetadata>() is not null, out var clientKey);
        if (problem is not null)
        {
            // invalid_api_key is the code OpenAI's own API answers with; the classic error shape has no code.
            return errors.WriteAsync(context, new ProxyError(StatusCodes.Status401Unauthorized, problem, Code: "invalid_api_key"));
        }
        if (clientKey is not null)
        {
            context.Items[ClientKeyItem] = clientKey;
        }
        return next(context);
    }
}

internal static class ProxyAuthEndpointExtensions
{
    /// <summary>Marks the endpoints as needing the proxy's Authorization check (and documents their 401).</summary>
    public static TBuilder RequireProxyAuth<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(RequiresProxyAuthMetadata.Instance);
        builder.WithErrorResponse(StatusCodes.Status401Unauthorized);
        return builder;
    }

    /// <summary>The endpoints (behind <see cref="RequireProxyAuth{TBuilder}"/>) also accept the key in <c>x-api-key</c>.</summary>
    public static TBuilder AcceptApiKeyHeader<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(AcceptsApiKeyHeaderMetadata.Instance);
        return builder;
    }

    /// <summary>The same check, but only when API keys are configured; without keys the endpoints are open.</summary>
    public static TBuilder RequireProxyAuthWhenKeysConfigured<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(RequiresProxyAuthMetadata.KeyModeOnly);
        builder.WithErrorResponse(StatusCodes.Status401Unauthorized);
        return builder;
    }
}

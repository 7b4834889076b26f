using LlmProxy.Http.Errors;
using LlmProxy.Http.RateLimiting;

namespace LlmProxy.Http.Auth;

/// <summary>
/// Applies <see cref="ProxyAuth"/> to endpoints marked with <see cref="RequiresProxyAuthMetadata"/> (docs/api.md,
/// Authentication). In key mode an address that sent too many wrong keys gets 429 before its key is even looked at
/// (<see cref="FailedAuthThrottle"/>), so a guess that happens to be right teaches it nothing while it is throttled.
/// An accepted key's entry goes on the request (<see cref="ApiKeyEntry.Of"/>) and its name on the outcome.
/// </summary>
internal sealed class ProxyAuthMiddleware(RequestDelegate next, ProxyAuth auth, FailedAuthThrottle throttle, ErrorDialects errors)
{
    public Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        if (metadata?.GetMetadata<RequiresProxyAuthMetadata>() is not { } required
            || (required.OnlyWithKeys && !auth.KeyMode))
        {
            return next(context);
        }
        var address = context.Connection.RemoteIpAddress;
        if (auth.KeyMode && throttle.Refusal(context, address) is { } refusal)
        {
            return errors.WriteAsync(context, refusal);
        }
        var verdict = auth.Check(context.Request, metadata.GetMetadata<AcceptsApiKeyHeaderMetadata>() is not null);
        if (verdict.Problem is not null)
        {
            if (verdict.WrongCredential)
            {
                throttle.RecordFailure(address);
            }
            // invalid_api_key is the code OpenAI's own API answers with; the classic error shape has no code.
            return errors.WriteAsync(context, new ProxyError(StatusCodes.Status401Unauthorized, verdict.Problem, Code: "invalid_api_key"));
        }
        if (verdict.Key is { } key)
        {
            context.Features.Set(key);
            RequestOutcome.Of(context).KeyName = key.Name;
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

using LlmProxy.Configuration;
using LlmProxy.Http.Errors;
using Microsoft.AspNetCore.Http.Features;

namespace LlmProxy.Http.Body;

/// <summary>
/// MAX_REQUEST_BYTES (docs/api.md, Body limit). A declared Content-Length over the limit is refused with 413 before a
/// byte of the body is read. A chunked body is cut by Kestrel's MaxRequestBodySize (set to the same limit), whose
/// BadHttpRequestException(413) the error handler turns into the 413 body. The body gate also stops reading at the
/// limit (<see cref="JsonBodyGate"/>), which covers servers that do not enforce it (the test host).
/// </summary>
internal sealed class BodyLimitMiddleware(RequestDelegate next, ProxySettings settings, ErrorDialects errors)
{
    private readonly long _limit = settings.EffectiveMaxRequestBytes;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } declared && declared > _limit)
        {
            // Connection: close — the unread body would otherwise have to be drained before the next request.
            context.Response.Headers.Connection = "close";
            return errors.WriteAsync(context, new ProxyError(413, $"Request body of {declared} bytes is larger than the limit of {_limit} bytes"));
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = _limit;
        }
        return next(context);
    }
}

using LlmProxy.Configuration;
using LlmProxy.Http.Errors;
using Microsoft.AspNetCore.Http.Features;

namespace LlmProxy.Http.Body;

/// <summary>
/// MAX_REQUEST_BYTES (CONTRACT §4). A declared Content-Length over the limit is refused with 413 before a byte of the
/// body is read. A chunked body is cut by Kestrel's MaxRequestBodySize (set to the same limit), whose
/// BadHttpRequestException(413) the error middleware turns into the 413 body. Requests readers also stop at the limit
/// (<see cref="RequestBodyReader"/>), which covers servers that do not enforce it (the test host).
/// </summary>
public sealed class BodyLimitMiddleware(RequestDelegate next, ProxySettings settings)
{
    private readonly long _limit = settings.EffectiveMaxRequestBytes;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } declared && declared > _limit)
        {
            // Connection: close — the unread body would otherwise have to be drained before the next request.
            context.Response.Headers.Connection = "close";
            return ErrorWriter.WriteAsync(context, 413, $"Request body of {declared} bytes is larger than the limit of {_limit} bytes");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = _limit;
        }
        return next(context);
    }
}

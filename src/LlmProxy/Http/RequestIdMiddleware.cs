using Microsoft.Extensions.Primitives;

namespace LlmProxy.Http;

/// <summary>
/// First in the pipeline: picks the request id and stores it in <see cref="HttpContext.TraceIdentifier"/> (no extra
/// allocation, and the framework's own logs pick it up). The header is added when the response starts, so it survives
/// error handlers that clear the response (CONTRACT §4: every response has one, 404/405/413/500 included).
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    private static readonly Func<object, Task> AddHeader = static state =>
    {
        var context = (HttpContext)state;
        context.Response.Headers[RequestIds.HeaderName] = context.TraceIdentifier;
        return Task.CompletedTask;
    };

    public Task InvokeAsync(HttpContext context)
    {
        StringValues inbound = context.Request.Headers[RequestIds.HeaderName];
        context.TraceIdentifier = inbound.Count == 1 && RequestIds.IsAcceptable(inbound[0]) ? inbound[0]! : RequestIds.New();
        context.Response.OnStarting(AddHeader, context);
        return next(context);
    }
}

using LlmProxy.Http.Errors;

namespace LlmProxy.Http;

/// <summary>
/// Counts every request except /healthz and /metrics as in-flight work (<see cref="ShutdownDrain"/>), and refuses new
/// work once shutdown began: 503 in the route's dialect with <c>Connection: close</c>, so a client on a kept-alive
/// connection reconnects (to another instance) instead of reusing a socket that is about to close (RFC 9112 §9.6).
/// </summary>
/// <remarks>
/// Before any middleware that reads the body: a request whose body is still uploading already counts, so the drain
/// waits for it. /healthz and /metrics stay answerable while draining (the probe must see "draining"; a scrape may see
/// the drain).
/// </remarks>
internal sealed class DrainGateMiddleware(RequestDelegate next, ShutdownDrain drain, ErrorDialects errors)
{
    public const string Detail = "The server is shutting down and takes no new requests; retry on another instance";

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.Equals("/healthz", StringComparison.Ordinal) || path.Equals("/metrics", StringComparison.Ordinal))
        {
            return next(context);
        }
        if (!drain.TryEnter())
        {
            context.Response.Headers.Connection = "close";
            return errors.WriteAsync(context, new ProxyError(StatusCodes.Status503ServiceUnavailable, Detail));
        }
        return RunAsync(context);
    }

    private async Task RunAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        finally
        {
            drain.Exit();
        }
    }
}

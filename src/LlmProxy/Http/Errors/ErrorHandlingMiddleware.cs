namespace LlmProxy.Http.Errors;

/// <summary>
/// Second in the pipeline. Turns an unhandled exception into 500 <c>{"error":"Internal Server Error","request_id":...}</c>
/// (no stack trace, CONTRACT §5), Kestrel's <see cref="BadHttpRequestException"/> (body too large, bad framing) into its
/// own status, and gives bodiless error statuses (routing's 404 and 405) a body in the route's dialect.
/// </summary>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // Kestrel's own verdicts on the request (body over MaxRequestBodySize → 413, truncated body → 400).
            ResetResponse(context);
            await ErrorWriter.WriteAsync(context, e.StatusCode, BadRequestDetail(e.StatusCode));
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody is left to answer.
            return;
        }
        catch (Exception e)
        {
            LogUnhandled(logger, e, context.TraceIdentifier);
            if (context.Response.HasStarted)
            {
                // Headers are gone: the only honest signal left is to cut the connection.
                context.Abort();
                return;
            }
            ResetResponse(context);
            await ErrorWriter.WriteAsync(context, StatusCodes.Status500InternalServerError, null);
            return;
        }

        if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null && context.Response.ContentType is null)
        {
            await ErrorWriter.WriteAsync(context, context.Response.StatusCode, DefaultDetail(context));
        }
    }

    private static void ResetResponse(HttpContext context)
    {
        context.Response.Clear();
    }

    private static string? BadRequestDetail(int status) => status switch
    {
        413 => "Request body is larger than the configured limit",
        _ => "The request could not be read",
    };

    private static string? DefaultDetail(HttpContext context) => context.Response.StatusCode switch
    {
        404 => $"No route for {context.Request.Method} {context.Request.Path}",
        405 => $"Method {context.Request.Method} is not allowed on {context.Request.Path}",
        _ => null,
    };

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Unhandled exception for request {RequestId}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string requestId);
}

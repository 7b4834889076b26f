namespace LlmProxy.Http.Errors;

/// <summary>
/// The error answers nobody else wrote (docs/api.md, Errors): an unhandled exception becomes a 500 in the route's
/// dialect with the request id and no stack trace; Kestrel's <see cref="BadHttpRequestException"/> (body over the
/// limit, bad framing) its own status; and bodiless error statuses (routing's 404 and 405) get a body.
/// </summary>
internal sealed partial class ErrorHandler(ErrorDialects dialects, ILogger<ErrorHandler> logger)
{
    public Task HandleAsync(HttpContext context, Exception exception)
    {
        if (exception is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a cancelled or failed read or write): nobody is left to answer.
            return Task.CompletedTask;
        }
        if (exception is BadHttpRequestException bad && !context.Response.HasStarted)
        {
            // Kestrel's own verdicts on the request (body over MaxRequestBodySize → 413, truncated body → 400).
            context.Response.Clear();
            return dialects.WriteAsync(context, new ProxyError(bad.StatusCode, bad.StatusCode == 413
                ? "Request body is larger than the configured limit"
                : "The request could not be read"));
        }
        LogUnhandled(logger, exception, context.TraceIdentifier);
        if (context.Response.HasStarted)
        {
            // Headers are gone: the only honest signal left is to cut the connection.
            RequestOutcome.Of(context).CutConnection(context);
            return Task.CompletedTask;
        }
        context.Response.Clear();
        return dialects.WriteAsync(context, new ProxyError(StatusCodes.Status500InternalServerError, null));
    }

    /// <summary>A 4xx/5xx set without a body (routing's 404 and 405) gets one in the route's dialect.</summary>
    public Task GiveBodyAsync(HttpContext context)
    {
        var response = context.Response;
        if (response.StatusCode < 400 || response.HasStarted || response.ContentLength is not null || response.ContentType is not null)
        {
            return Task.CompletedTask;
        }
        var detail = response.StatusCode switch
        {
            404 => $"No route for {context.Request.Method} {context.Request.Path}",
            405 => $"Method {context.Request.Method} is not allowed on {context.Request.Path}",
            _ => null,
        };
        return dialects.WriteAsync(context, new ProxyError(response.StatusCode, detail));
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Unhandled exception for request {RequestId}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string requestId);
}

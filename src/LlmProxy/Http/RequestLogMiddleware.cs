using System.Diagnostics;

namespace LlmProxy.Http;

/// <summary>
/// LOG_REQUESTS (CONTRACT §7): one line per request once it is done (after the error handler has set the final status,
/// after the last SSE event of a stream). Registered only when request logging is on, so it costs nothing otherwise.
/// </summary>
public sealed class RequestLogMiddleware(RequestDelegate next, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(RequestLog.Category);

    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var facts = RequestFacts.Find(context);
                var durationMs = Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3);
                // 499 (nginx's "client closed request"): the client left before any answer was sent.
                var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
                var path = context.Request.Path.Value ?? "/";
                var client = context.Connection.RemoteIpAddress?.ToString();
                RequestLog.Request(_logger, context.TraceIdentifier, context.Request.Method, path, status, durationMs, facts?.Model, facts?.Provider, client);
            }
        }
    }
}

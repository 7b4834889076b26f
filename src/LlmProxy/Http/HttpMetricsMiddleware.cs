using System.Diagnostics;
using LlmProxy.Metrics;

namespace LlmProxy.Http;

/// <summary>
/// Right after routing (so the matched endpoint, hence the route template, is known): counts the request in
/// <c>http_requests_in_flight</c> while it runs, then records <c>http_requests_total</c> and
/// <c>http_request_duration_seconds</c>, and — when the handler filled <see cref="RequestFacts"/> — the request in
/// <c>llm_requests_total</c>/<c>llm_request_duration_seconds</c> by provider and model. An exception escaping the
/// endpoint is recorded with the status the error handler (outside this middleware) will answer.
/// </summary>
public sealed class HttpMetricsMiddleware(RequestDelegate next, HttpMetrics http, LlmMetrics llm)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        http.InFlight.Inc();
        var status = 0;
        try
        {
            await next(context);
            // A handler that stops quietly when the client leaves (a stream whose reader hung up) still did not
            // deliver its answer: record it as 499, not as the 200 whose headers went out first.
            status = context.RequestAborted.IsCancellationRequested ? StatusCodeLabels.ClientClosedRequest : context.Response.StatusCode;
        }
        catch (Exception e)
        {
            status = StatusAfter(e, context);
            throw;
        }
        finally
        {
            http.InFlight.Dec();
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            http.Observe(HttpMethodLabels.For(context.Request.Method), HttpMetrics.PathLabel(context), status, seconds);
            if (RequestFacts.Find(context) is { Provider: { } provider } facts)
            {
                llm.For(provider, facts.Model).RequestCompleted(status, seconds);
            }
        }
    }

    /// <summary>The status the client ends up with, mirroring <see cref="ErrorHandlingMiddleware"/>.</summary>
    private static int StatusAfter(Exception exception, HttpContext context)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return StatusCodeLabels.ClientClosedRequest;
        }
        if (context.Response.HasStarted)
        {
            // The status line is already on the wire; the error handler can only cut the connection.
            return context.Response.StatusCode;
        }
        return exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
    }
}

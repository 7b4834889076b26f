using LlmProxy.Http.Errors;
using LlmProxy.Http.Tracing;
using LlmProxy.Metrics;

namespace LlmProxy.Http;

/// <summary>
/// The outermost middleware: everything that happens once per request around the rest of the pipeline, in one
/// place so it costs one frame and reads one record. It assigns the request id, creates the
/// <see cref="RequestOutcome"/>, turns unhandled exceptions and bodiless error statuses into error bodies
/// (<see cref="ErrorHandler"/>), and once the request is over has the outcome decide the final status, which the
/// request log, <c>http_requests_total</c>, <c>llm_requests_total</c>, the /ui page's recent requests and the
/// request's span then all record (docs/architecture.md, Request outcome).
/// </summary>
internal sealed class RequestPipelineMiddleware(
    RequestDelegate next, ErrorHandler errors, RequestLog log, HttpMetrics http, LlmMetrics llm, RecentRequests recent, RequestTracing tracing)
{
    public async Task InvokeAsync(HttpContext context)
    {
        RequestIds.Assign(context);
        var outcome = RequestOutcome.Of(context);
        http.InFlight.Inc();
        try
        {
            await next(context);
            await errors.GiveBodyAsync(context);
        }
        catch (Exception e)
        {
            await errors.HandleAsync(context, e);
        }
        finally
        {
            http.InFlight.Dec();
            outcome.Complete(context);
            Record(context, outcome);
        }
    }

    private void Record(HttpContext context, RequestOutcome outcome)
    {
        var seconds = outcome.Duration.TotalSeconds;
        http.Observe(HttpMethodLabels.For(context.Request.Method), outcome.Route ?? HttpMetrics.UnmatchedPath, outcome.Status, seconds);
        if (outcome.Provider is { } provider)
        {
            var model = llm.For(provider, outcome.Model);
            model.RequestCompleted(outcome.Status, seconds);
            model.Tokens(outcome.PromptTokens ?? 0, outcome.CompletionTokens ?? 0);
        }
        if (outcome.KeyName is { } key)
        {
            llm.KeyRequestCompleted(key, outcome.Status, outcome.TotalTokens);
        }
        log.Write(context, outcome);
        // The dashboard lists API traffic only: its own refreshes and scrapes are not news (docs/observability.md).
        if (!OperationsRoutes.Contains(outcome.Route))
        {
            recent.Add(context, outcome);
        }
        tracing.Record(context, outcome);
    }
}

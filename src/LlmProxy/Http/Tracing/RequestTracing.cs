using System.Diagnostics;
using LlmProxy.Configuration;
using LlmProxy.Metrics;
using Microsoft.AspNetCore.Http.Features;

namespace LlmProxy.Http.Tracing;

/// <summary>
/// The request's SERVER span (docs/observability.md, Traces) is ASP.NET Core's own request activity, which already
/// continues a W3C <c>traceparent</c> sent by the client. Once the request is over the pipeline hands it the request's
/// outcome: the span is named <c>{method} {route}</c> and tagged with the final status (499 when the client left),
/// the route template, the request id and the GenAI attributes. The operations routes (health checks, scrapes, the
/// dashboard's refreshes) are not exported: a probe every few seconds would bury the traces of real traffic. With
/// tracing off (the default) this is one branch on a field.
/// </summary>
internal sealed class RequestTracing(ProxySettings settings)
{
    private readonly bool _enabled = settings.Tracing is not null;

    public void Record(HttpContext context, RequestOutcome outcome)
    {
        if (!_enabled || context.Features.Get<IHttpActivityFeature>()?.Activity is not { IsAllDataRequested: true } span)
        {
            return;
        }
        if (OperationsRoutes.Contains(outcome.Route))
        {
            // Unset "recorded": the SDK's export processor skips it (its children, if any, stay in the trace's context).
            span.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            span.IsAllDataRequested = false;
            return;
        }
        var method = HttpMethodLabels.For(context.Request.Method);
        // HTTP semantic conventions: "{method} {route}", or the method alone when no route matched (never the raw path).
        span.DisplayName = outcome.Route is { } route ? method + " " + route : method;
        span.SetTag(TraceAttributes.HttpRequestMethod, method);
        if (outcome.Route is not null)
        {
            span.SetTag(TraceAttributes.HttpRoute, outcome.Route);
        }
        span.SetTag(TraceAttributes.HttpResponseStatusCode, outcome.Status);
        span.SetTag(TraceAttributes.RequestId, context.TraceIdentifier);
        if (outcome.Operation is { } operation)
        {
            span.SetTag(TraceAttributes.GenAiOperationName, operation);
        }
        if (outcome.Model is { } model)
        {
            span.SetTag(TraceAttributes.GenAiRequestModel, TraceAttributes.CapModel(model));
        }
        if (outcome.Provider is { } upstream)
        {
            span.SetTag(TraceAttributes.Upstream, upstream);
        }
        if (outcome.PromptTokens is { } input)
        {
            span.SetTag(TraceAttributes.GenAiInputTokens, input);
        }
        if (outcome.CompletionTokens is { } output)
        {
            span.SetTag(TraceAttributes.GenAiOutputTokens, output);
        }
        // A server span is an error for 5xx only; a 4xx (and the client's own 499) is the client's doing.
        if (outcome.Status >= 500)
        {
            span.SetTag(TraceAttributes.ErrorType, StatusCodeLabels.For(outcome.Status));
            span.SetStatus(ActivityStatusCode.Error);
        }
    }
}

using System.Diagnostics;
using LlmProxy.Configuration;
using LlmProxy.Http.Tracing;

namespace LlmProxy.Upstreams;

/// <summary>
/// The CLIENT span of one upstream attempt (docs/observability.md, Traces): a child of the request's span, from the
/// send to the end of the relay, named <c>{gen_ai.operation.name} {model}</c> as the GenAI conventions name client
/// spans. Every attempt gets its own, so attempts of one request (retries across upstreams) show as siblings. With
/// tracing off no listener exists and <see cref="Start"/> costs one <see cref="ActivitySource.HasListeners"/> check.
/// </summary>
internal static class UpstreamTracing
{
    /// <summary>The instrumentation scope of the proxy's own spans.</summary>
    public const string SourceName = "llm-proxy";

    /// <summary>
    /// What <c>gen_ai.provider.name</c> says for an OpenAI-compatible server: the GenAI conventions ask for the
    /// protocol the client speaks when the real system behind it is not known (Ollama, vLLM, llama.cpp all speak it).
    /// </summary>
    public const string OpenAiProvider = "openai";

    public static readonly ActivitySource Source = new(SourceName, ProxyVersion.Text);

    /// <summary>
    /// Starts the attempt's span, or returns null when nothing listens or the sampler dropped it. The span is not made
    /// the ambient <see cref="Activity.Current"/>: the door's code after the send stays under the request's span, and
    /// the upstream's <c>traceparent</c> is written from the span itself (<see cref="Propagate"/>).
    /// </summary>
    /// <param name="server">The upstream's base URL (null for the in-memory stub).</param>
    public static Activity? Start(string upstream, UpstreamRequest request, Uri? server)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var operation = request.Endpoint.OperationName();
        var model = TraceAttributes.CapModel(request.Model);
        var ambient = Activity.Current;
        var span = Source.StartActivity(operation + " " + model, ActivityKind.Client);
        Activity.Current = ambient;
        if (span is null)
        {
            return null;
        }
        if (span.IsAllDataRequested)
        {
            span.SetTag(TraceAttributes.GenAiOperationName, operation);
            span.SetTag(TraceAttributes.GenAiRequestModel, model);
            span.SetTag(TraceAttributes.Upstream, upstream);
            if (server is not null)
            {
                span.SetTag(TraceAttributes.GenAiProviderName, OpenAiProvider);
                span.SetTag(TraceAttributes.ServerAddress, server.Host);
                span.SetTag(TraceAttributes.ServerPort, server.Port);
            }
        }
        return span;
    }

    /// <summary>
    /// Sends the attempt span's context upstream as W3C Trace Context (<c>traceparent</c>, <c>tracestate</c>), in place
    /// of whatever the client sent, so a model server that traces joins the same trace under this attempt.
    /// </summary>
    public static void Propagate(Activity span, HttpRequestMessage request)
    {
        request.Headers.Remove(TraceParentHeader);
        request.Headers.Remove(TraceStateHeader);
        if (span.IdFormat == ActivityIdFormat.W3C && span.Id is { } id)
        {
            request.Headers.TryAddWithoutValidation(TraceParentHeader, id);
            if (!string.IsNullOrEmpty(span.TraceStateString))
            {
                request.Headers.TryAddWithoutValidation(TraceStateHeader, span.TraceStateString);
            }
        }
    }

    /// <summary>W3C Trace Context (https://www.w3.org/TR/trace-context/) header names.</summary>
    public const string TraceParentHeader = "traceparent";

    public const string TraceStateHeader = "tracestate";
}

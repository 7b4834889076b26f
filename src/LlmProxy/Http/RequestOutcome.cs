using System.Diagnostics;

namespace LlmProxy.Http;

/// <summary>
/// What became of one request: the one record the request log, the HTTP and LLM metrics (and whatever else reports
/// on requests) read once the request is over, so they can never disagree. Created by
/// <see cref="RequestPipelineMiddleware"/> for every request and stored as a feature; handlers and upstream calls
/// fill in what they learn (model, upstream, attempts, tokens); <see cref="Complete"/> decides the final status.
/// </summary>
internal sealed class RequestOutcome
{
    /// <summary>
    /// The client closed the connection before the answer was complete. nginx's 499 "client closed request" is the
    /// convention operators already read in dashboards; no HTTP response carries it.
    /// </summary>
    public const int ClientClosedRequest = 499;

    private readonly long _started = Stopwatch.GetTimestamp();
    private bool _connectionCutByProxy;

    /// <summary>The model the client asked for, once a door has read it.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// The upstream the request went to, e.g. <c>stub</c>, <c>ollama</c> or a name of UPSTREAMS: the one whose answer (or
    /// failure) the client got, after failover.
    /// </summary>
    public string? Provider { get; set; }

    /// <summary>
    /// What the request asks of a model, as the OpenTelemetry GenAI conventions name it (<c>chat</c>,
    /// <c>text_completion</c>, <c>embeddings</c>); null until an upstream call starts.
    /// </summary>
    public string? Operation { get; set; }

    /// <summary>Whether the answer was asked for as a stream (SSE).</summary>
    public bool Stream { get; set; }

    /// <summary>How many times the request was sent to an upstream (retries and failover included).</summary>
    public int Attempts { get; set; }

    /// <summary>Token usage as the upstream reported it (or the stub counted it); null when unknown.</summary>
    public int? PromptTokens { get; set; }

    public int? CompletionTokens { get; set; }

    /// <summary>Prompt plus completion tokens (0 when the upstream reported none).</summary>
    public long TotalTokens => (long)(PromptTokens ?? 0) + (CompletionTokens ?? 0);

    /// <summary>
    /// The name of the API key the request was admitted with (its <c>name=</c>, or <c>key-</c> and a digest prefix);
    /// null without key mode. Logs and metrics show this, never the key.
    /// </summary>
    public string? KeyName { get; set; }

    /// <summary>
    /// A token limit applies to this request, so its usage will be debited when it ends: a door whose client did not ask
    /// for the usage of a stream asks the upstream for it (and hides it from that client), docs/replicas.md, "Token limits".
    /// </summary>
    public bool NeedsUsage { get; set; }

    /// <summary>The final status (after <see cref="Complete"/>): the one the client got, or 499 when it left first.</summary>
    public int Status { get; private set; }

    /// <summary>Whether any of the answer (its status line at least) went out before the request ended.</summary>
    public bool AnswerStarted { get; private set; }

    /// <summary>The matched route template (e.g. <c>/v1/chat/completions</c>), or null when no route matched.</summary>
    public string? Route { get; private set; }

    /// <summary>From the request reaching the proxy to the end of its answer (a whole stream included).</summary>
    public TimeSpan Duration { get; private set; }

    /// <summary>When the request ended, as a <see cref="Stopwatch"/> timestamp (0 before <see cref="Complete"/>).</summary>
    public long EndedTimestamp { get; private set; }

    /// <summary>The request's outcome (created here if the pipeline did not, so a handler never has to check).</summary>
    public static RequestOutcome Of(HttpContext context)
    {
        if (context.Features.Get<RequestOutcome>() is { } outcome)
        {
            return outcome;
        }
        outcome = new RequestOutcome();
        context.Features.Set(outcome);
        return outcome;
    }

    /// <summary>
    /// Cuts the client's connection because the answer cannot be finished (an upstream failed after the status line
    /// went out): the only honest signal left for a client that is not reading events. Not a client leaving: the
    /// status stays the one that was sent.
    /// </summary>
    public void CutConnection(HttpContext context)
    {
        _connectionCutByProxy = true;
        context.Abort();
    }

    /// <summary>
    /// Decides the final status, once, after the pipeline is done (error handler included): 499 when the client went
    /// away before the answer was complete — also in the middle of a stream whose 200 already went out — otherwise the
    /// status on the response.
    /// </summary>
    public void Complete(HttpContext context)
    {
        EndedTimestamp = Stopwatch.GetTimestamp();
        Duration = Stopwatch.GetElapsedTime(_started, EndedTimestamp);
        AnswerStarted = context.Response.HasStarted;
        Route = context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template } ? template : null;
        Status = context.RequestAborted.IsCancellationRequested && !_connectionCutByProxy
            ? ClientClosedRequest
            : context.Response.StatusCode;
    }
}

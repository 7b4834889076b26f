using System.Diagnostics;
using LlmProxy.Http;
using LlmProxy.Http.Tracing;
using LlmProxy.Metrics;

namespace LlmProxy.Upstreams;

/// <summary>
/// One upstream call of one client request, from the first attempt to the last byte relayed: the single place where
/// a call starts (constructor), gets its answer's head (<see cref="Response"/>) or fails (<see cref="Fail"/>), gets
/// its first byte (<see cref="OnFirstByte"/>), sees token usage (<see cref="OnUsage"/>) and ends (<see cref="OnEnd"/>).
/// It owns the call's idle timer and the upstream response; dispose it to release both.
/// </summary>
/// <remarks>
/// Metrics recorded here (docs/operations.md, Metrics): time to first token (streams) and
/// <c>llm_upstream_errors_total</c> by kind. Attempts and token usage go to the request's <see cref="RequestOutcome"/>,
/// from which the request pipeline records requests, duration and tokens once per client request. With tracing on,
/// the call is also the attempt's span (<see cref="UpstreamTracing"/>): the same events become its attributes, its
/// first-token event and its end.
/// </remarks>
internal sealed partial class UpstreamCall : IDisposable
{
    private readonly ILogger _logger;
    private readonly LlmModelMetrics? _metrics;
    private readonly RequestOutcome _outcome;
    private readonly UpstreamHealth? _health;
    private readonly long _started = Stopwatch.GetTimestamp();
    private IUpstreamSlot? _slot;
    private Activity? _span;
    private long _firstByte;
    private bool _ended;
    private bool _disposed;
    private bool _responseModelSeen;

    /// <param name="provider">The upstream's name.</param>
    /// <param name="request">What is sent; its <see cref="UpstreamRequest.HeadersTimeout"/> bounds the wait for the answer's head.</param>
    /// <param name="context">The client's request.</param>
    /// <param name="idleTimeout">UPSTREAM_TIMEOUT_SECONDS: the longest silence.</param>
    /// <param name="metrics">The (upstream, model) series, or null to record nothing.</param>
    /// <param name="logger">For the debug line at the end of the call.</param>
    /// <param name="health">The upstream's health, told how the call went; null for an upstream without one (the stub).</param>
    /// <param name="server">The upstream's base URL, for the span's <c>server.address</c> (null for the in-memory stub).</param>
    public UpstreamCall(string provider, UpstreamRequest request, HttpContext context, TimeSpan idleTimeout, LlmModelMetrics? metrics, ILogger logger,
        UpstreamHealth? health = null, Uri? server = null)
    {
        Provider = provider;
        Model = request.Model;
        Endpoint = request.Endpoint.UpstreamPath();
        Stream = request.Stream;
        Context = context;
        Idle = new IdleTimeout(idleTimeout, request.HeadersTimeout, context.RequestAborted,
            context.RequestServices?.GetService<ShutdownDrain>()?.Ending ?? default);
        _outcome = RequestOutcome.Of(context);
        _outcome.Operation = request.Endpoint.OperationName();
        _outcome.Stream = request.Stream;
        _metrics = metrics;
        _logger = logger;
        // Counted until disposed: what Ollama's /api/ps lists as the models running now (docs/ollama.md, Model routes).
        _metrics?.CallStarted();
        _health = health;
        _span = UpstreamTracing.Start(provider, request, server);
    }

    /// <summary>The attempt's span while it records (null with tracing off, or once the call ended).</summary>
    public Activity? Span => _span;

    /// <summary>Whether the span still wants the model the upstream answered with (<see cref="OnResponseModel"/>).</summary>
    public bool WantsResponseModel => _span is { IsAllDataRequested: true } && !_responseModelSeen;

    public string Provider { get; }
    public string Model { get; }

    /// <summary>The upstream path, e.g. <c>chat/completions</c>.</summary>
    public string Endpoint { get; }

    public bool Stream { get; }

    /// <summary>The client's request this call answers.</summary>
    public HttpContext Context { get; }

    /// <summary>UPSTREAM_TIMEOUT_SECONDS for this call: restarted whenever the upstream sends bytes.</summary>
    public IdleTimeout Idle { get; }

    /// <summary>The upstream's 2xx answer (headers read, body not yet), when it sent one.</summary>
    public HttpResponseMessage? Response { get; private set; }

    /// <summary>Why there is no answer to relay, when there is none.</summary>
    public UpstreamFailure? Failure { get; private set; }

    /// <summary>The upstream's HTTP status once its answer's head arrived; 0 before (or when none came).</summary>
    public int Status { get; private set; }

    /// <summary>Time to first byte of the body (for a stream: time to first token), once known.</summary>
    public TimeSpan? TimeToFirstByte => _firstByte == 0 ? null : Stopwatch.GetElapsedTime(_started, _firstByte);

    public UpstreamOutcome Outcome { get; private set; }

    /// <summary>
    /// Holds <paramref name="slot"/> (a place under the upstream's max concurrency) until the call ends: a streamed
    /// answer keeps it to its last event.
    /// </summary>
    public void Hold(IUpstreamSlot slot) => _slot = slot;

    /// <summary>The upstream answered 2xx: its response is the answer to relay.</summary>
    public void Answered(HttpResponseMessage response)
    {
        Response = response;
        Status = (int)response.StatusCode;
        _health?.Succeeded();
        if (!Stream)
        {
            OnFirstByte();
        }
    }

    /// <summary>The upstream sent an answer's head with this status (an error, about to be read).</summary>
    public void OnStatus(int status) => Status = status;

    /// <summary>The first body bytes arrived from the upstream (first SSE event for a stream).</summary>
    public void OnFirstByte()
    {
        if (_firstByte == 0)
        {
            _firstByte = Stopwatch.GetTimestamp();
            if (Stream)
            {
                var seconds = Stopwatch.GetElapsedTime(_started, _firstByte).TotalSeconds;
                _metrics?.FirstToken(seconds);
                if (_span is { IsAllDataRequested: true } span)
                {
                    span.AddEvent(new ActivityEvent(TraceAttributes.FirstTokenEvent,
                        tags: new ActivityTagsCollection { [TraceAttributes.TimeToFirstToken] = seconds }));
                }
            }
        }
    }

    /// <summary>The upstream's answer names the model that answered (<c>gen_ai.response.model</c>).</summary>
    public void OnResponseModel(string model)
    {
        _responseModelSeen = true;
        _span?.SetTag(TraceAttributes.GenAiResponseModel, TraceAttributes.CapModel(model));
    }

    /// <summary>The upstream reported token usage (a non-streaming body, or the include_usage chunk).</summary>
    public void OnUsage(int promptTokens, int completionTokens)
    {
        _outcome.PromptTokens = promptTokens;
        _outcome.CompletionTokens = completionTokens;
        if (_span is { IsAllDataRequested: true } span)
        {
            span.SetTag(TraceAttributes.GenAiInputTokens, promptTokens);
            span.SetTag(TraceAttributes.GenAiOutputTokens, completionTokens);
        }
    }

    /// <summary>The call failed before an answer could be relayed: records it, ends the call, returns the failure.</summary>
    public UpstreamFailure Fail(UpstreamFailure failure)
    {
        failure = Redact(failure);
        Failure = failure;
        OnEnd(failure.Kind, failure.ModelNotFound);
        return failure;
    }

    /// <summary>
    /// The failure as a client may see it: every secret taken out of what the upstream said (<see cref="UpstreamSecrets"/>).
    /// Every failure a door answers or a stream reports passes here (<see cref="Fail"/>, and the relay's in-stream errors).
    /// </summary>
    public UpstreamFailure Redact(UpstreamFailure failure) =>
        Context.RequestServices?.GetService<UpstreamSecrets>() is { } secrets ? secrets.Redact(failure, Context) : failure;

    /// <summary>The whole answer reached the client: the call ends, and the door has nothing left to answer (null).</summary>
    public UpstreamFailure? Succeed()
    {
        OnEnd(UpstreamOutcome.Success);
        return null;
    }

    /// <summary>The client went away: the call ends, and there is nobody left to answer (null).</summary>
    public UpstreamFailure? ClientLeft()
    {
        OnEnd(UpstreamOutcome.ClientAborted);
        return null;
    }

    /// <summary>The call is over (its whole answer relayed, or failed after it started).</summary>
    public void OnEnd(UpstreamOutcome outcome, bool modelNotFound = false)
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        Outcome = outcome;
        ReleaseSlot();
        if (_health is not null)
        {
            ReportHealth(_health, outcome);
        }
        var kind = ErrorKind(Status, outcome, modelNotFound);
        if (_metrics is not null && kind is { } k)
        {
            _metrics.UpstreamError(k);
        }
        EndSpan(kind);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var elapsedMs = Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
            LogEnd(_logger, Provider, Model, Endpoint, Status, outcome, elapsedMs, TimeToFirstByte?.TotalMilliseconds, _outcome.PromptTokens, _outcome.CompletionTokens);
        }
    }

    /// <summary>
    /// The client has read nothing for <see cref="ClientWrites.StallLimit"/>: its connection is closed (it then counts as
    /// a client that left, 499, everywhere) and the upstream call ends with it. Called from a timer thread.
    /// </summary>
    public void AbortStalledClient()
    {
        LogClientStalled(_logger, Context.TraceIdentifier, ClientWrites.StallLimit.TotalSeconds);
        Context.Abort();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _metrics?.CallEnded();
        ReleaseSlot();
        Response?.Dispose();
        Idle.Dispose();
        // A call a door dropped without ending it still ends its span.
        EndSpan(null);
    }

    /// <summary>Ends the attempt's span once: its upstream status, and on failure status Error with <c>error.type</c>.</summary>
    private void EndSpan(UpstreamErrorKind? kind)
    {
        if (_span is not { } span)
        {
            return;
        }
        _span = null;
        if (span.IsAllDataRequested)
        {
            if (Status > 0)
            {
                span.SetTag(TraceAttributes.HttpResponseStatusCode, Status);
            }
            if (kind is { } failed)
            {
                span.SetTag(TraceAttributes.ErrorType, UpstreamErrorKinds.Label(failed));
                span.SetStatus(ActivityStatusCode.Error);
            }
        }
        var ambient = Activity.Current;
        span.Stop();
        // Stop makes the span's parent current; the caller's own ambient activity is what it was.
        Activity.Current = ambient;
    }

    private void ReleaseSlot() => Interlocked.Exchange(ref _slot, null)?.Release();

    /// <summary>
    /// What the call says about the upstream's health (docs/upstreams.md, Health): no connection, a silence, a broken
    /// stream or a 5xx are failures; an answer of a live server (2xx, a 4xx) is a success; a 429 (busy, alive) and a
    /// client that left say nothing.
    /// </summary>
    private void ReportHealth(UpstreamHealth health, UpstreamOutcome outcome)
    {
        switch (outcome)
        {
            case UpstreamOutcome.Unreachable or UpstreamOutcome.Timeout or UpstreamOutcome.FailedMidStream:
                health.Failed(Failure?.Message ?? outcome.ToString());
                break;
            case UpstreamOutcome.UpstreamError when Status >= 500:
                health.Failed(Failure?.Message ?? $"status {Status}");
                break;
            case UpstreamOutcome.UpstreamError when Status != 429 && Status != 0:
                health.Succeeded();
                break;
        }
    }

    /// <summary>The <c>kind</c> label of a failed call; null when the call did not fail (or the client left).</summary>
    internal static UpstreamErrorKind? ErrorKind(int status, UpstreamOutcome outcome, bool modelNotFound) => outcome switch
    {
        UpstreamOutcome.Unreachable => UpstreamErrorKind.Connect,
        UpstreamOutcome.Timeout => UpstreamErrorKind.Timeout,
        UpstreamOutcome.FailedMidStream => UpstreamErrorKind.StreamInterrupted,
        UpstreamOutcome.UpstreamError when modelNotFound => UpstreamErrorKind.ModelNotFound,
        UpstreamOutcome.UpstreamError when status == 429 => UpstreamErrorKind.RateLimited,
        UpstreamOutcome.UpstreamError when status is >= 400 and < 500 => UpstreamErrorKind.ClientError,
        UpstreamOutcome.UpstreamError when status >= 500 => UpstreamErrorKind.ServerError,
        // A 2xx whose body was not the API's answer (an error object in a 200, a body that is not a completion).
        UpstreamOutcome.UpstreamError => UpstreamErrorKind.InvalidResponse,
        UpstreamOutcome.QueueTimeout => UpstreamErrorKind.QueueTimeout,
        _ => null,
    };

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning,
        Message = "request {RequestId}: the client read nothing for {Seconds} s; its connection is closed (recorded as 499)")]
    private static partial void LogClientStalled(ILogger logger, string requestId, double seconds);

    [LoggerMessage(EventId = 300, Level = LogLevel.Debug,
        Message = "upstream {Provider} {Model} {Endpoint}: status {Status}, {Outcome} after {ElapsedMs} ms (first byte {FirstByteMs} ms, tokens {PromptTokens}+{CompletionTokens})")]
    private static partial void LogEnd(ILogger logger, string provider, string model, string endpoint, int status, UpstreamOutcome outcome,
        double elapsedMs, double? firstByteMs, int? promptTokens, int? completionTokens);
}

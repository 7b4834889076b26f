using System.Diagnostics;
using LlmProxy.Http;
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
/// from which the request pipeline records requests, duration and tokens once per client request.
/// </remarks>
internal sealed partial class UpstreamCall : IDisposable
{
    private readonly ILogger _logger;
    private readonly LlmModelMetrics? _metrics;
    private readonly RequestOutcome _outcome;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _firstByte;
    private bool _ended;
    private bool _disposed;

    public UpstreamCall(string provider, UpstreamRequest request, HttpContext context, TimeSpan idleTimeout, LlmModelMetrics? metrics, ILogger logger)
    {
        Provider = provider;
        Model = request.Model;
        Endpoint = request.Endpoint.UpstreamPath();
        Stream = request.Stream;
        Context = context;
        Idle = new IdleTimeout(idleTimeout, context.RequestAborted, context.RequestServices?.GetService<ShutdownDrain>()?.Ending ?? default);
        _outcome = RequestOutcome.Of(context);
        _metrics = metrics;
        _logger = logger;
        // Counted until disposed: what Ollama's /api/ps lists as the models running now (docs/ollama.md, Model routes).
        _metrics?.CallStarted();
    }

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

    /// <summary>The upstream answered 2xx: its response is the answer to relay.</summary>
    public void Answered(HttpResponseMessage response)
    {
        Response = response;
        Status = (int)response.StatusCode;
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
                _metrics?.FirstToken(Stopwatch.GetElapsedTime(_started, _firstByte).TotalSeconds);
            }
        }
    }

    /// <summary>The upstream reported token usage (a non-streaming body, or the include_usage chunk).</summary>
    public void OnUsage(int promptTokens, int completionTokens)
    {
        _outcome.PromptTokens = promptTokens;
        _outcome.CompletionTokens = completionTokens;
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
        if (_metrics is not null && ErrorKind(Status, outcome, modelNotFound) is { } kind)
        {
            _metrics.UpstreamError(kind);
        }
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
        if (!_disposed)
        {
            _disposed = true;
            _metrics?.CallEnded();
        }
        Response?.Dispose();
        Idle.Dispose();
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

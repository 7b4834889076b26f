using System.Diagnostics;
using LlmProxy.Metrics;

namespace LlmProxy.Upstreams;

/// <summary>
/// One upstream call of one client request, from the first attempt to the last byte relayed. The single place where a
/// call starts (<see cref="UpstreamCall"/> constructor), gets its first byte (<see cref="OnFirstByte"/>), sees token
/// usage (<see cref="OnUsage"/>) and ends with its status (<see cref="OnEnd"/>): metrics and logs hang off these.
/// Metrics recorded here (CONTRACT §7): time to first token (streams), prompt and completion tokens, and
/// <c>llm_upstream_errors_total</c> by kind. Requests and their duration are counted once per client request by the
/// metrics middleware, from <see cref="Edge.RequestFacts"/>, not here.
/// </summary>
public sealed partial class UpstreamCall
{
    private readonly ILogger _logger;
    private readonly LlmModelMetrics? _metrics;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _firstByte;
    private bool _ended;

    public UpstreamCall(string provider, string model, string endpoint, bool stream, ILogger logger, LlmModelMetrics? metrics = null)
    {
        _metrics = metrics;
        Provider = provider;
        Model = model;
        Endpoint = endpoint;
        Stream = stream;
        _logger = logger;
    }

    public string Provider { get; }
    public string Model { get; }

    /// <summary>The upstream path, e.g. <c>chat/completions</c>.</summary>
    public string Endpoint { get; }

    public bool Stream { get; }

    /// <summary>Time to first byte of the body (for a stream: time to first token), once known.</summary>
    public TimeSpan? TimeToFirstByte => _firstByte == 0 ? null : Stopwatch.GetElapsedTime(_started, _firstByte);

    public int? PromptTokens { get; private set; }
    public int? CompletionTokens { get; private set; }
    public int Status { get; private set; }
    public UpstreamOutcome Outcome { get; private set; }

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
        PromptTokens = promptTokens;
        CompletionTokens = completionTokens;
    }

    /// <summary>
    /// The call is over. <paramref name="status"/> is the upstream's HTTP status, 0 when none arrived;
    /// <paramref name="modelNotFound"/> marks an error answer that says the model is unknown (in any server's dialect).
    /// </summary>
    public void OnEnd(int status, UpstreamOutcome outcome, bool modelNotFound = false)
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        Status = status;
        Outcome = outcome;
        if (_metrics is not null)
        {
            if (PromptTokens is not null || CompletionTokens is not null)
            {
                _metrics.Tokens(PromptTokens ?? 0, CompletionTokens ?? 0);
            }
            if (ErrorKind(status, outcome, modelNotFound) is { } kind)
            {
                _metrics.UpstreamError(kind);
            }
        }
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var elapsedMs = Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
            var firstByteMs = TimeToFirstByte?.TotalMilliseconds;
            LogEnd(_logger, Provider, Model, Endpoint, status, outcome, elapsedMs, firstByteMs, PromptTokens, CompletionTokens);
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
        _ => null,
    };

    [LoggerMessage(EventId = 300, Level = LogLevel.Debug,
        Message = "upstream {Provider} {Model} {Endpoint}: status {Status}, {Outcome} after {ElapsedMs} ms (first byte {FirstByteMs} ms, tokens {PromptTokens}+{CompletionTokens})")]
    private static partial void LogEnd(ILogger logger, string provider, string model, string endpoint, int status, UpstreamOutcome outcome,
        double elapsedMs, double? firstByteMs, int? promptTokens, int? completionTokens);
}

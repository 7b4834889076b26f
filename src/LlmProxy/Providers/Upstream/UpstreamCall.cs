using System.Diagnostics;

namespace LlmProxy.Providers.Upstream;

/// <summary>
/// One upstream call of one client request, from the first attempt to the last byte relayed. The single place where a
/// call starts (<see cref="UpstreamCall"/> constructor), gets its first byte (<see cref="OnFirstByte"/>), sees token
/// usage (<see cref="OnUsage"/>) and ends with its status (<see cref="OnEnd"/>): metrics and logs hang off these.
/// </summary>
public sealed partial class UpstreamCall
{
    private readonly ILogger _logger;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _firstByte;
    private bool _ended;

    public UpstreamCall(string provider, string model, string endpoint, bool stream, ILogger logger)
    {
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
        }
    }

    /// <summary>The upstream reported token usage (a non-streaming body, or the include_usage chunk).</summary>
    public void OnUsage(int promptTokens, int completionTokens)
    {
        PromptTokens = promptTokens;
        CompletionTokens = completionTokens;
    }

    /// <summary>The call is over. <paramref name="status"/> is the upstream's HTTP status, 0 when none arrived.</summary>
    public void OnEnd(int status, UpstreamOutcome outcome)
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        Status = status;
        Outcome = outcome;
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var elapsedMs = Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
            var firstByteMs = TimeToFirstByte?.TotalMilliseconds;
            LogEnd(_logger, Provider, Model, Endpoint, status, outcome, elapsedMs, firstByteMs, PromptTokens, CompletionTokens);
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Debug,
        Message = "upstream {Provider} {Model} {Endpoint}: status {Status}, {Outcome} after {ElapsedMs} ms (first byte {FirstByteMs} ms, tokens {PromptTokens}+{CompletionTokens})")]
    private static partial void LogEnd(ILogger logger, string provider, string model, string endpoint, int status, UpstreamOutcome outcome,
        double elapsedMs, double? firstByteMs, int? promptTokens, int? completionTokens);
}

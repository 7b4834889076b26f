namespace LlmProxy.Upstreams;

/// <summary>
/// The upstream's response (headers read, body not yet), or why there is none. Dispose the response to release (or,
/// mid-body, abort) the connection.
/// </summary>
public readonly record struct UpstreamSendResult(HttpResponseMessage? Response, UpstreamOutcome Failure, string? FailureMessage)
{
    public static UpstreamSendResult Failed(UpstreamOutcome outcome, string message) => new(null, outcome, message);
}

using LlmProxy.Http;
using LlmProxy.Http.Errors;

namespace LlmProxy.Upstreams;

/// <summary>
/// Why an upstream call produced no answer to relay, as a value (docs/api.md, Errors: "upstream outcomes"): the kind
/// of failure, the status the client gets, the message (the upstream's own where it sent one) and the OpenAI-style
/// type, param and code. The door writes it in its dialect — over HTTP when nothing was sent yet, as its stream's
/// error event when the stream had started.
/// </summary>
internal sealed record UpstreamFailure(
    UpstreamOutcome Kind,
    int Status,
    string Message,
    string? Type = null,
    string? Param = null,
    string? Code = null,
    string? RetryAfter = null,
    bool ModelNotFound = false)
{
    public const string ModelNotFoundCode = "model_not_found";

    /// <summary>The client left: there is nobody to answer.</summary>
    public static readonly UpstreamFailure ClientGone = new(UpstreamOutcome.ClientAborted, RequestOutcome.ClientClosedRequest, "the client closed the connection");

    /// <summary>Whether the door should answer it (a client that left gets nothing).</summary>
    public bool ShouldAnswer => Kind != UpstreamOutcome.ClientAborted;

    /// <summary>
    /// Whether another attempt may follow (docs/upstreams.md, Failover): nothing reached the client and the upstream
    /// cannot have acted on the request, or said it did not.
    /// </summary>
    public AttemptRetry Retry { get; init; }

    /// <summary>The HTTP error answer for the client (<see cref="Type"/> is for stream error events only).</summary>
    public ProxyError ToError() => new(Status, Message, Code, Param, RetryAfter);

    /// <summary>
    /// Connection refused, reset, DNS: 502 <c>upstream_unreachable</c>. <paramref name="beforeAnyByte"/>: nothing
    /// came back, so even the same upstream may be tried again; otherwise (TLS, not HTTP) only another one.
    /// </summary>
    public static UpstreamFailure Unreachable(string message, bool beforeAnyByte = false) =>
        new(UpstreamOutcome.Unreachable, 502, message, "server_error", Code: "upstream_unreachable")
        {
            Retry = beforeAnyByte ? AttemptRetry.SameOrNext : AttemptRetry.Next,
        };

    /// <summary>Nothing arrived for UPSTREAM_TIMEOUT_SECONDS: 504 <c>upstream_timeout</c>. The model may be at work: no other attempt.</summary>
    public static UpstreamFailure Timeout(string message) => new(UpstreamOutcome.Timeout, 504, message, "server_error", Code: "upstream_timeout");

    /// <summary>The connect timeout passed (nothing answered the SYN): 504 <c>upstream_timeout</c>; another upstream may be tried.</summary>
    public static UpstreamFailure ConnectTimeout(string message) => Timeout(message) with { Retry = AttemptRetry.Next };

    /// <summary>The upstream fell silent in the middle of its answer for longer than the idle timeout: 504.</summary>
    public static UpstreamFailure Silence(IdleTimeout idle) => idle.ShutDown ? ShuttingDown :
        Timeout($"The upstream model server was silent for more than {idle.Interval.TotalSeconds:0.###} s (UPSTREAM_TIMEOUT_SECONDS)");

    /// <summary>The proxy is shutting down and its drain time ran out before the answer was complete: 503.</summary>
    public static readonly UpstreamFailure ShuttingDown = new(UpstreamOutcome.FailedMidStream, 503,
        "The proxy is shutting down: the answer was not complete when the drain time (SHUTDOWN_TIMEOUT_SECONDS) ran out", "server_error",
        Code: "server_shutting_down");

    /// <summary>The connection broke while the answer was coming: 502.</summary>
    public static UpstreamFailure ConnectionLost(string message, string? code = "upstream_connection_lost") =>
        new(UpstreamOutcome.FailedMidStream, 502, message, "server_error", Code: code);

    /// <summary>The upstream answered 2xx with something that is not its API's answer: 502.</summary>
    public static UpstreamFailure InvalidResponse(string message, string? code = null) =>
        new(UpstreamOutcome.UpstreamError, 502, message, "server_error", Code: code);

    /// <summary>
    /// An upstream error answer, mapped: model not found → 404 (<c>model_not_found</c>, whatever the server's wording);
    /// 429 and 503 as they are, with the upstream's <c>Retry-After</c> (RFC 9110 §10.2.3: the client should wait as long
    /// as the upstream asked); other 4xx as they are; 5xx (and anything else a proxy cannot relay) → 502. The
    /// upstream's message, param and code are kept.
    /// </summary>
    public static UpstreamFailure FromError(UpstreamError error, string? retryAfter)
    {
        if (error.IsModelNotFound)
        {
            // Another upstream whose list names the model may still serve it (a list can be out of date).
            return new UpstreamFailure(UpstreamOutcome.UpstreamError, 404, error.Message, error.Type, "model", ModelNotFoundCode, ModelNotFound: true)
            {
                Retry = AttemptRetry.Next,
            };
        }
        var status = error.Status switch
        {
            429 or 503 => error.Status,
            >= 400 and < 500 => error.Status,
            _ => 502,
        };
        return new UpstreamFailure(UpstreamOutcome.UpstreamError, status, error.Message, error.Type, error.Param, error.Code,
            status is 429 or 503 ? retryAfter : null)
        {
            // A busy or broken server (429, 5xx) has not answered the question: another upstream may. Any other 4xx
            // is about the request itself, which no other upstream would like better.
            Retry = error.Status is 429 or >= 500 ? AttemptRetry.Next : AttemptRetry.No,
        };
    }
}

/// <summary>What may follow a failed attempt (docs/upstreams.md, Failover).</summary>
internal enum AttemptRetry
{
    /// <summary>Nothing: the failure is the answer (a 4xx about the request, a silence, the client gone).</summary>
    No,

    /// <summary>Another upstream of the request's candidates may be tried.</summary>
    Next,

    /// <summary>Nothing came back at all (refused, reset, DNS): another upstream, or this one again after a short pause.</summary>
    SameOrNext,
}

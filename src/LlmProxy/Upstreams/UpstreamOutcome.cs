namespace LlmProxy.Upstreams;

/// <summary>How an upstream call ended (the expected failures as values, as YARP's ForwarderError does).</summary>
internal enum UpstreamOutcome
{
    /// <summary>The upstream answered and the whole answer reached the client.</summary>
    Success,

    /// <summary>The upstream answered with an error (a status, or an error body where an answer was due).</summary>
    UpstreamError,

    /// <summary>Connection refused, reset before any byte, DNS failure (502 after retries).</summary>
    Unreachable,

    /// <summary>The upstream was silent longer than UPSTREAM_TIMEOUT_SECONDS, or the connect timeout passed (504).</summary>
    Timeout,

    /// <summary>The answer had started, then the upstream sent an error event or lost the connection.</summary>
    FailedMidStream,

    /// <summary>The client went away; the upstream request was cancelled.</summary>
    ClientAborted,

    /// <summary>The upstream cannot serve this kind of request at all (the stub has no embeddings); nothing was sent.</summary>
    Unsupported,

    /// <summary>The upstream was at its max concurrency and no slot came free within QUEUE_TIMEOUT_SECONDS (503); nothing was sent.</summary>
    QueueTimeout,
}

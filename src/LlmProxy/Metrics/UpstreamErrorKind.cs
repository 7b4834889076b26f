namespace LlmProxy.Metrics;

/// <summary>
/// Why a call to a model server failed: the <c>kind</c> label of <c>llm_upstream_errors_total</c>. An enum, not a
/// string, so the label can only take these values (see <see cref="UpstreamErrorKinds"/> for the label text).
/// </summary>
internal enum UpstreamErrorKind
{
    /// <summary>"connect": connection refused, reset before any byte, DNS failure (a 502, docs/api.md, Errors). Counted per attempt, retries included.</summary>
    Connect,

    /// <summary>"timeout": the upstream stayed silent longer than UPSTREAM_TIMEOUT_SECONDS (504), before or during a stream.</summary>
    Timeout,

    /// <summary>"model_not_found": the upstream does not know the model (its 404 in any server's dialect).</summary>
    ModelNotFound,

    /// <summary>"rate_limited": the upstream answered 429.</summary>
    RateLimited,

    /// <summary>"client_error": any other 4xx from the upstream.</summary>
    ClientError,

    /// <summary>"server_error": a 5xx from the upstream (503 included).</summary>
    ServerError,

    /// <summary>"stream_interrupted": the stream had started and then broke (an error event, or the connection was lost).</summary>
    StreamInterrupted,

    /// <summary>"invalid_response": the upstream answered something that could not be read as its API's response.</summary>
    InvalidResponse,

    /// <summary>"queue_timeout": the upstream was at its max concurrency and no slot came free in time (a 503 of the proxy's own).</summary>
    QueueTimeout,
}

/// <summary>The label text of each <see cref="UpstreamErrorKind"/>.</summary>
internal static class UpstreamErrorKinds
{
    private static readonly string[] Labels =
        ["connect", "timeout", "model_not_found", "rate_limited", "client_error", "server_error", "stream_interrupted", "invalid_response", "queue_timeout"];

    public static int Count => Labels.Length;

    public static string Label(UpstreamErrorKind kind) =>
        (uint)kind < (uint)Labels.Length ? Labels[(int)kind] : throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown upstream error kind");
}

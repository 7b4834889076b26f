namespace LlmProxy.Metrics;

/// <summary>Why the proxy's own limiter refused a request: the <c>reason</c> label of <c>llm_rate_limited_requests_total</c>.</summary>
internal enum RateLimitReason
{
    /// <summary>The client's requests per window are spent.</summary>
    Requests,

    /// <summary>The client's prompt+completion tokens per window are spent.</summary>
    Tokens,

    /// <summary>Too many wrong API keys came from the client's address (docs/security.md, "Failed keys are throttled").</summary>
    FailedAuth,
}

internal static class RateLimitReasons
{
    public const int Count = 3;

    public static string Label(this RateLimitReason reason) => reason switch
    {
        RateLimitReason.Requests => "requests",
        RateLimitReason.Tokens => "tokens",
        RateLimitReason.FailedAuth => "failed_auth",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };
}

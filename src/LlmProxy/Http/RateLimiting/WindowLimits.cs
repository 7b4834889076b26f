namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The limits of one client's fixed window: its length, the requests it admits and the prompt+completion tokens it
/// admits (0 means "no limit" for either count). Passed on every call rather than fixed per store, because a per-key
/// line of the keys file can carry its own <c>rpm</c>/<c>tpm</c> (docs/replicas.md, "Which limit applies").
/// </summary>
internal readonly record struct WindowLimits(TimeSpan Window, long MaxRequests, long MaxTokens)
{
    /// <summary>The window in whole milliseconds, at least 1 (Redis PEXPIRE takes integer milliseconds).</summary>
    public long WindowMilliseconds => Math.Max(1, (long)Math.Ceiling(Window.TotalMilliseconds));

    /// <summary>Whether anything is limited at all (else the request is not checked and gets no headers).</summary>
    public bool LimitsAnything => MaxRequests > 0 || MaxTokens > 0;
}

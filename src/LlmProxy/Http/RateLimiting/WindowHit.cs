namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The answer for one request: the verdict, the window's counts after it (requests including this one when admitted,
/// tokens debited so far), and the time until the window ends (for <c>Retry-After</c> and <c>X-RateLimit-Reset</c>).
/// </summary>
internal readonly record struct WindowHit(WindowVerdict Verdict, long Requests, long Tokens, TimeSpan ResetAfter, CountSource Source)
{
    /// <summary>How long a client is told to wait when the store is unavailable (closed mode): a short, honest guess.</summary>
    public static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(1);

    public static WindowHit Unavailable => new(WindowVerdict.StoreUnavailable, 0, 0, UnavailableRetryAfter, CountSource.None);

    public bool Admitted => Verdict == WindowVerdict.Admitted;

    /// <summary>Requests left in the window for <c>X-RateLimit-Remaining</c> (never negative; <see cref="long.MaxValue"/> without a request limit).</summary>
    public long RemainingRequests(in WindowLimits limits) =>
        limits.MaxRequests <= 0 ? long.MaxValue : Math.Max(0, limits.MaxRequests - Requests);
}

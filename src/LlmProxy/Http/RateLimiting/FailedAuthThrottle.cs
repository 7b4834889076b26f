using System.Globalization;
using System.Net;
using LlmProxy.Http.Errors;
using LlmProxy.Metrics;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// Slows down key guessing (docs/security.md, "Failed keys are throttled"): in key mode, an address (an IPv6 /64)
/// that presented <see cref="MaxFailures"/> wrong keys within <see cref="Window"/> gets 429 for the rest of that
/// window on every route that needs a key — before its key is looked at, so even a right guess is refused and
/// teaches nothing. Counted in <c>llm_rate_limited_requests_total{reason="failed_auth"}</c>.
/// </summary>
/// <remarks>
/// Counted in this process's memory even with REDIS_URL: the throttle does not need to be exact, only to make
/// guessing slow, and keeping it local costs no Redis round trip on every authenticated request. With N replicas an
/// address gets N × <see cref="MaxFailures"/> tries per window. A missing header is not a guess and is not counted.
/// </remarks>
internal sealed class FailedAuthThrottle
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private static readonly WindowLimits Limits = new(Window, 0, 0);
    private readonly InMemoryWindowStore _failures;
    private readonly LlmMetrics _metrics;

    public FailedAuthThrottle(TimeProvider time, LlmMetrics metrics)
    {
        _failures = new InMemoryWindowStore(time);
        _metrics = metrics;
    }

    /// <summary>The 429 for an address that is throttled now (and counts it); null when it may try a key.</summary>
    public ProxyError? Refusal(HttpContext context, IPAddress? address)
    {
        if (!_failures.TryPeek(ClientPartition.ForAddress(address), out var failures, out _, out var resetAfter) || failures < MaxFailures)
        {
            return null;
        }
        _metrics.RateLimited(RateLimitReason.FailedAuth);
        var seconds = RateLimitHeaders.Seconds(resetAfter).ToString(CultureInfo.InvariantCulture);
        return new ProxyError(StatusCodes.Status429TooManyRequests,
            $"Too many wrong API keys from this address ({MaxFailures} per {Window.TotalSeconds:0} s); retry after {seconds} s",
            Code: "rate_limit_exceeded", RetryAfter: seconds);
    }

    /// <summary>One wrong key from <paramref name="address"/>.</summary>
    public void RecordFailure(IPAddress? address) =>
        // A hit with no limits always counts: the window's request count is the number of failures.
        _failures.Hit(ClientPartition.ForAddress(address), Limits);
}

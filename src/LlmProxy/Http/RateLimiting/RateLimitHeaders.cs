using System.Globalization;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The rate-limit response headers (docs/api.md, Rate limits), in the widely used <c>X-RateLimit-*</c> form (GitHub,
/// OpenAI): the limit per window, what is left of it, and the seconds until it resets (a delta, like
/// <c>Retry-After</c>); with a token limit also the tokens per window and the tokens left.
/// </summary>
internal static class RateLimitHeaders
{
    public const string Limit = "X-RateLimit-Limit";
    public const string Remaining = "X-RateLimit-Remaining";
    public const string Reset = "X-RateLimit-Reset";
    public const string LimitTokens = "X-RateLimit-Limit-Tokens";
    public const string RemainingTokens = "X-RateLimit-Remaining-Tokens";

    /// <summary>Every header above: CORS exposes them to browser scripts.</summary>
    public static readonly string[] All = [Limit, Remaining, Reset, LimitTokens, RemainingTokens];

    /// <summary>Whole seconds, rounded up (RFC 9110 §10.2.3 delay-seconds); at least 1, so a client never retries at once.</summary>
    public static long Seconds(TimeSpan span) => Math.Max(1, (long)Math.Ceiling(span.TotalSeconds));

    /// <summary>Sets the headers of a window's counts (after a check: admitted or refused).</summary>
    public static void Write(IHeaderDictionary headers, in WindowLimits limits, in WindowHit hit, string resetSeconds)
    {
        if (limits.MaxRequests > 0)
        {
            headers[Limit] = Text(limits.MaxRequests);
            headers[Remaining] = Text(hit.Verdict == WindowVerdict.RequestLimitReached ? 0 : hit.RemainingRequests(limits));
        }
        if (limits.MaxTokens > 0)
        {
            headers[LimitTokens] = Text(limits.MaxTokens);
            headers[RemainingTokens] = Text(Math.Max(0, limits.MaxTokens - hit.Tokens));
        }
        headers[Reset] = resetSeconds;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

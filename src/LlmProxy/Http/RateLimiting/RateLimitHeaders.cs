using System.Globalization;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The rate-limit response headers (docs/api.md, Rate limit), in the widely used <c>X-RateLimit-*</c> form (GitHub,
/// OpenAI): the limit per window, the requests left in it, and the seconds until it resets (a delta, like
/// <c>Retry-After</c>).
/// </summary>
internal static class RateLimitHeaders
{
    public const string Limit = "X-RateLimit-Limit";
    public const string Remaining = "X-RateLimit-Remaining";
    public const string Reset = "X-RateLimit-Reset";
}

/// <summary>
/// Runs after the framework's rate limiter, so only for admitted requests: adds <c>X-RateLimit-Limit</c>,
/// <c>-Remaining</c> and <c>-Reset</c> to responses of rate-limited routes (the 429 path sets them itself), so a
/// client can slow down before it is refused.
/// </summary>
internal sealed class RateLimitHeadersMiddleware(RequestDelegate next, ClientLimiters limiters)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(ProxyRateLimitPolicy.PartitionItem, out var key) && key is string k && limiters.Find(k) is { } limiter)
        {
            var headers = context.Response.Headers;
            headers[RateLimitHeaders.Limit] = limiter.PermitLimitText;
            headers[RateLimitHeaders.Remaining] = limiter.Remaining.ToString(CultureInfo.InvariantCulture);
            headers[RateLimitHeaders.Reset] = ((long)Math.Ceiling(limiter.UntilReset.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        return next(context);
    }
}

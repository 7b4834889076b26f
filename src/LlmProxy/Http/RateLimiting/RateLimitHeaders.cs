namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The rate-limit response headers (CONTRACT §4), in the widely used <c>X-RateLimit-*</c> form (GitHub, OpenAI):
/// the limit per window, the requests left in it, and the seconds until it resets (a delta, like <c>Retry-After</c>).
/// </summary>
public static class RateLimitHeaders
{
    public const string Limit = "X-RateLimit-Limit";
    public const string Remaining = "X-RateLimit-Remaining";
    public const string Reset = "X-RateLimit-Reset";
}

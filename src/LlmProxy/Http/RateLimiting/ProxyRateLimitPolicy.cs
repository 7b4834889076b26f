using System.Globalization;
using System.Threading.RateLimiting;
using LlmProxy.Configuration;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Errors;
using LlmProxy.Metrics;
using Microsoft.AspNetCore.RateLimiting;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The rate-limit policy (docs/api.md, Rate limit) for the framework's rate limiter middleware: a fixed window per client, the
/// client being the accepted API key in key mode (set by <see cref="ProxyAuthMiddleware"/>, which runs first) and the
/// peer IP address otherwise. Rejections are 429 in the route's dialect with <c>Retry-After</c> and <c>X-RateLimit-*</c>.
/// </summary>
/// <remarks>
/// The client IP is the TCP peer: behind a reverse proxy every client shares the proxy's address. Forwarded headers are
/// not trusted because any client could forge them to dodge the limit.
/// </remarks>
internal sealed class ProxyRateLimitPolicy(ProxySettings settings, ClientLimiters limiters) : IRateLimiterPolicy<string>
{
    public const string Name = "proxy";

    /// <summary>HttpContext.Items key of the request's partition key (read back by the headers middleware).</summary>
    public const string PartitionItem = "llmproxy.rate-limit-partition";

    private readonly TimeSpan _window = TimeSpan.FromSeconds(settings.RateLimitWindowSeconds);
    private readonly int _limit = settings.RateLimitMaxRequests;

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var key = PartitionKey(httpContext);
        httpContext.Items[PartitionItem] = key;
        return RateLimitPartition.Get(key, k => new ClientWindowLimiter(k, _limit, _window, limiters));
    }

    /// <summary>"key:&lt;digest prefix&gt;" in key mode (never the key itself), else "ip:&lt;address&gt;".</summary>
    public static string PartitionKey(HttpContext context)
    {
        if (context.Items.TryGetValue(ProxyAuthMiddleware.ClientKeyItem, out var digest) && digest is string d)
        {
            return "key:" + d;
        }
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "ip:unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; one client, one partition.
            address = address.MapToIPv4();
        }
        return "ip:" + address.ToString();
    }

    private async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        // The policy is built before the container; rejections are the cold path, so resolve services here.
        context.RequestServices.GetRequiredService<LlmMetrics>().RateLimited();
        var key = context.Items.TryGetValue(PartitionItem, out var k) && k is string s ? s : PartitionKey(context);
        var limiter = limiters.Find(key);
        var untilReset = limiter?.UntilReset ?? (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : _window);
        // Whole seconds, rounded up (RFC 9110 §10.2.3 delay-seconds); at least 1 so a client never retries at once.
        var seconds = Math.Max(1, (long)Math.Ceiling(untilReset.TotalSeconds));
        var text = seconds.ToString(CultureInfo.InvariantCulture);
        var headers = context.Response.Headers;
        headers.RetryAfter = text;
        headers[RateLimitHeaders.Limit] = _limit.ToString(CultureInfo.InvariantCulture);
        headers[RateLimitHeaders.Remaining] = "0";
        headers[RateLimitHeaders.Reset] = text;
        await context.RequestServices.GetRequiredService<ErrorDialects>().WriteAsync(context, new ProxyError(
            StatusCodes.Status429TooManyRequests,
            $"Rate limit of {_limit} requests per {settings.RateLimitWindowSeconds} s exceeded; retry after {seconds} s",
            Code: "rate_limit_exceeded"));
    }
}

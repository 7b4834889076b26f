using System.Globalization;
using LlmProxy.Http.Auth;
using LlmProxy.Http.Errors;
using LlmProxy.Metrics;

namespace LlmProxy.Http.RateLimiting;

/// <summary>Endpoint metadata: the route is under the per-client limits (docs/api.md, Rate limits).</summary>
internal sealed class RequiresProxyRateLimitMetadata
{
    public static readonly RequiresProxyRateLimitMetadata Instance = new();
}

/// <summary>
/// The per-client limits of the routes marked with <see cref="RequiresProxyRateLimitMetadata"/> (docs/api.md, Rate
/// limits; docs/replicas.md): one <see cref="IWindowCounterStore.HitAsync"/> per request decides — in this process, or
/// in Redis with REDIS_URL so every replica counts the same window. Runs after auth, so the client is the key's name
/// in key mode.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Admitted: <c>X-RateLimit-*</c> from the counts the check returned (the shared count with Redis).</item>
/// <item>A limit reached: 429 in the route's dialect, <c>Retry-After</c> = the window's remaining time.</item>
/// <item>The store unavailable in REDIS_FAILURE_MODE=closed: 503 with <c>Retry-After: 1</c>.</item>
/// <item>With a token limit, the request's prompt+completion tokens (from its <see cref="RequestOutcome"/>) are debited
/// once its response is complete, so the client never waits for that second store call.</item>
/// </list>
/// This replaces the framework's RateLimiter middleware (docs/replicas.md, "Why not the framework's limiter"): its
/// lease is taken before a request and cannot carry a debit after it, its rejection callback cannot tell a refusal
/// from a store outage, and its per-client limiter objects would duplicate what the window store already keeps.
/// </remarks>
internal sealed partial class RateLimitMiddleware(
    RequestDelegate next, IWindowCounterStore store, ClientLimits limits, ErrorDialects errors, LlmMetrics metrics, ILogger<RateLimitMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresProxyRateLimitMetadata>() is null)
        {
            return next(context);
        }
        var key = ApiKeyEntry.Of(context);
        var clientLimits = limits.For(key);
        return clientLimits.LimitsAnything ? LimitAsync(context, key, clientLimits) : next(context);
    }

    private async Task LimitAsync(HttpContext context, ApiKeyEntry? key, WindowLimits clientLimits)
    {
        var clientId = key?.ClientId ?? ClientPartition.ForAddress(context.Connection.RemoteIpAddress);
        var hit = await store.HitAsync(clientId, clientLimits);
        if (hit.Verdict == WindowVerdict.StoreUnavailable)
        {
            await errors.WriteAsync(context, new ProxyError(StatusCodes.Status503ServiceUnavailable,
                "Rate limits cannot be checked: the shared limit store (Redis) is unreachable and REDIS_FAILURE_MODE=closed; retry shortly",
                Code: "rate_limit_store_unavailable",
                RetryAfter: RateLimitHeaders.Seconds(WindowHit.UnavailableRetryAfter).ToString(CultureInfo.InvariantCulture)));
            return;
        }
        var resetSeconds = RateLimitHeaders.Seconds(hit.ResetAfter).ToString(CultureInfo.InvariantCulture);
        RateLimitHeaders.Write(context.Response.Headers, clientLimits, hit, resetSeconds);
        if (!hit.Admitted)
        {
            await RefuseAsync(context, key, clientLimits, hit, resetSeconds);
            return;
        }
        if (clientLimits.MaxTokens > 0)
        {
            var outcome = RequestOutcome.Of(context);
            outcome.NeedsUsage = true;
            // After the last byte went out: the client does not wait for the debit's store call.
            context.Response.OnCompleted(static state => ((TokenDebit)state).RunAsync(), new TokenDebit(this, clientId, clientLimits, outcome));
        }
        await next(context);
    }

    private Task RefuseAsync(HttpContext context, ApiKeyEntry? key, WindowLimits clientLimits, WindowHit hit, string resetSeconds)
    {
        var tokens = hit.Verdict == WindowVerdict.TokenLimitReached;
        metrics.RateLimited(tokens ? RateLimitReason.Tokens : RateLimitReason.Requests);
        var who = key is null ? "" : $" for API key '{key.Name}'";
        var window = clientLimits.Window.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var detail = tokens
            ? $"Token limit of {clientLimits.MaxTokens} tokens per {window} s{who} reached ({hit.Tokens} used); retry after {resetSeconds} s"
            : $"Rate limit of {clientLimits.MaxRequests} requests per {window} s{who} exceeded; retry after {resetSeconds} s";
        return errors.WriteAsync(context, new ProxyError(StatusCodes.Status429TooManyRequests, detail, Code: "rate_limit_exceeded", RetryAfter: resetSeconds));
    }

    private async Task DebitAsync(string clientId, WindowLimits clientLimits, RequestOutcome outcome)
    {
        var tokens = outcome.TotalTokens;
        if (tokens <= 0)
        {
            if (outcome.Provider is not null && outcome.Status < 400)
            {
                LogNoUsage(logger, outcome.Provider, outcome.Model);
            }
            return;
        }
        await store.DebitTokensAsync(clientId, tokens, clientLimits);
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Debug, Message = "{Provider} reported no token usage for model {Model}: counted as 0 tokens")]
    private static partial void LogNoUsage(ILogger logger, string provider, string? model);

    /// <summary>What the debit after the response needs (one small object, only when a token limit applies).</summary>
    private sealed class TokenDebit(RateLimitMiddleware owner, string clientId, WindowLimits limits, RequestOutcome outcome)
    {
        public Task RunAsync() => owner.DebitAsync(clientId, limits, outcome);
    }
}

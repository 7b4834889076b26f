using LlmProxy.Configuration;
using LlmProxy.Http.Auth;

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// Which limits apply to a request (docs/replicas.md, "Which limit applies"): the global ones —
/// RATE_LIMIT_MAX_REQUESTS when RATE_LIMIT_ENABLED, RATE_LIMIT_MAX_TOKENS when above 0, per RATE_LIMIT_WINDOW_SECONDS —
/// or, for an API key whose line has <c>rpm=</c> or <c>tpm=</c>, the key's own per 60-second window, where a
/// dimension the line leaves out keeps the global number (and 0 lifts it for that key).
/// </summary>
internal sealed class ClientLimits(ProxySettings settings)
{
    /// <summary>The window of a key's <c>rpm</c>/<c>tpm</c>: per minute, as the names say.</summary>
    public static readonly TimeSpan KeyWindow = TimeSpan.FromMinutes(1);

    private readonly WindowLimits _global = new(
        TimeSpan.FromSeconds(settings.RateLimitWindowSeconds),
        settings.RateLimitEnabled ? settings.RateLimitMaxRequests : 0,
        settings.RateLimitMaxTokens);

    public WindowLimits Global => _global;

    public WindowLimits For(ApiKeyEntry? key)
    {
        if (key is null || (key.RequestsPerMinute is null && key.TokensPerMinute is null))
        {
            return _global;
        }
        return new WindowLimits(KeyWindow, key.RequestsPerMinute ?? _global.MaxRequests, key.TokensPerMinute ?? _global.MaxTokens);
    }
}

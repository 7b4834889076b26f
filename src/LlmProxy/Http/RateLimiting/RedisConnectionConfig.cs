using StackExchange.Redis;

namespace LlmProxy.Http.RateLimiting;

/// <summary>The StackExchange.Redis settings behind REDIS_URL, chosen for a limiter on the request path.</summary>
internal static class RedisConnectionConfig
{
    public static ConfigurationOptions Create(RedisStoreOptions options)
    {
        var url = options.Url;
        var callMs = Milliseconds(options.CallTimeout);
        var config = new ConfigurationOptions
        {
            // Start even when Redis is down and keep reconnecting in the background (the client's own loop).
            AbortOnConnectFail = false,
            ConnectTimeout = Milliseconds(options.ConnectTimeout),
            ConnectRetry = 1,
            // A reconnect attempt at most once a second while Redis is away, so counting resumes soon after it is back.
            ReconnectRetryPolicy = new LinearRetry(1000),
            // Never park a limit check in a queue behind a dead connection: fail at once, the store falls back.
            BacklogPolicy = BacklogPolicy.FailFast,
            // The client's own timeouts, as a second line behind the store's hard per-call timeout.
            AsyncTimeout = callMs,
            SyncTimeout = callMs,
            // Exception messages without key names or other request details (they reach a warning line).
            IncludeDetailInExceptions = false,
            ClientName = "llm-proxy",
            DefaultDatabase = url.Database,
            User = url.User,
            Password = url.Password,
            Ssl = url.Tls,
        };
        if (url.Tls)
        {
            config.SslHost = url.Host; // the certificate is checked against the host named in REDIS_URL
        }
        config.EndPoints.Add(url.Host, url.Port);
        return config;
    }

    private static int Milliseconds(TimeSpan span) => (int)Math.Clamp(Math.Ceiling(span.TotalMilliseconds), 1, int.MaxValue);
}

namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// The two Lua scripts of the Redis store. One hash per client and window holds both counters (<c>r</c> requests,
/// <c>t</c> tokens) under one expiry, so a request costs exactly one round trip and the counts cannot drift apart.
/// </summary>
/// <remarks>
/// Scripts run atomically on the Redis server (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/),
/// which is what makes the count exact across replicas: no read-modify-write race between two proxies. The window
/// starts at the first write and ends when the key expires (PEXPIRE), so replicas need no synchronised clocks. Both
/// scripts touch only KEYS[1], so they also run on Redis Cluster. StackExchange.Redis sends them as EVALSHA and
/// reloads them by itself after a Redis restart (NOSCRIPT).
/// </remarks>
internal static class RedisWindowScripts
{
    /// <summary>
    /// KEYS[1] the client's window; ARGV window ms, request limit, token limit (0 = none).
    /// Returns {verdict (0 admitted, 1 request limit, 2 token limit), requests, tokens, ms until the window ends}.
    /// A refused request is not counted.
    /// </summary>
    public const string Hit = """
        local counts = redis.call('HMGET', KEYS[1], 'r', 't')
        local requests = tonumber(counts[1]) or 0
        local tokens = tonumber(counts[2]) or 0
        local maxRequests = tonumber(ARGV[2])
        local maxTokens = tonumber(ARGV[3])
        local verdict = 0
        if maxRequests > 0 and requests >= maxRequests then
          verdict = 1
        elseif maxTokens > 0 and tokens >= maxTokens then
          verdict = 2
        else
          requests = redis.call('HINCRBY', KEYS[1], 'r', 1)
        end
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl == -1 then
          redis.call('PEXPIRE', KEYS[1], ARGV[1])
          ttl = tonumber(ARGV[1])
        elseif ttl == -2 then
          ttl = tonumber(ARGV[1])
        end
        return {verdict, requests, tokens, ttl}
        """;

    /// <summary>
    /// KEYS[1] the client's window; ARGV tokens, window ms. Adds the tokens; usage that arrives after the window ended
    /// (a long stream) opens the next window, where it belongs in time. Returns the window's token total.
    /// </summary>
    public const string DebitTokens = """
        local tokens = redis.call('HINCRBY', KEYS[1], 't', ARGV[1])
        if redis.call('PTTL', KEYS[1]) == -1 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return tokens
        """;
}

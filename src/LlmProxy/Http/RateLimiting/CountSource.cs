namespace LlmProxy.Http.RateLimiting;

/// <summary>Where a window's counts came from (logged and tested: a fallback must be visible, not silent).</summary>
internal enum CountSource
{
    /// <summary>Counted in Redis: the same figure every replica sees.</summary>
    Shared,

    /// <summary>Counted in this process only (no REDIS_URL, or Redis unreachable with REDIS_FAILURE_MODE=open).</summary>
    Local,

    /// <summary>Not counted anywhere (the store was unavailable in closed mode).</summary>
    None,
}

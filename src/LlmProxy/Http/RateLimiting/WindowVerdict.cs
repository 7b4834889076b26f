namespace LlmProxy.Http.RateLimiting;

/// <summary>What the window counter store says about one request.</summary>
internal enum WindowVerdict
{
    /// <summary>Counted and within both limits.</summary>
    Admitted,

    /// <summary>The window's request limit is spent (not counted: a refused request does not use up a slot).</summary>
    RequestLimitReached,

    /// <summary>The tokens counted so far in this window reached the token limit.</summary>
    TokenLimitReached,

    /// <summary>The shared store could not be asked and REDIS_FAILURE_MODE=closed: the edge answers 503.</summary>
    StoreUnavailable,
}

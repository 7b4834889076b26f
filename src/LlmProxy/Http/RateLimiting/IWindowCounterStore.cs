namespace LlmProxy.Http.RateLimiting;

/// <summary>
/// Fixed-window request and token counters per client (docs/replicas.md, "How counting works"). A window starts with the client's first
/// request (or first token debit) and lasts <see cref="WindowLimits.Window"/>; both counters belong to the same window.
/// </summary>
/// <remarks>
/// A request is admitted on the counts so far: requests below the request limit and tokens below the token limit.
/// Its own token usage is only known after it ends, so the caller debits it then with <see cref="DebitTokensAsync"/>;
/// a long answer can therefore take a client past its token limit once, and the next request is refused.
/// Client ids are partition names such as <c>key:alice</c> or <c>ip:10.0.0.7</c>, never a raw API key.
/// Implementations never throw for a store failure: they fall back or answer <see cref="WindowVerdict.StoreUnavailable"/>.
/// </remarks>
internal interface IWindowCounterStore
{
    /// <summary>Counts one request for <paramref name="clientId"/> if both limits allow it.</summary>
    ValueTask<WindowHit> HitAsync(string clientId, WindowLimits limits);

    /// <summary>Adds a finished request's prompt+completion tokens to the client's current window.</summary>
    ValueTask DebitTokensAsync(string clientId, long tokens, WindowLimits limits);
}

namespace LlmProxy.Http.Body;

/// <summary>The body budget had no room for a body within <see cref="BodyBudget.MaxWait"/>: answered 503.</summary>
internal sealed class BodyBudgetExceededException(long capacityBytes)
    : Exception($"request bodies in flight reached MAX_INFLIGHT_BODY_BYTES ({capacityBytes} bytes)")
{
    public long CapacityBytes { get; } = capacityBytes;
}

using System.Collections.Concurrent;
using LlmProxy.Http.RateLimiting;

namespace LlmProxy.Tests.Http.RateLimiting;

/// <summary>Records what the store reports through its metrics hooks.</summary>
internal sealed class RecordingStoreMetrics : IRateLimitStoreMetrics
{
    private readonly ConcurrentQueue<bool> _upChanges = new();
    private readonly ConcurrentQueue<double> _calls = new();
    private int _errors;

    public IReadOnlyList<bool> UpChanges => [.. _upChanges];

    public IReadOnlyList<double> CallSeconds => [.. _calls];

    public int Errors => Volatile.Read(ref _errors);

    public void StoreUp(bool up) => _upChanges.Enqueue(up);

    public void StoreError() => Interlocked.Increment(ref _errors);

    public void StoreCall(double seconds) => _calls.Enqueue(seconds);
}

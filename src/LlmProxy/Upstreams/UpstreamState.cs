namespace LlmProxy.Upstreams;

/// <summary>
/// What the proxy knows of one upstream right now, learned from its own calls (docs/observability.md, The /ui page):
/// how many calls are open, and whether its last call reached it. No probe and no bookkeeping of its own: two
/// <see cref="Interlocked"/> operations per call and a field write when a call learns something.
/// </summary>
internal sealed class UpstreamState
{
    private int _inFlight;
    private int _health = (int)UpstreamHealth.Unknown;

    public UpstreamHealth Health => (UpstreamHealth)Volatile.Read(ref _health);

    /// <summary>Calls sent to the upstream whose answer is not over yet (streams included).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public void CallStarted() => Interlocked.Increment(ref _inFlight);

    public void CallEnded() => Interlocked.Decrement(ref _inFlight);

    /// <summary>The upstream answered over HTTP (any status: a 404 or a 500 is a server that is there).</summary>
    public void Reached() => Volatile.Write(ref _health, (int)UpstreamHealth.Up);

    /// <summary>The upstream could not be reached, or sent nothing within the timeout.</summary>
    public void Unreachable() => Volatile.Write(ref _health, (int)UpstreamHealth.Down);
}

/// <summary>An upstream's state as <c>/healthz</c> and the /ui page name it.</summary>
internal enum UpstreamHealth
{
    /// <summary>Nothing known yet: no call has reached it or failed to.</summary>
    Unknown,
    Up,
    Down,
}

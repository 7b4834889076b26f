namespace LlmProxy.Upstreams;

/// <summary>What the proxy believes about an upstream (docs/upstreams.md, Health).</summary>
internal enum UpstreamState
{
    /// <summary>Not heard from yet: treated as healthy.</summary>
    Unknown,

    Up,

    /// <summary>Failed <see cref="UpstreamHealth.FailuresToDown"/> times in a row, or its probe failed: no traffic while another candidate is up.</summary>
    Down,
}

/// <summary>
/// Passive and active health of one upstream, in the spirit of Envoy's outlier detection with a consecutive-failure
/// rule: every request reports how it went (<see cref="Succeeded"/>, <see cref="Failed"/>); three connection-level
/// failures or 5xx in a row mark it <see cref="UpstreamState.Down"/>. A down upstream is probed (a read of its
/// <c>/models</c>) when its back-off ends — 1 s, doubling on each failed probe up to 30 s — and a success from
/// anywhere brings it back up. Transitions are rare and locked; the per-request success path is two volatile reads.
/// </summary>
internal sealed class UpstreamHealth
{
    public const int FailuresToDown = 3;
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private volatile UpstreamState _state;
    private volatile int _failures;
    private TimeSpan _backoff = FirstBackoff;
    private TaskCompletionSource _down = NewSignal();

    /// <summary>Called after each change of <see cref="State"/> (outside the lock), with the reason for a fall.</summary>
    public event Action<UpstreamState, string?>? Changed;

    public UpstreamState State => _state;

    /// <summary>Failures in a row since the last success.</summary>
    public int ConsecutiveFailures => _failures;

    /// <summary>How long a down upstream waits before its next probe.</summary>
    public TimeSpan Backoff
    {
        get
        {
            lock (_lock)
            {
                return _backoff;
            }
        }
    }

    /// <summary>Completes when the upstream goes down (the monitor then starts probing on the back-off).</summary>
    public Task WhenDown
    {
        get
        {
            lock (_lock)
            {
                return _down.Task;
            }
        }
    }

    /// <summary>The upstream answered (any status a live server gives: 2xx, 4xx): it is up.</summary>
    public void Succeeded()
    {
        if (_state == UpstreamState.Up && _failures == 0)
        {
            return;
        }
        bool changed;
        lock (_lock)
        {
            changed = _state != UpstreamState.Up;
            _state = UpstreamState.Up;
            _failures = 0;
            _backoff = FirstBackoff;
            if (_down.Task.IsCompleted)
            {
                _down = NewSignal();
            }
        }
        if (changed)
        {
            Changed?.Invoke(UpstreamState.Up, null);
        }
    }

    /// <summary>A request failed at the connection or with a 5xx: the third in a row marks the upstream down.</summary>
    public void Failed(string reason)
    {
        bool changed;
        lock (_lock)
        {
            _failures++;
            changed = _failures >= FailuresToDown && _state != UpstreamState.Down;
            if (changed)
            {
                GoDown();
            }
        }
        if (changed)
        {
            Changed?.Invoke(UpstreamState.Down, reason);
        }
    }

    /// <summary>
    /// A probe (a deliberate check, not a client's request) failed: down at once, or, when down already, the next
    /// probe waits twice as long (at most <see cref="MaxBackoff"/>).
    /// </summary>
    public void ProbeFailed(string reason)
    {
        bool changed;
        lock (_lock)
        {
            _failures++;
            changed = _state != UpstreamState.Down;
            if (changed)
            {
                GoDown();
            }
            else
            {
                _backoff = _backoff * 2 > MaxBackoff ? MaxBackoff : _backoff * 2;
            }
        }
        if (changed)
        {
            Changed?.Invoke(UpstreamState.Down, reason);
        }
    }

    private void GoDown()
    {
        _state = UpstreamState.Down;
        _backoff = FirstBackoff;
        _down.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A place an upstream call holds while it runs (a concurrency slot); released once, when the call ends.</summary>
internal interface IUpstreamSlot
{
    void Release();
}

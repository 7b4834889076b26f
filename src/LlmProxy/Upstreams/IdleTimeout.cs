namespace LlmProxy.Upstreams;

/// <summary>
/// UPSTREAM_TIMEOUT_SECONDS as the longest silence (CONTRACT §1): a token cancelled when the client goes away or when
/// the upstream has said nothing for the whole interval. Waiting for headers and for the first token counts as
/// silence too (a model that is still loading is slow, a dead one is silent forever). <see cref="Touch"/> restarts
/// the clock whenever bytes arrive.
/// </summary>
public sealed class IdleTimeout : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _clientAborted;

    public IdleTimeout(TimeSpan interval, CancellationToken clientAborted)
    {
        Interval = interval;
        _clientAborted = clientAborted;
        _source = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        _source.CancelAfter(interval);
    }

    public TimeSpan Interval { get; }

    public CancellationToken Token => _source.Token;

    /// <summary>The upstream was silent too long (as opposed to the client going away).</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_clientAborted.IsCancellationRequested;

    public bool ClientAborted => _clientAborted.IsCancellationRequested;

    /// <summary>Bytes arrived: the silence starts again from zero.</summary>
    public void Touch()
    {
        if (!_source.IsCancellationRequested)
        {
            _source.CancelAfter(Interval);
        }
    }

    public void Dispose() => _source.Dispose();
}

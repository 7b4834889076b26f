namespace LlmProxy.Upstreams;

/// <summary>
/// UPSTREAM_TIMEOUT_SECONDS as the longest silence (docs/configuration.md): a token cancelled when the client goes away or when
/// the upstream has said nothing for the whole interval. Waiting for headers and for the first token counts as
/// silence too (a model that is still loading is slow, a dead one is silent forever). <see cref="Touch"/> restarts
/// the clock whenever bytes arrive.
/// </summary>
internal sealed class IdleTimeout : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _clientAborted;

    private readonly CancellationToken _shutdown;

    /// <summary>A silence limit of <paramref name="interval"/> from now, ended early only by the client leaving.</summary>
    public IdleTimeout(TimeSpan interval, CancellationToken clientAborted)
        : this(interval, null, clientAborted)
    {
    }

    /// <param name="interval">The longest silence.</param>
    /// <param name="clientAborted">The client's request token.</param>
    /// <param name="firstDue">
    /// When the first silence ends, if sooner than <paramref name="interval"/>: a failover attempt gets what is left
    /// of the request's one wait for an answer's head (docs/upstreams.md, Failover). Every <see cref="Touch"/> then
    /// restarts the full interval.
    /// </param>
    /// <param name="shutdown">Fires when the drain time on shutdown is nearly over (<c>ShutdownDrain.Ending</c>).</param>
    public IdleTimeout(TimeSpan interval, TimeSpan? firstDue, CancellationToken clientAborted, CancellationToken shutdown = default)
    {
        Interval = interval;
        _clientAborted = clientAborted;
        _shutdown = shutdown;
        _source = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, shutdown);
        _source.CancelAfter(firstDue is { } due && due < interval ? (due > TimeSpan.Zero ? due : TimeSpan.FromMilliseconds(1)) : interval);
    }

    /// <summary>The call was ended because the proxy is shutting down and its drain time is nearly over.</summary>
    public bool ShutDown => _shutdown.IsCancellationRequested && !_clientAborted.IsCancellationRequested;

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

    /// <summary>
    /// The proxy is not reading from the upstream for a while (it waits for a slow client to take the last event): the
    /// upstream's silence cannot be measured, so the clock stops until the next <see cref="Touch"/>.
    /// </summary>
    public void Pause()
    {
        if (!_source.IsCancellationRequested)
        {
            _source.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// The one filter for "the upstream let us down" while reading its answer: the connection broke (an
    /// <see cref="IOException"/>, or <see cref="HttpRequestException"/> for a cut chunked framing), or it fell silent
    /// past the interval. Nothing is, once the client left: that is nobody's failure to report.
    /// </summary>
    public bool IsUpstreamFailure(Exception exception) =>
        !ClientAborted && (exception is IOException or HttpRequestException || (exception is OperationCanceledException && TimedOut));

    /// <summary>
    /// The client went away (or was disconnected for not reading): whatever failed — a cancelled read, a write to a
    /// closed socket — is nobody's failure to report.
    /// </summary>
    public bool IsClientGone(Exception exception) => ClientAborted && exception is OperationCanceledException or IOException;

    public void Dispose() => _source.Dispose();
}

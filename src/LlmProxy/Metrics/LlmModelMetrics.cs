namespace LlmProxy.Metrics;

/// <summary>
/// The LLM series of one (provider, model) pair, resolved once by <see cref="LlmMetrics.For"/>; every method is then a
/// few <see cref="Interlocked"/> operations with no allocation. Keep the instance for the length of a request.
/// </summary>
internal sealed class LlmModelMetrics
{
    private readonly Counter _requests;
    private readonly Counter _errors;
    private readonly HistogramChild _duration;
    private readonly Histogram _timeToFirstTokenFamily;
    private HistogramChild? _timeToFirstToken;
    private readonly CounterChild _promptTokens;
    private readonly CounterChild _completionTokens;
    private readonly CounterChild?[] _errorsByKind = new CounterChild?[UpstreamErrorKinds.Count];
    private long _callsInFlight;

    public LlmModelMetrics(string provider, string model, Counter requests, Counter errors, Histogram duration,
        Histogram timeToFirstToken, Counter promptTokens, Counter completionTokens)
    {
        Provider = provider;
        Model = model;
        _requests = requests;
        _errors = errors;
        _duration = duration.Labels(provider, model);
        // Created on the first stream only: a model used without streaming gets no empty time-to-first-token series.
        _timeToFirstTokenFamily = timeToFirstToken;
        _promptTokens = promptTokens.Labels(provider, model);
        _completionTokens = completionTokens.Labels(provider, model);
    }

    public string Provider { get; }

    /// <summary>The model label as recorded: the model name, or <see cref="LabelValueCap.Other"/> once the cap is reached.</summary>
    public string Model { get; }

    /// <summary>
    /// A request routed to this provider and model has ended: <c>llm_requests_total{status}</c> + 1 and
    /// <c>llm_request_duration_seconds</c> observes <paramref name="seconds"/>. <paramref name="status"/> is the status
    /// the proxy answered the client (499 when the client left first). The request pipeline calls this once for every
    /// request a door routed (from its outcome); upstream calls do not call it themselves.
    /// </summary>
    public void RequestCompleted(int status, double seconds)
    {
        _requests.Labels(Provider, Model, StatusCodeLabels.For(status)).Inc();
        _duration.Observe(seconds);
    }

    /// <summary>
    /// A streamed answer delivered its first content token, <paramref name="seconds"/> after the provider sent the
    /// request upstream (model load included): <c>llm_time_to_first_token_seconds</c>. Call once per stream.
    /// </summary>
    public void FirstToken(double seconds)
    {
        var child = Volatile.Read(ref _timeToFirstToken);
        if (child is null)
        {
            child = _timeToFirstTokenFamily.Labels(Provider, Model);
            Volatile.Write(ref _timeToFirstToken, child);
        }
        child.Observe(seconds);
    }

    /// <summary>
    /// Token usage of one answer, as the upstream's <c>usage</c> reported it (or the stub counted):
    /// <c>llm_prompt_tokens_total</c> and <c>llm_completion_tokens_total</c>. Call once per answer; values of 0 or less are ignored.
    /// </summary>
    public void Tokens(long promptTokens, long completionTokens)
    {
        if (promptTokens > 0)
        {
            _promptTokens.Inc(promptTokens);
        }
        if (completionTokens > 0)
        {
            _completionTokens.Inc(completionTokens);
        }
    }

    /// <summary>Upstream calls for this provider and model in progress now (not a metric: Ollama's /api/ps reads it).</summary>
    public long CallsInFlight => Volatile.Read(ref _callsInFlight);

    /// <summary>An upstream call started; pair with <see cref="CallEnded"/>.</summary>
    public void CallStarted() => Interlocked.Increment(ref _callsInFlight);

    public void CallEnded() => Interlocked.Decrement(ref _callsInFlight);

    /// <summary>A call to the model server failed in the way <paramref name="kind"/> names: <c>llm_upstream_errors_total{kind}</c> + 1.</summary>
    public void UpstreamError(UpstreamErrorKind kind)
    {
        var label = UpstreamErrorKinds.Label(kind);
        var child = Volatile.Read(ref _errorsByKind[(int)kind]);
        if (child is null)
        {
            child = _errors.Labels(Provider, Model, label);
            Volatile.Write(ref _errorsByKind[(int)kind], child);
        }
        child.Inc();
    }
}

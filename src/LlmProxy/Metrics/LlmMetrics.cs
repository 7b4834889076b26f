using System.Collections.Concurrent;

namespace LlmProxy.Metrics;

/// <summary>
/// The LLM metrics (docs/operations.md, Metrics), as an API the rest of the proxy calls (a singleton):
/// <list type="bullet">
/// <item><see cref="For"/> (provider, model) → <see cref="LlmModelMetrics"/>: requests, duration and tokens (recorded
/// once per request from its outcome by the request pipeline), time to first token and upstream errors (recorded by
/// each upstream call).</item>
/// <item><see cref="TrackStream"/>: <c>llm_streams_in_flight</c> while an SSE answer is open.</item>
/// <item><see cref="RateLimited"/>: <c>llm_rate_limited_requests_total</c>, called by the rate limiter on each 429 it sends.</item>
/// </list>
/// Model names come from clients, so they pass through a <see cref="LabelValueCap"/>: the first
/// <see cref="MaxModelLabels"/> distinct names (of at most <see cref="MaxModelLabelLength"/> characters) are kept,
/// the rest are recorded as <c>other</c>. Provider names come from the configuration and are bounded already.
/// </summary>
internal sealed class LlmMetrics
{
    public const int MaxModelLabels = 100;
    public const int MaxModelLabelLength = 128;

    /// <summary>The model label of a request whose model is not known.</summary>
    private const string UnknownModel = "unknown";

    /// <summary>Time to first token: from 10 ms (a warm small model) to 5 minutes (a cold load of a large one).</summary>
    private static readonly double[] FirstTokenBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly ConcurrentDictionary<(string Provider, string Model), LlmModelMetrics> _byModel = new();
    private readonly LabelValueCap _models = new(MaxModelLabels, MaxModelLabelLength);
    private readonly Counter _requests;
    private readonly Counter _errors;
    private readonly Histogram _duration;
    private readonly Histogram _timeToFirstToken;
    private readonly Counter _promptTokens;
    private readonly Counter _completionTokens;
    private readonly GaugeChild _streamsInFlight;
    private readonly CounterChild _rateLimited;

    public LlmMetrics(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _requests = registry.CreateCounter("llm_requests_total",
            "Chat requests routed to a provider, by provider, model and the HTTP status the proxy answered (499: the client left first).",
            "provider", "model", "status");
        _duration = registry.CreateHistogram("llm_request_duration_seconds",
            "Duration of chat requests routed to a provider, whole stream included, in seconds.",
            Histogram.LlmDurationBuckets, "provider", "model");
        _errors = registry.CreateCounter("llm_upstream_errors_total",
            "Failed calls to a model server, by provider, model and kind (connect, timeout, model_not_found, rate_limited, client_error, server_error, stream_interrupted, invalid_response).",
            "provider", "model", "kind");
        _timeToFirstToken = registry.CreateHistogram("llm_time_to_first_token_seconds",
            "Time from sending a streamed request upstream to its first content token, in seconds.",
            FirstTokenBuckets, "provider", "model");
        _promptTokens = registry.CreateCounter("llm_prompt_tokens_total", "Prompt tokens reported by the provider, by provider and model.", "provider", "model");
        _completionTokens = registry.CreateCounter("llm_completion_tokens_total", "Completion tokens reported by the provider, by provider and model.", "provider", "model");
        _streamsInFlight = registry.CreateGauge("llm_streams_in_flight", "Streamed (SSE) answers open right now.").Labels();
        _rateLimited = registry.CreateCounter("llm_rate_limited_requests_total", "Requests refused with 429 by the proxy's own rate limit.").Labels();
    }

    /// <summary>How many distinct model names are recorded as themselves (the rest are "other").</summary>
    public int KeptModelCount => _models.KeptCount;

    /// <summary>
    /// The series of a provider and model, created on first use and cached; <paramref name="model"/> may be any
    /// client-sent name (capped, see the class summary) or null when unknown (recorded as <c>unknown</c>).
    /// </summary>
    public LlmModelMetrics For(string provider, string? model)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var modelLabel = model is null ? UnknownModel : _models.Apply(model);
        var key = (provider, modelLabel);
        return _byModel.TryGetValue(key, out var metrics)
            ? metrics
            : _byModel.GetOrAdd(key, k => new LlmModelMetrics(k.Provider, k.Model, _requests, _errors, _duration,
                _timeToFirstToken, _promptTokens, _completionTokens));
    }

    /// <summary>
    /// The model names with upstream calls in progress now, across every provider (names past the label cap are not
    /// told apart, so they are left out).
    /// </summary>
    public IEnumerable<string> ModelsInFlight() => _byModel.Values
        .Where(m => m.CallsInFlight > 0 && m.Model is not (LabelValueCap.Other or UnknownModel))
        .Select(m => m.Model)
        .Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Counts one open stream in <c>llm_streams_in_flight</c> until the returned scope is disposed:
    /// <c>using var _ = metrics.TrackStream();</c> around the code that writes the SSE answer.
    /// </summary>
    public StreamScope TrackStream() => new(_streamsInFlight);

    /// <summary>The proxy's rate limiter refused a request with 429: <c>llm_rate_limited_requests_total</c> + 1.</summary>
    public void RateLimited() => _rateLimited.Inc();

    /// <summary>Current value of <c>llm_streams_in_flight</c> (tests, diagnostics).</summary>
    public long StreamsInFlight => _streamsInFlight.Value;

    /// <summary>Current value of <c>llm_rate_limited_requests_total</c> (tests, diagnostics).</summary>
    public long RateLimitedCount => _rateLimited.Value;
}

/// <summary>Holds one count in <c>llm_streams_in_flight</c> until disposed (a struct: no allocation per stream).</summary>
internal readonly struct StreamScope : IDisposable
{
    private readonly GaugeChild? _gauge;

    public StreamScope(GaugeChild gauge)
    {
        _gauge = gauge;
        gauge.Inc();
    }

    public void Dispose() => _gauge?.Dec();
}

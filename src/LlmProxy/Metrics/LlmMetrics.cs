using System.Collections.Concurrent;

namespace LlmProxy.Metrics;

/// <summary>
/// The LLM metrics (docs/operations.md, Metrics), as an API the rest of the proxy calls (a singleton):
/// <list type="bullet">
/// <item><see cref="For"/> (provider, model) → <see cref="LlmModelMetrics"/>: requests, duration and tokens (recorded
/// once per request from its outcome by the request pipeline), time to first token and upstream errors (recorded by
/// each upstream call).</item>
/// <item><see cref="TrackStream"/>: <c>llm_streams_in_flight</c> while an SSE answer is open.</item>
/// <item><see cref="RateLimited"/>: <c>llm_rate_limited_requests_total{reason}</c>, called by the limiters on each 429 they send.</item>
/// <item><see cref="KeyRequestCompleted"/>: <c>llm_key_requests_total{key,status}</c> and <c>llm_key_tokens_total{key}</c>, by
/// the API key's name (never anything derived from the key itself).</item>
/// </list>
/// Model names come from clients: only the names the configuration and the upstreams' model lists know become label
/// values (<see cref="LimitModelLabelsTo"/>), and those pass through a <see cref="LabelValueCap"/>: the first
/// <see cref="MaxModelLabels"/> distinct names (of at most <see cref="MaxModelLabelLength"/> characters) are kept,
/// the rest are recorded as <c>other</c>. Provider (upstream) names come from the configuration and are bounded already.
/// </summary>
internal sealed class LlmMetrics
{
    public const int MaxModelLabels = 100;
    public const int MaxModelLabelLength = 128;

    /// <summary>The model label of a request whose model is not known.</summary>
    private const string UnknownModel = "unknown";

    /// <summary>Key names come from the keys file (an operator's list), capped all the same: reloads may add names.</summary>
    public const int MaxKeyLabels = 1000;

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
    private readonly Counter _rateLimitedFamily;
    private readonly CounterChild[] _rateLimited;
    private readonly LabelValueCap _keyNames = new(MaxKeyLabels, 64);
    private readonly Counter _keyRequests;
    private readonly Counter _keyTokens;
    private Func<string, bool>? _isKnownModel;

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
        var rateLimited = _rateLimitedFamily = registry.CreateCounter("llm_rate_limited_requests_total",
            "Requests refused with 429 by the proxy's own limits, by reason (requests, tokens, failed_auth).", "reason");
        // Every reason from the start, so each series reads 0 before its first refusal and sum() covers them all.
        _rateLimited = [.. Enumerable.Range(0, RateLimitReasons.Count).Select(r => rateLimited.Labels(((RateLimitReason)r).Label()))];
        _keyRequests = registry.CreateCounter("llm_key_requests_total",
            "Requests on routes that need auth, by API key name (key mode only) and the status the proxy answered.", "key", "status");
        _keyTokens = registry.CreateCounter("llm_key_tokens_total",
            "Prompt+completion tokens of requests, by API key name (key mode only).", "key");
    }

    // The families themselves, for readers of the same numbers as a scrape (the /ui page, docs/observability.md).
    public Counter Requests => _requests;
    public Histogram TimeToFirstToken => _timeToFirstToken;
    public Counter PromptTokens => _promptTokens;
    public Counter CompletionTokens => _completionTokens;
    public Counter RateLimitedRequests => _rateLimitedFamily;

    /// <summary>How many distinct model names are recorded as themselves (the rest are "other").</summary>
    public int KeptModelCount => _models.KeptCount;

    /// <summary>
    /// From now on a model name is a label value only when <paramref name="isKnownModel"/> says the configuration or
    /// an upstream's model list names it (docs/operations.md, Label values are bounded); any other name is
    /// <c>other</c>, so junk names never take the places of real ones. Routing calls this once at start.
    /// </summary>
    public void LimitModelLabelsTo(Func<string, bool> isKnownModel) => Volatile.Write(ref _isKnownModel, isKnownModel);

    /// <summary>
    /// The series of a provider and model, created on first use and cached; <paramref name="model"/> may be any
    /// client-sent name (capped, see the class summary) or null when unknown (recorded as <c>unknown</c>).
    /// </summary>
    public LlmModelMetrics For(string provider, string? model)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var modelLabel = model is null ? UnknownModel
            : Volatile.Read(ref _isKnownModel) is { } isKnown && !isKnown(model) ? LabelValueCap.Other
            : _models.Apply(model);
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

    /// <summary>A limiter of the proxy refused a request with 429: <c>llm_rate_limited_requests_total{reason}</c> + 1.</summary>
    public void RateLimited(RateLimitReason reason) => _rateLimited[(int)reason].Inc();

    /// <summary>
    /// A request made with an API key has ended: <c>llm_key_requests_total{key,status}</c> + 1 and its tokens added to
    /// <c>llm_key_tokens_total{key}</c>. <paramref name="keyName"/> is the key's <c>name=</c> (or its digest label).
    /// </summary>
    public void KeyRequestCompleted(string keyName, int status, long tokens)
    {
        var key = _keyNames.Apply(keyName);
        _keyRequests.Labels(key, StatusCodeLabels.For(status)).Inc();
        if (tokens > 0)
        {
            _keyTokens.Labels(key).Inc(tokens);
        }
    }

    /// <summary>Current value of <c>llm_streams_in_flight</c> (tests, diagnostics).</summary>
    public long StreamsInFlight => _streamsInFlight.Value;

    /// <summary>Current value of <c>llm_rate_limited_requests_total</c>, every reason (tests, diagnostics, /ui).</summary>
    public long RateLimitedCount => _rateLimited.Sum(c => c.Value);

    /// <summary>Current value of <c>llm_rate_limited_requests_total{reason}</c>.</summary>
    public long RateLimitedCountFor(RateLimitReason reason) => _rateLimited[(int)reason].Value;
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

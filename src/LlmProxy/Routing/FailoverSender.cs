using System.Diagnostics;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;
using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// Sends one client request to its route's candidates (docs/upstreams.md, Failover): choose (<see cref="CandidateSelector"/>),
/// take a slot (waiting in the upstream's FIFO queue if it is full), send one attempt, and when that attempt failed
/// before anything reached the client — connection refused or reset, connect timeout, a 5xx, 429 or 503, a "model not
/// found" — try the next candidate. A failure that only nothing-came-back makes safe to repeat (refused, reset) may
/// also go to the same upstream again after a short pause, which is all a single upstream gets. Every attempt counts
/// against one budget of <see cref="MaxAttempts"/>, and all of them share one wait for an answer's head
/// (UPSTREAM_TIMEOUT_SECONDS from the first send). Nothing is retried once an upstream answered 2xx.
/// </summary>
internal sealed partial class FailoverSender(ProxySettings settings, LlmMetrics llmMetrics, UpstreamMetrics metrics, ModelCatalog catalog, ILogger<FailoverSender> logger)
{
    /// <summary>The first attempt and two more, whether on the same upstream or others.</summary>
    public const int MaxAttempts = 3;

    /// <summary>Names the upstream that answered (docs/api.md, Response headers).</summary>
    public const string UpstreamHeader = "x-llm-upstream";

    private uint _rotation;

    public async Task<UpstreamCall> SendAsync(RoutedUpstream route, UpstreamRequest request, HttpContext context)
    {
        if (request.Model != route.Model)
        {
            // The door forwarded the client's bytes, which name the alias: only the model's value changes.
            request = request with { Model = route.Model, Body = JsonModelSplice.Replace(request.Body.Span, route.Model) ?? request.Body };
        }
        var candidates = route.Candidates;
        if (candidates.Length == 0)
        {
            return NoCandidate(route, request, context);
        }
        var outcome = RequestOutcome.Of(context);
        var rotation = candidates.Length > 1 ? Interlocked.Increment(ref _rotation) : 0;
        ulong tried = 0;
        ulong repeatable = 0;
        var repeats = 0;
        var queueLeft = settings.QueueTimeout;
        long firstSend = 0;
        UpstreamEntry? previous = null;
        string? previousFailure = null;
        UpstreamCall? kept = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var index = CandidateSelector.Pick(candidates, tried, rotation);
            var again = false;
            if (index < 0)
            {
                // Every candidate was tried: only one whose failure proved nothing was sent may be tried again.
                index = CandidateSelector.Pick(candidates, ~repeatable, rotation);
                if (index < 0)
                {
                    break;
                }
                again = true;
            }
            var entry = candidates[index];
            if (again)
            {
                repeats++;
                LogRepeat(logger, entry.Name, attempt, MaxAttempts);
                // A short pause gives a restarting server a chance; the client is waiting, so keep it short.
                if (!await PauseAsync(TimeSpan.FromMilliseconds(50 * repeats), context.RequestAborted))
                {
                    return Keep(ref kept, ClientGone(entry, request, context));
                }
            }

            var waitStarted = Stopwatch.GetTimestamp();
            bool slot;
            try
            {
                slot = await entry.Gate.AcquireAsync(queueLeft, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return Keep(ref kept, ClientGone(entry, request, context));
            }
            queueLeft -= Stopwatch.GetElapsedTime(waitStarted);
            if (!slot)
            {
                kept = MoreInformative(kept, QueueTimedOut(entry, request, context));
                break;
            }

            TimeSpan? headersLeft = null;
            if (firstSend == 0)
            {
                firstSend = Stopwatch.GetTimestamp();
            }
            else
            {
                headersLeft = settings.UpstreamTimeout - Stopwatch.GetElapsedTime(firstSend);
                if (headersLeft <= TimeSpan.Zero)
                {
                    // The one wait for an answer's head is over: the failure so far is the answer.
                    entry.Gate.Release();
                    break;
                }
            }
            if (previous is not null && previous != entry)
            {
                metrics.Failover(previous.Name, entry.Name);
                LogFailover(logger, previous.Name, previousFailure!, attempt, MaxAttempts, entry.Name);
            }
            outcome.Attempts++;
            outcome.Provider = entry.Name;
            UpstreamCall call;
            try
            {
                call = await entry.Upstream.SendAsync(headersLeft is null ? request : request with { HeadersTimeout = headersLeft }, context);
            }
            catch
            {
                entry.Gate.Release();
                kept?.Dispose();
                throw;
            }
            if (call.Failure is not { } failure)
            {
                // The answer's head is in: the call holds the slot until its answer ends.
                call.Hold(entry.Gate);
                kept?.Dispose();
                // A model a server without a known list answers is taken for a real one: from now on it is a label value
                // (docs/operations.md, Metrics). A server with a list is judged by its list: some (llama.cpp server)
                // answer any name with the one model they run.
                if (entry.Models is null)
                {
                    catalog.Answered(outcome.Model ?? request.Model);
                }
                return Answered(call, context);
            }
            entry.Gate.Release();
            if (!failure.ShouldAnswer)
            {
                return Keep(ref kept, call);
            }
            kept = MoreInformative(kept, call);
            if (index < 64)
            {
                tried |= 1UL << index;
                repeatable = failure.Retry == AttemptRetry.SameOrNext ? repeatable | (1UL << index) : repeatable & ~(1UL << index);
            }
            if (failure.Retry == AttemptRetry.No)
            {
                break;
            }
            previous = entry;
            previousFailure = failure.Message;
        }
        return Answered(kept!, context);
    }

    /// <summary>The call that answers the client: its upstream named in the outcome and, when it reached one, in <see cref="UpstreamHeader"/>.</summary>
    private static UpstreamCall Answered(UpstreamCall call, HttpContext context)
    {
        RequestOutcome.Of(context).Provider = call.Provider;
        if (call.Failure is not { Kind: UpstreamOutcome.QueueTimeout })
        {
            context.Response.Headers[UpstreamHeader] = call.Provider;
        }
        return call;
    }

    /// <summary>
    /// Of two failed attempts, the one the client should hear about: an upstream's own answer (its status, message and
    /// Retry-After) beats a failure without one (refused, timed out, queue full); otherwise the later one.
    /// </summary>
    private static UpstreamCall MoreInformative(UpstreamCall? kept, UpstreamCall latest)
    {
        if (kept is null)
        {
            return latest;
        }
        if (kept.Failure!.Kind == UpstreamOutcome.UpstreamError && latest.Failure!.Kind != UpstreamOutcome.UpstreamError)
        {
            latest.Dispose();
            return kept;
        }
        kept.Dispose();
        return latest;
    }

    private static UpstreamCall Keep(ref UpstreamCall? kept, UpstreamCall call)
    {
        kept?.Dispose();
        kept = null;
        return call;
    }

    private static async Task<bool> PauseAsync(TimeSpan pause, CancellationToken clientAborted)
    {
        try
        {
            await Task.Delay(pause, clientAborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private UpstreamCall NoCandidate(RoutedUpstream route, UpstreamRequest request, HttpContext context)
    {
        var call = new UpstreamCall(route.Name, request, context, settings.UpstreamTimeout, metrics: null, logger);
        call.Fail(route.Name == ProviderNames.Auto
            ? new UpstreamFailure(UpstreamOutcome.UpstreamError, 404,
                $"No upstream lists the model '{route.Model}' (GET /v1/models shows the models there are)", "invalid_request_error",
                "model", UpstreamFailure.ModelNotFoundCode, ModelNotFound: true)
            : UpstreamFailure.Unreachable($"The upstream '{route.Name}' is not available: discovery has not found it on its usual port"));
        return call;
    }

    private UpstreamCall QueueTimedOut(UpstreamEntry entry, UpstreamRequest request, HttpContext context)
    {
        var call = new UpstreamCall(entry.Name, request, context, settings.UpstreamTimeout,
            llmMetrics.For(entry.Name, RequestOutcome.Of(context).Model ?? request.Model), logger);
        // Retry-After: the wait that just failed, within 1 to 30 s — sooner would likely meet the same queue.
        var retryAfter = Math.Clamp((int)Math.Ceiling(settings.QueueTimeout.TotalSeconds), 1, 30);
        call.Fail(new UpstreamFailure(UpstreamOutcome.QueueTimeout, 503,
            $"The upstream '{entry.Name}' is busy: all {entry.Gate.MaxConcurrency} of its slots stayed taken for {settings.QueueTimeout.TotalSeconds:0.###} s (QUEUE_TIMEOUT_SECONDS)",
            "server_error", Code: "upstream_busy", RetryAfter: retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return call;
    }

    private UpstreamCall ClientGone(UpstreamEntry entry, UpstreamRequest request, HttpContext context)
    {
        var call = new UpstreamCall(entry.Name, request, context, settings.UpstreamTimeout, metrics: null, logger);
        call.Fail(UpstreamFailure.ClientGone);
        return call;
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "upstream {From} failed ({Reason}); attempt {Attempt} of {MaxAttempts} goes to {To}")]
    private static partial void LogFailover(ILogger logger, string from, string reason, int attempt, int maxAttempts, string to);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "upstream {Upstream} unreachable, attempt {Attempt} of {MaxAttempts} tries it again")]
    private static partial void LogRepeat(ILogger logger, string upstream, int attempt, int maxAttempts);
}

using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// What <see cref="ModelRouter.Route"/> answers: the model to send upstream (after MODEL_ALIASES) and the candidates
/// that may serve it, as one <see cref="IUpstream"/>. A door sends to it as to any upstream and gets one
/// <see cref="UpstreamCall"/> back — the answer to relay, or the failure to answer — while choosing, queueing, retries
/// and failover happen inside (<see cref="FailoverSender"/>); doors never see candidates or attempts.
/// </summary>
internal sealed class RoutedUpstream : IUpstream
{
    private readonly FailoverSender _sender;

    public RoutedUpstream(string name, string model, UpstreamEntry[] candidates, FailoverSender sender)
    {
        Name = name;
        Model = model;
        Candidates = candidates;
        _sender = sender;
    }

    /// <summary>
    /// The route's name: the upstream a map entry or LLM_PROVIDER names, or <c>auto</c>. After sending, the request's
    /// outcome names the upstream that actually answered.
    /// </summary>
    public string Name { get; }

    /// <summary>The model to send upstream: the client's, or the target of its alias.</summary>
    public string Model { get; }

    public UpstreamEntry[] Candidates { get; }

    /// <summary>
    /// Sends <paramref name="request"/> to the best candidate, and on a failure before any byte reached the client to the
    /// next (docs/upstreams.md, Failover). A request whose <see cref="UpstreamRequest.Model"/> is still the alias gets
    /// the target spliced into its body here.
    /// </summary>
    public Task<UpstreamCall> SendAsync(UpstreamRequest request, HttpContext context) => _sender.SendAsync(this, request, context);
}

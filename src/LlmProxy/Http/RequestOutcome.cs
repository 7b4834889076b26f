namespace LlmProxy.Http;

/// <summary>
/// What a handler learned about the request that the edges (request log, metrics) report once it is done:
/// the model asked for and the provider it was routed to. One small object per routed request, stored as a feature.
/// </summary>
public sealed class RequestFacts
{
    public string? Model { get; set; }
    public string? Provider { get; set; }

    /// <summary>The facts for this request, created on first use.</summary>
    public static RequestFacts For(HttpContext context)
    {
        var facts = context.Features.Get<RequestFacts>();
        if (facts is null)
        {
            facts = new RequestFacts();
            context.Features.Set(facts);
        }
        return facts;
    }

    /// <summary>The facts if a handler recorded any, else null (no allocation).</summary>
    public static RequestFacts? Find(HttpContext context) => context.Features.Get<RequestFacts>();
}

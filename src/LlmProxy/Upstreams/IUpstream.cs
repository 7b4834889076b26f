namespace LlmProxy.Upstreams;

/// <summary>
/// A model server the proxy can send a request to (docs/architecture.md, Upstreams): an OpenAI-compatible server
/// over HTTP, or the in-memory stub. Every door uses every upstream the same way: send, then relay the answer
/// (<see cref="SseRelay"/>, <see cref="UpstreamAnswer"/>) or answer the failure in the door's dialect.
/// </summary>
internal interface IUpstream
{
    /// <summary>The name routing knows it by (LLM_PROVIDER, MODEL_PROVIDER_MAP), also the <c>provider</c> metrics label.</summary>
    string Name { get; }

    /// <summary>
    /// Sends <paramref name="request"/> and returns once the answer's head is in: the call then holds a 2xx response to
    /// relay (<see cref="UpstreamCall.Response"/>) or the failure that stands for the answer
    /// (<see cref="UpstreamCall.Failure"/>; nothing has been written to the client). Dispose the call when done.
    /// </summary>
    Task<UpstreamCall> SendAsync(UpstreamRequest request, HttpContext context);
}

/// <summary>
/// A request in the OpenAI wire as an upstream receives it: the body bytes (the client's own on /v1, untouched) and
/// the few facts read from them. <paramref name="Body"/> lives in a buffer the door owns for the whole request.
/// </summary>
/// <param name="IncludeUsage">
/// The body asks for the usage chunk of a stream (<c>stream_options.include_usage</c>): the client did, or the door
/// added it for a token limit.
/// </param>
/// <param name="HeadersTimeout">
/// Set by failover: what is left of the request's one wait for an answer's head (UPSTREAM_TIMEOUT_SECONDS counts from the
/// first attempt); null = the whole of it.
/// </param>
internal sealed record UpstreamRequest(UpstreamEndpoint Endpoint, string Model, bool Stream, bool IncludeUsage, ReadOnlyMemory<byte> Body,
    TimeSpan? HeadersTimeout = null);

/// <summary>The OpenAI-compatible endpoints an upstream serves (docs/api.md, OpenAI routes).</summary>
internal enum UpstreamEndpoint
{
    ChatCompletions,
    Completions,
    Embeddings,
}

internal static class UpstreamEndpoints
{
    /// <summary>The path relative to the upstream's base URL (which ends in '/').</summary>
    public static string UpstreamPath(this UpstreamEndpoint endpoint) => endpoint switch
    {
        UpstreamEndpoint.ChatCompletions => "chat/completions",
        UpstreamEndpoint.Completions => "completions",
        UpstreamEndpoint.Embeddings => "embeddings",
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    };

    /// <summary>
    /// The OpenTelemetry GenAI <c>gen_ai.operation.name</c> of a request to the endpoint (docs/observability.md,
    /// Traces): <c>chat</c>, <c>text_completion</c>, <c>embeddings</c>.
    /// </summary>
    public static string OperationName(this UpstreamEndpoint endpoint) => endpoint switch
    {
        UpstreamEndpoint.ChatCompletions => "chat",
        UpstreamEndpoint.Completions => "text_completion",
        UpstreamEndpoint.Embeddings => "embeddings",
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    };

    /// <summary>The proxy's own OpenAI route for the endpoint.</summary>
    public static string Route(this UpstreamEndpoint endpoint) => "/v1/" + endpoint.UpstreamPath();
}

/// <summary>
/// Registration of what every upstream shares: the one connection pool and the client over it, and the stub. The
/// HTTP upstreams themselves (<see cref="OpenAiCompatUpstream"/>, one per server) are made by routing's upstream pool.
/// </summary>
internal static class UpstreamsSetup
{
    public static IServiceCollection AddUpstreams(this IServiceCollection services)
    {
        services.AddSingleton<UpstreamHttp>();
        services.AddSingleton<UpstreamClient>();
        services.AddSingleton<UpstreamSecrets>();
        services.AddSingleton<StubUpstream>();
        return services;
    }
}

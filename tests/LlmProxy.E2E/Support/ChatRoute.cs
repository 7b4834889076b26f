namespace LlmProxy.E2E.Support;

/// <summary>One way to ask the proxy for a chat answer: the classic routes or /v1 in either mode (docs/api.md).</summary>
public sealed record ChatRoute(string Name, string Path, string Body, bool Stream, bool OpenAi)
{
    public static readonly ChatRoute Proxy = new("/proxy", "proxy", Http.ValidChat, Stream: false, OpenAi: false);
    public static readonly ChatRoute ProxyStream = new("/proxy/stream", "proxy/stream", Http.ValidChat, Stream: true, OpenAi: false);
    public static readonly ChatRoute V1 = new("/v1 stream:false", "v1/chat/completions",
        """{"model":"llama3","stream":false,"messages":[{"role":"user","content":"hi"}]}""", Stream: false, OpenAi: true);
    public static readonly ChatRoute V1Stream = new("/v1 stream:true", "v1/chat/completions",
        """{"model":"llama3","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Stream: true, OpenAi: true);

    public static readonly ChatRoute[] All = [Proxy, ProxyStream, V1, V1Stream];
    public static readonly ChatRoute[] Streaming = [ProxyStream, V1Stream];

    public HttpRequestMessage Request() => Http.Post(Path, Body);

    /// <summary>Sends the request and reads the whole answer.</summary>
    public async Task<RouteAnswer> SendAsync(HttpClient client)
    {
        using var response = await client.SendAsync(Request(), HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();
        return new RouteAnswer(this, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body,
            response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : null, response.Headers.RetryAfter?.ToString());
    }

    public override string ToString() => Name;
}

/// <summary>A whole answer from the proxy, kept for assertions (the route says which dialect to expect).</summary>
public sealed record RouteAnswer(ChatRoute Route, int Status, string? MediaType, string Body, string? RequestId, string? RetryAfter)
{
    public override string ToString() => $"{Route.Name} → {Status} {MediaType}: {(Body.Length > 400 ? Body[..400] + "…" : Body)}";
}

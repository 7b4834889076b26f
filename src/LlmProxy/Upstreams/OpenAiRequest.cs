namespace LlmProxy.Upstreams;

/// <summary>
/// A /v1 request as the proxy forwards it (CONTRACT §2.3): the client's body bytes, untouched, and the few facts read
/// from them. <paramref name="Body"/> lives in a pooled buffer owned by the handler for the whole request.
/// </summary>
public sealed record OpenAiRequest(OpenAiEndpoint Endpoint, string Model, bool Stream, bool IncludeUsage, ReadOnlyMemory<byte> Body);

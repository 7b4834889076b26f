namespace LlmProxy.E2E.Support;

/// <summary>A response read by <see cref="RawHttpConnection"/>.</summary>
public sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

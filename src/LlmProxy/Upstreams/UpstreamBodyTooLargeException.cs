namespace LlmProxy.Upstreams;

/// <summary>An upstream body the proxy must hold whole (a non-streaming /proxy answer) is larger than it will hold.</summary>
public sealed class UpstreamBodyTooLargeException(int limit)
    : Exception($"The upstream answer is larger than {limit} bytes");

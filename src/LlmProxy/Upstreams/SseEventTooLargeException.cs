namespace LlmProxy.Upstreams;

/// <summary>An upstream SSE event grew past <see cref="SseRelay.MaxEventBytes"/> without ending.</summary>
public sealed class SseEventTooLargeException(int limit)
    : Exception($"An upstream stream event exceeded {limit} bytes without ending");

namespace LlmProxy.Upstreams;

/// <summary>
/// Where <see cref="SseRelay"/> delivers an upstream stream: the door's side of the relay (docs/architecture.md, How a
/// door plugs in). A door that speaks the upstream's own SSE copies each event's bytes (<see cref="SseCopySink"/>);
/// a door with another dialect translates each event's payload into its own events. The relay guarantees the order
/// of calls: any number of <see cref="OnEventAsync"/>, then exactly one of <see cref="OnDoneAsync"/> or
/// <see cref="OnErrorAsync"/> — or nothing more when the client left. Each call should flush what it wrote: the
/// client must see every event as soon as the upstream sent it.
/// </summary>
internal interface IStreamSink
{
    /// <summary>
    /// True once anything reached the client. Until then a failure is still answered as a plain HTTP error (which SDKs
    /// turn into their typed exceptions); after, it can only be an error event in the stream.
    /// </summary>
    bool Started { get; }

    /// <summary>
    /// One complete upstream event that is neither <c>[DONE]</c> nor an error: <paramref name="sseEvent"/> is its whole
    /// text without the blank line that ended it; <paramref name="payload"/> the value of its <c>data:</c> field
    /// (empty for a comment such as <c>: keep-alive</c>). Both are only valid until the call returns.
    /// </summary>
    ValueTask OnEventAsync(ReadOnlyMemory<byte> sseEvent, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>The upstream finished (<c>[DONE]</c>, or a clean end of the body): end the client's stream.</summary>
    ValueTask OnDoneAsync(CancellationToken cancellationToken);

    /// <summary>The stream failed after it started: report <paramref name="failure"/> in the dialect and end the stream.</summary>
    ValueTask OnErrorAsync(UpstreamFailure failure, CancellationToken cancellationToken);
}

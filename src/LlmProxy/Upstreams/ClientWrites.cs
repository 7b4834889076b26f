namespace LlmProxy.Upstreams;

/// <summary>
/// Writes to the client while an upstream answer is relayed (docs/api.md, Slow clients). A write that does not complete
/// at once is the client not reading (TCP back-pressure), which is not the upstream's silence: the upstream timer
/// (UPSTREAM_TIMEOUT_SECONDS) is paused while the write waits, and a client that reads nothing for
/// <see cref="StallLimit"/> is disconnected — recorded once, as 499, like any client that leaves. Writes use the
/// client's own token (<c>RequestAborted</c>), never the upstream timer's.
/// </summary>
internal static class ClientWrites
{
    /// <summary>
    /// The longest a client may leave a write unread. A reader that pauses (a UI thread busy, a phone switching
    /// networks) resumes well within it; a client that never reads would otherwise hold the stream, and the model
    /// generating for it, forever.
    /// </summary>
    public static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Completes <paramref name="write"/>: at no cost when it already completed (the usual case: the bytes went to the
    /// socket buffer), else with the upstream timer paused and the stall limit armed.
    /// </summary>
    public static ValueTask Guard(ValueTask write, UpstreamCall call)
    {
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return ValueTask.CompletedTask;
        }
        return WaitAsync(write, call);
    }

    private static async ValueTask WaitAsync(ValueTask write, UpstreamCall call)
    {
        call.Idle.Pause();
        // Aborting the connection ends the pending write (and RequestAborted, which ends the upstream call too).
        await using (new Timer(static state => ((UpstreamCall)state!).AbortStalledClient(), call, StallLimit, Timeout.InfiniteTimeSpan))
        {
            await write;
        }
        call.Idle.Touch();
    }
}

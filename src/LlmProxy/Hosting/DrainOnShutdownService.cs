using LlmProxy.Configuration;
using LlmProxy.Http;

namespace LlmProxy.Hosting;

/// <summary>
/// Holds the server open while in-flight work drains on SIGTERM/SIGINT (docs/operations.md, Shutdown).
/// </summary>
/// <remarks>
/// The generic host calls every <see cref="IHostedLifecycleService.StoppingAsync"/> before any
/// <see cref="IHostedService.StopAsync"/>, and Kestrel closes its listeners in its StopAsync. Waiting here therefore
/// keeps the listeners up during the drain, so /healthz can answer 503 "draining" and new requests get a clear 503
/// instead of a refused connection. The token fires after HostOptions.ShutdownTimeout (= SHUTDOWN_TIMEOUT_SECONDS);
/// Kestrel then gets the same expired token and aborts whatever is still running, so the whole shutdown stays
/// within the drain time.
/// </remarks>
internal sealed partial class DrainOnShutdownService(ShutdownDrain drain, ProxySettings settings, ILogger<DrainOnShutdownService> logger)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        drain.BeginDrain();
        var pending = drain.InFlight;
        if (pending == 0)
        {
            return;
        }
        LogDraining(logger, pending, settings.ShutdownTimeout.TotalSeconds);
        // The drain waits until EndGrace before its end, then ends the upstream calls still running, so their streams
        // close with an error event and [DONE] (docs/operations.md, Shutdown) rather than a cut connection.
        using var waitFirst = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waitFirst.CancelAfter(settings.ShutdownTimeout - EndGrace(settings.ShutdownTimeout));
        try
        {
            await drain.WhenIdleAsync(waitFirst.Token);
            LogDrained(logger);
            return;
        }
        catch (OperationCanceledException)
        {
        }
        LogEndingInFlight(logger, drain.InFlight);
        drain.EndInFlight();
        try
        {
            await drain.WhenIdleAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            LogDrainTimeUp(logger, drain.InFlight, settings.ShutdownTimeout.TotalSeconds);
        }
    }

    /// <summary>How long before the drain time is over the calls still running are ended: 1 s, or half a shorter drain.</summary>
    public static TimeSpan EndGrace(TimeSpan drainTime) => TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, drainTime.Ticks / 2));

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Shutting down: draining {InFlight} in-flight request(s) for up to {Seconds} s")]
    private static partial void LogDraining(ILogger logger, int inFlight, double seconds);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Drained: every in-flight request completed")]
    private static partial void LogDrained(ILogger logger);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Drain time nearly over: ending {InFlight} upstream answer(s) still in flight with an error")]
    private static partial void LogEndingInFlight(ILogger logger, int inFlight);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Drain time of {Seconds} s is over: aborting {InFlight} request(s) still in flight")]
    private static partial void LogDrainTimeUp(ILogger logger, int inFlight, double seconds);
}

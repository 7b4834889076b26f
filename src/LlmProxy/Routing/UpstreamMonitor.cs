using LlmProxy.Configuration;
using LlmProxy.Metrics;
using LlmProxy.Upstreams;

namespace LlmProxy.Routing;

/// <summary>
/// The background work of many upstreams (docs/upstreams.md, Health, Model lists, Discovery), started with the host
/// and never waited for: start-up does not depend on any upstream. For each monitored upstream, one loop reads its
/// <c>/models</c> at once and then every MODEL_REFRESH_SECONDS (the list, and proof of life); while it is down, it
/// probes instead when each back-off ends. With discovery, one more loop looks for local servers on their usual ports
/// at start and every MODEL_REFRESH_SECONDS.
/// </summary>
internal sealed partial class UpstreamMonitor(
    UpstreamPool pool,
    ModelCatalog catalog,
    ProxySettings settings,
    UpstreamClient client,
    LlmMetrics llmMetrics,
    TimeProvider time,
    ILogger<UpstreamCall> callLogger,
    ILogger<UpstreamMonitor> logger) : BackgroundService
{
    private readonly List<Task> _loops = [];
    private readonly Lock _loopsLock = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the host's start path at once.
        await Task.Yield();
        foreach (var entry in pool.Entries)
        {
            if (entry.Monitored)
            {
                Start(WatchAsync(entry, readFirst: true, stoppingToken));
            }
        }
        if (pool.Mode == UpstreamMode.Discovery)
        {
            Start(DiscoverAsync(stoppingToken));
        }
        while (true)
        {
            Task[] loops;
            lock (_loopsLock)
            {
                loops = [.. _loops];
            }
            await Task.WhenAll(loops);
            lock (_loopsLock)
            {
                if (_loops.Count == loops.Length)
                {
                    return;
                }
            }
        }
    }

    private void Start(Task loop)
    {
        lock (_loopsLock)
        {
            _loops.Add(loop);
        }
    }

    /// <summary>One upstream's loop: read, then wait for the refresh (or for it to go down), then read or probe again.</summary>
    private async Task WatchAsync(UpstreamEntry entry, bool readFirst, CancellationToken stopping)
    {
        var health = entry.Health!;
        try
        {
            if (readFirst)
            {
                await ReadAsync(entry, stopping);
            }
            while (!stopping.IsCancellationRequested)
            {
                if (health.State == UpstreamState.Down)
                {
                    await Task.Delay(health.Backoff, time, stopping);
                    await ReadAsync(entry, stopping);
                    continue;
                }
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var refresh = settings.ModelRefreshInterval > TimeSpan.Zero ? settings.ModelRefreshInterval : Timeout.InfiniteTimeSpan;
                var tick = Task.Delay(refresh, time, wake.Token);
                var down = health.WhenDown;
                await Task.WhenAny(tick, down);
                await wake.CancelAsync();
                if (!down.IsCompleted && !stopping.IsCancellationRequested)
                {
                    await ReadAsync(entry, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogLoopFailed(logger, entry.Name, e);
        }
    }

    /// <summary>
    /// Reads the upstream's list: any answer of a live server is a success for its health (a probe's failure marks it
    /// down at once, or doubles its back-off); a list read updates the catalog.
    /// </summary>
    private async Task ReadAsync(UpstreamEntry entry, CancellationToken stopping)
    {
        var read = await entry.Http!.ListModelsAsync(null, stopping);
        if (stopping.IsCancellationRequested)
        {
            read.Body?.Dispose();
            return;
        }
        var models = Parse(read, out var problem);
        if (read.Alive)
        {
            entry.Health!.Succeeded();
        }
        else
        {
            entry.Health!.ProbeFailed(problem!);
        }
        if (models is null && !entry.FixedModels)
        {
            entry.Metrics?.CatalogRefreshFailed();
            if (read.Alive)
            {
                // A dead server's failure is logged once, when it goes down; a live one without a list is news each time.
                LogListFailed(logger, entry.Name, problem!);
            }
        }
        if (entry.ListRead(models))
        {
            LogListRead(logger, entry.Name, models!.Length);
            catalog.Rebuild();
        }
    }

    /// <summary>Looks for the usual local servers that have not joined yet; each one that answers a model list joins.</summary>
    private async Task DiscoverAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                foreach (var target in DiscoveryTargets.All)
                {
                    // The proxy's own port is not a model server (vLLM's 8000 is also the proxy's default).
                    if (target.Port == settings.Port || pool.Find(target.Name) is not null)
                    {
                        continue;
                    }
                    var definition = new UpstreamDefinition(target.Name, target.BaseUrl, settings.UpstreamOptionsByName.GetValueOrDefault(target.Name));
                    var candidate = new OpenAiCompatUpstream(definition, client, settings, llmMetrics, callLogger);
                    var read = await candidate.ListModelsAsync(null, stopping);
                    var models = Parse(read, out _);
                    if (models is null || stopping.IsCancellationRequested)
                    {
                        continue;
                    }
                    var entry = pool.Add(definition, monitored: true);
                    entry.Health!.Succeeded();
                    entry.ListRead(models);
                    catalog.Rebuild();
                    LogDiscovered(logger, target.Server, definition.DisplayUrl, target.Name, entry.Models?.Length ?? 0);
                    Start(WatchAsync(entry, readFirst: false, stopping));
                }
                if (settings.ModelRefreshInterval <= TimeSpan.Zero)
                {
                    return;
                }
                await Task.Delay(settings.ModelRefreshInterval, time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogLoopFailed(logger, "discovery", e);
        }
    }

    private static CatalogModel[]? Parse(ModelListRead read, out string? problem)
    {
        if (read.Body is not { } body)
        {
            problem = read.Unavailable;
            return null;
        }
        using (body)
        {
            var models = CatalogParser.Parse(body.Memory);
            problem = models is null ? "the answer to /models is not a model list" : null;
            return models;
        }
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "upstream {Upstream} lists {Count} models")]
    private static partial void LogListRead(ILogger logger, string upstream, int count);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "upstream {Upstream}: model list unavailable ({Reason})")]
    private static partial void LogListFailed(ILogger logger, string upstream, string reason);

    [LoggerMessage(EventId = 332, Level = LogLevel.Information, Message = "found {Server} at {Url}: upstream {Upstream} with {Count} models")]
    private static partial void LogDiscovered(ILogger logger, string server, string url, string upstream, int count);

    [LoggerMessage(EventId = 333, Level = LogLevel.Error, Message = "upstream monitor of {Upstream} stopped")]
    private static partial void LogLoopFailed(ILogger logger, string upstream, Exception exception);
}

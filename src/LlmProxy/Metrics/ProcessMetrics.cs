using System.Diagnostics;
using System.Globalization;

namespace LlmProxy.Metrics;

/// <summary>
/// The standard process metrics (names and meanings of the Prometheus client libraries' process collector), read
/// when scraped, never on the request path. On Linux they come from procfs; where a reading does not exist the
/// family is left out instead of reporting a made-up value.
/// </summary>
internal sealed class ProcessMetrics
{
    private const string StatmPath = "/proc/self/statm";
    private const string FdDirectory = "/proc/self/fd";

    public ProcessMetrics(MetricsRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var startTime = StartTimeSeconds();
        registry.Register(new CallbackMetric("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
            MetricType.Counter, () => Environment.CpuUsage.TotalTime.TotalSeconds));
        registry.Register(new CallbackMetric("process_resident_memory_bytes", "Resident memory size in bytes.",
            MetricType.Gauge, ResidentMemoryBytes));
        registry.Register(new CallbackMetric("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
            MetricType.Gauge, () => startTime));
        registry.Register(new CallbackMetric("process_open_fds", "Number of open file descriptors.",
            MetricType.Gauge, OpenFileDescriptors));
    }

    /// <summary>Resident set size: the second field of <c>/proc/self/statm</c> (pages, see proc(5)) times the page size.</summary>
    public static double? ResidentMemoryBytes()
    {
        try
        {
            var fields = File.ReadAllText(StatmPath).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 1 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
            {
                return (double)pages * Environment.SystemPageSize;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        // Not Linux (or procfs hidden): the runtime's own working-set figure is the closest reading.
        return Environment.WorkingSet;
    }

    /// <summary>Entries of <c>/proc/self/fd</c> (the directory handle used to list them included, as other clients count it).</summary>
    public static double? OpenFileDescriptors()
    {
        try
        {
            return Directory.Exists(FdDirectory) ? Directory.EnumerateFileSystemEntries(FdDirectory).Count() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static double StartTimeSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
    }
}

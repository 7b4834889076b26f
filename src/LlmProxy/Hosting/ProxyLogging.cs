using LlmProxy.Configuration;

namespace LlmProxy.Hosting;

/// <summary>
/// Logging (docs/operations.md, Logs): LOG_LEVEL's names mapped onto Microsoft.Extensions.Logging levels, LOG_FORMAT
/// (JSON lines for collectors, one text line per entry for people), and the framework's chatter kept below INFO.
/// </summary>
internal static class ProxyLogging
{
    /// <summary>UTC, to the millisecond, the same in both formats.</summary>
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";

    /// <summary>The category of the host's own start-failure report, which the command line replaces with one line.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    public static void Configure(ILoggingBuilder logging, ProxySettings settings, StartupGate startup)
    {
        var level = FromName(settings.LogLevel);
        logging.ClearProviders();
        if (UsesJson(settings.LogFormat, Console.IsOutputRedirected))
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = TimestampFormat;
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = TimestampFormat + " ";
            });
        }
        logging.SetMinimumLevel(level);
        // The framework's per-request chatter, and its start-up lines ("Hosting environment", "Content root path",
        // "Application started. Press Ctrl+C"), stay out of the log unless DEBUG asks for them: the start line says
        // what a person needs (StartBanner).
        var frameworkLevel = level <= LogLevel.Debug ? level : LogLevel.Warning;
        logging.AddFilter("Microsoft.AspNetCore", frameworkLevel);
        logging.AddFilter("Microsoft.Hosting.Lifetime", frameworkLevel);
        // Until the server listens, a failure to start is reported by the command line as one line (a port in use
        // would otherwise print the host's error with its stack trace, and then the exception again).
        logging.AddFilter(HostCategory, l => l >= level && (l < LogLevel.Error || startup.IsOpen));
    }

    /// <summary>LOG_FORMAT=auto: text for a person at a terminal, JSON lines when stdout goes to a pipe or a file.</summary>
    public static bool UsesJson(LogFormat format, bool stdoutRedirected) => format switch
    {
        LogFormat.Json => true,
        LogFormat.Text => false,
        _ => stdoutRedirected,
    };

    /// <summary>LOG_LEVEL's names (Python's, as the classic settings have them).</summary>
    public static LogLevel FromName(string name) => name switch
    {
        "DEBUG" => LogLevel.Debug,
        "INFO" => LogLevel.Information,
        "WARNING" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" => LogLevel.Critical,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown log level"),
    };
}

/// <summary>Closed until the application has started (see <see cref="ProxyLogging.Configure"/>); opened once.</summary>
internal sealed class StartupGate
{
    private volatile bool _open;

    public bool IsOpen => _open;

    public void Open() => _open = true;
}

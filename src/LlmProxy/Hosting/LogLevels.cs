namespace LlmProxy.Hosting;

/// <summary>The contract's LOG_LEVEL names (Python's) mapped onto Microsoft.Extensions.Logging levels.</summary>
public static class LogLevels
{
    public static LogLevel FromContractName(string name) => name switch
    {
        "DEBUG" => LogLevel.Debug,
        "INFO" => LogLevel.Information,
        "WARNING" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" => LogLevel.Critical,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown log level"),
    };
}

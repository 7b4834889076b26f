using LlmProxy.Configuration;

namespace LlmProxy.Http;

/// <summary>
/// LOG_REQUESTS (docs/operations.md, Request log): one line per request once it is over, after the error handler and
/// after the last event of a stream, with the final status of <see cref="RequestOutcome"/>. Only these fields are ever
/// logged: never headers (so never <c>Authorization</c> or a key) and never a body (so never message content). In key
/// mode <c>key</c> is the key's name from the keys file, never the key or anything derived from it.
/// </summary>
internal sealed partial class RequestLog
{
    public const string Category = "LlmProxy.RequestLog";

    private readonly ILogger _logger;
    private readonly bool _enabled;

    public RequestLog(ProxySettings settings, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger(Category);
        _enabled = settings.LogRequests;
    }

    public void Write(HttpContext context, RequestOutcome outcome)
    {
        if (!_enabled || !_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }
        var durationMs = Math.Round(outcome.Duration.TotalMilliseconds, 3);
        var path = context.Request.Path.Value ?? "/";
        var client = context.Connection.RemoteIpAddress?.ToString();
        Request(_logger, context.TraceIdentifier, context.Request.Method, path, outcome.Status, durationMs, outcome.Model, outcome.Provider, outcome.Attempts, client, outcome.KeyName);
    }

    // With the JSON console formatter each placeholder becomes a field of State; the formatter adds timestamp and level.
    [LoggerMessage(
        EventId = 1000,
        EventName = "request",
        Level = LogLevel.Information,
        Message = "{Method} {Path} {Status} {DurationMs} ms request_id={RequestId} model={Model} provider={Provider} attempts={Attempts} client={Client} key={Key}")]
    private static partial void Request(
        ILogger logger,
        string requestId,
        string method,
        string path,
        int status,
        double durationMs,
        string? model,
        string? provider,
        int attempts,
        string? client,
        string? key);
}

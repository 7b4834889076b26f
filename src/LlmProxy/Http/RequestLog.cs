namespace LlmProxy.Http;

/// <summary>
/// The request log line of CONTRACT §7, source-generated. With the JSON console formatter each placeholder becomes a
/// field of <c>State</c>; the formatter adds the timestamp and level. Only these fields are ever logged: never
/// headers (so never <c>Authorization</c> or a key) and never a body (so never message content).
/// </summary>
public static partial class RequestLog
{
    public const string Category = "LlmProxy.RequestLog";

    [LoggerMessage(
        EventId = 1000,
        EventName = "request",
        Level = LogLevel.Information,
        Message = "{Method} {Path} {Status} {DurationMs} ms request_id={RequestId} model={Model} provider={Provider} client={Client}")]
    public static partial void Request(
        ILogger logger,
        string requestId,
        string method,
        string path,
        int status,
        double durationMs,
        string? model,
        string? provider,
        string? client);
}

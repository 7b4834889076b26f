namespace LlmProxy.Configuration;

/// <summary>REDIS_FAILURE_MODE: what a limited route does while Redis cannot be reached.</summary>
internal enum StoreFailureMode
{
    /// <summary>Admit and count in this replica (limits hold per replica until Redis is back).</summary>
    Open,

    /// <summary>Refuse with 503: no request goes uncounted, at the price of an outage when Redis is down.</summary>
    Closed,
}

internal static class StoreFailureModes
{
    /// <summary>Parses "open" or "closed" (any case); <paramref name="error"/> names the accepted values.</summary>
    public static bool TryParse(string? text, out StoreFailureMode mode, out string? error)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "open":
                mode = StoreFailureMode.Open;
                error = null;
                return true;
            case "closed":
                mode = StoreFailureMode.Closed;
                error = null;
                return true;
            default:
                mode = StoreFailureMode.Open;
                error = "expected open or closed";
                return false;
        }
    }

    public static string Name(this StoreFailureMode mode) => mode == StoreFailureMode.Closed ? "closed" : "open";
}

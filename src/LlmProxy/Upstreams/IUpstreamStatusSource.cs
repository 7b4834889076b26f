namespace LlmProxy.Upstreams;

/// <summary>
/// The upstreams an operator should see (the /ui page's upstream table, docs/observability.md): each with its state,
/// load and queue. One small interface so the page does not care who knows: today the single OpenAI-compatible
/// upstream when routing reaches it; a registry of named upstreams implements the same.
/// </summary>
internal interface IUpstreamStatusSource
{
    /// <summary>A snapshot, in the order the upstreams are configured.</summary>
    IReadOnlyList<UpstreamStatus> Snapshot();
}

/// <summary>One upstream as the /ui page shows it.</summary>
/// <param name="Url">The base URL without user info (which may hold a password).</param>
/// <param name="Models">How many models it serves, or null when not known.</param>
/// <param name="MaxConcurrency">Requests it may serve at once; 0 = unlimited.</param>
internal sealed record UpstreamStatus(
    string Name,
    string Url,
    UpstreamHealth State,
    int? Models,
    int InFlight,
    int Queued,
    int Priority,
    int MaxConcurrency);

internal static class UpstreamHealthNames
{
    public static string Name(this UpstreamHealth health) => health switch
    {
        UpstreamHealth.Up => "up",
        UpstreamHealth.Down => "down",
        _ => "unknown",
    };

    /// <summary>A URL to show: scheme, host, port and path, never user info, query or fragment.</summary>
    public static string Display(Uri url) => $"{url.Scheme}://{url.Authority}{url.AbsolutePath.TrimEnd('/')}";
}

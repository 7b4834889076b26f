namespace LlmProxy.Metrics;

/// <summary>HTTP status codes as label text, made once so recording a status never formats a number.</summary>
public static class StatusCodeLabels
{
    /// <summary>
    /// The client closed the connection before the answer was complete. nginx's 499 "client closed request" is the
    /// convention operators already read in dashboards; no HTTP response carries it.
    /// </summary>
    public const int ClientClosedRequest = 499;

    private static readonly string[] Labels = [.. Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>"100"…"599"; anything else (never sent by Kestrel in practice) is "other".</summary>
    public static string For(int status) => status is >= 100 and < 600 ? Labels[status] : LabelValueCap.Other;
}

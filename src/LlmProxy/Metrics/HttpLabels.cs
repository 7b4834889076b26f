namespace LlmProxy.Metrics;

/// <summary>
/// The <c>method</c> label: the standard methods of RFC 9110 §9 plus PATCH (RFC 5789) by their canonical upper-case
/// name, anything else one value, so a client inventing methods cannot create series.
/// </summary>
internal static class HttpMethodLabels
{
    public const string Other = "other";

    public static string For(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsOptions(method) ? HttpMethods.Options
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : HttpMethods.IsPatch(method) ? HttpMethods.Patch
        : HttpMethods.IsTrace(method) ? HttpMethods.Trace
        : HttpMethods.IsConnect(method) ? HttpMethods.Connect
        : Other;
}

/// <summary>HTTP status codes as label text, made once so recording a status never formats a number.</summary>
internal static class StatusCodeLabels
{
    private static readonly string[] Labels = [.. Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>"100"…"599" (499 included: the client left); anything else (never sent by Kestrel in practice) is "other".</summary>
    public static string For(int status) => status is >= 100 and < 600 ? Labels[status] : LabelValueCap.Other;
}

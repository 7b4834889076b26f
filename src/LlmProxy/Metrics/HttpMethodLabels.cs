namespace LlmProxy.Metrics;

/// <summary>
/// The <c>method</c> label: the standard methods of RFC 9110 §9 plus PATCH (RFC 5789) by their canonical upper-case
/// name, anything else one value, so a client inventing methods cannot create series.
/// </summary>
public static class HttpMethodLabels
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

namespace LlmProxy.Http.Tracing;

/// <summary>
/// Span attribute and event names (docs/observability.md, Traces): the OpenTelemetry semantic conventions for GenAI
/// client spans (gen_ai.*), HTTP (http.*, server.*, error.type), and the proxy's own under <c>llm_proxy.</c>.
/// </summary>
internal static class TraceAttributes
{
    public const string GenAiOperationName = "gen_ai.operation.name";
    public const string GenAiProviderName = "gen_ai.provider.name";
    public const string GenAiRequestModel = "gen_ai.request.model";
    public const string GenAiResponseModel = "gen_ai.response.model";
    public const string GenAiInputTokens = "gen_ai.usage.input_tokens";
    public const string GenAiOutputTokens = "gen_ai.usage.output_tokens";

    /// <summary>The event on an attempt span when the first streamed event arrived.</summary>
    public const string FirstTokenEvent = "gen_ai.first_token";

    /// <summary>On <see cref="FirstTokenEvent"/>: seconds from sending the request upstream to the first event.</summary>
    public const string TimeToFirstToken = "gen_ai.server.time_to_first_token";

    public const string HttpRequestMethod = "http.request.method";
    public const string HttpRoute = "http.route";
    public const string HttpResponseStatusCode = "http.response.status_code";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ErrorType = "error.type";

    /// <summary>The upstream's name as routing knows it (<c>stub</c>, <c>ollama</c>, a named upstream).</summary>
    public const string Upstream = "llm_proxy.upstream";

    /// <summary>The request's <c>x-request-id</c>, to find its log line.</summary>
    public const string RequestId = "llm_proxy.request_id";

    /// <summary>The longest model name put into a span name or attribute: clients choose it (as the metrics cap it).</summary>
    public const int MaxModelLength = 128;

    public static string CapModel(string model) => model.Length > MaxModelLength ? model[..MaxModelLength] : model;
}

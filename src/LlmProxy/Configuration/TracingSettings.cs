namespace LlmProxy.Configuration;

/// <summary>
/// Traces over OTLP (docs/observability.md, Traces): present only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) is set and tracing is not switched off; the proxy registers the
/// OpenTelemetry SDK only then. <see cref="SdkVariables"/> are the standard <c>OTEL_*</c> variables as resolved
/// (environment over env file, validated, with the proxy's defaults filled in), handed to the SDK as configuration.
/// </summary>
/// <remarks>
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c> usually carries a collector's API key: <see cref="ToString"/> names only the
/// endpoint (without user info) and the protocol, never a header or any other value.
/// </remarks>
internal sealed class TracingSettings(
    Uri endpoint, string protocol, IReadOnlyDictionary<string, string> sdkVariables, OtlpTracesOverrides? tracesOverrides = null)
{
    /// <summary><c>OTEL_EXPORTER_OTLP_PROTOCOL</c> when it is not set: OTLP over HTTP with protobuf, as the OpenTelemetry specification's default.</summary>
    public const string DefaultProtocol = "http/protobuf";

    /// <summary><c>service.name</c> when neither <c>OTEL_SERVICE_NAME</c> nor <c>OTEL_RESOURCE_ATTRIBUTES</c> names one.</summary>
    public const string DefaultServiceName = "llm-proxy";

    /// <summary>Where spans go (the traces endpoint when set, else the base endpoint).</summary>
    public Uri Endpoint { get; } = endpoint;

    /// <summary><c>grpc</c> or <c>http/protobuf</c>.</summary>
    public string Protocol { get; } = protocol;

    /// <summary>The <c>OTEL_*</c> variables for the SDK (secrets included: only the SDK reads them).</summary>
    public IReadOnlyDictionary<string, string> SdkVariables { get; } = sdkVariables;

    /// <summary>
    /// The <c>OTEL_EXPORTER_OTLP_TRACES_*</c> values. The .NET exporter registered for traces alone reads only the
    /// general <c>OTEL_EXPORTER_OTLP_*</c> variables from configuration, so these are applied to its options in code.
    /// </summary>
    public OtlpTracesOverrides TracesOverrides { get; } = tracesOverrides ?? new();

    public override string ToString() =>
        $"TracingSettings {{ Endpoint = {Endpoint.Scheme}://{Endpoint.Authority}{Endpoint.AbsolutePath}, Protocol = {Protocol} }}";
}

/// <summary>The traces-only OTLP settings, each null when its <c>OTEL_EXPORTER_OTLP_TRACES_*</c> variable is not set.</summary>
/// <param name="Endpoint">Used as it is: the full URL spans are sent to (no <c>/v1/traces</c> appended).</param>
/// <param name="Headers">A secret (collector keys).</param>
internal sealed record OtlpTracesOverrides(Uri? Endpoint = null, string? Protocol = null, string? Headers = null, int? TimeoutMilliseconds = null)
{
    /// <summary>Only whether the headers are set.</summary>
    public override string ToString() =>
        $"OtlpTracesOverrides {{ Endpoint = {Endpoint?.GetLeftPart(UriPartial.Path) ?? "(not set)"}, Protocol = {Protocol ?? "(not set)"}, Headers = {(Headers is null ? "(not set)" : "(set)")}, TimeoutMilliseconds = {TimeoutMilliseconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(not set)"} }}";
}

using LlmProxy.Configuration;
using LlmProxy.Upstreams;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace LlmProxy.Hosting;

/// <summary>
/// Traces over OTLP (docs/observability.md, Traces). Only with <see cref="ProxySettings.Tracing"/> set (an
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) is the OpenTelemetry SDK registered at all; otherwise no
/// <c>ActivityListener</c> exists, ASP.NET Core creates no request activity for tracing and every span the proxy
/// would start is one <c>HasListeners()</c> check that says no.
/// </summary>
internal static class ProxyTracing
{
    /// <summary>ASP.NET Core's request activities: the SERVER span of each request, W3C <c>traceparent</c> continued.</summary>
    public const string AspNetCoreSource = "Microsoft.AspNetCore";

    public static void AddProxyTracing(this WebApplicationBuilder builder, ProxySettings settings)
    {
        if (settings.Tracing is not { } tracing)
        {
            return;
        }
        // The SDK reads the standard OTEL_* variables from configuration: hand it the resolved ones (environment over
        // env file, validated, the proxy's defaults filled in), added last so they win over the raw environment.
        builder.Configuration.AddInMemoryCollection(tracing.SdkVariables.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        builder.Services.AddOpenTelemetry()
            .WithTracing(traces => traces
                .AddSource(AspNetCoreSource)
                .AddSource(UpstreamTracing.SourceName)
                .AddOtlpExporter(otlp => ApplyTracesOverrides(otlp, tracing.TracesOverrides)));
    }

    /// <summary>
    /// The exporter registered for traces alone reads only the general <c>OTEL_EXPORTER_OTLP_*</c> variables from
    /// configuration; the <c>_TRACES_</c> ones, which the specification says win, are applied here. A traces endpoint
    /// set in code is used as it is, which is what the specification asks of that variable.
    /// </summary>
    internal static void ApplyTracesOverrides(OtlpExporterOptions otlp, OtlpTracesOverrides overrides)
    {
        if (overrides.Protocol is { } protocol)
        {
            otlp.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        }
        if (overrides.Endpoint is { } endpoint)
        {
            otlp.Endpoint = endpoint;
        }
        if (overrides.Headers is { } headers)
        {
            otlp.Headers = headers;
        }
        if (overrides.TimeoutMilliseconds is { } timeout)
        {
            otlp.TimeoutMilliseconds = timeout;
        }
    }
}

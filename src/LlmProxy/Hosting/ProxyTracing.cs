using LlmProxy.Configuration;
using LlmProxy.Upstreams;
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
                .AddOtlpExporter());
    }
}

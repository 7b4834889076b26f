using System.Globalization;
using LlmProxy.Configuration;

namespace LlmProxy.Cli;

/// <summary>
/// The standard OpenTelemetry variables (docs/configuration.md, Traces; the names and values of the OpenTelemetry
/// specification's "Environment Variable Specification" and "OTLP Exporter Configuration"). They have no flag: they
/// are read from the environment and the env file (the environment wins), like every OpenTelemetry SDK reads them.
/// The ones whose mistakes would otherwise show only as spans that never arrive are checked here, so a bad value
/// stops the start with exit 2 and one line naming the variable; the SDK reads the rest (batching, limits) itself.
/// </summary>
internal static class TracingSettingsResolver
{
    public const string Prefix = "OTEL_";
    public const string Endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string Protocol = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string TracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
    public const string Headers = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string TracesHeaders = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
    public const string Timeout = "OTEL_EXPORTER_OTLP_TIMEOUT";
    public const string TracesTimeout = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT";
    public const string ServiceName = "OTEL_SERVICE_NAME";
    public const string ResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES";
    public const string Sampler = "OTEL_TRACES_SAMPLER";
    public const string SamplerArg = "OTEL_TRACES_SAMPLER_ARG";
    public const string SdkDisabled = "OTEL_SDK_DISABLED";
    public const string TracesExporter = "OTEL_TRACES_EXPORTER";

    private static readonly string[] Samplers =
        ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"];

    /// <returns>The tracing settings, or null when tracing is off (no endpoint, OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=none).</returns>
    public static TracingSettings? Resolve(IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string> envFile)
    {
        var values = new Dictionary<string, RawValue>(StringComparer.Ordinal);
        foreach (var (name, value) in envFile)
        {
            if (name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                values[name] = new RawValue(value, $"{name} (from --env-file)", IsSecret(name, value));
            }
        }
        foreach (var (name, value) in environment)
        {
            if (name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                values[name] = new RawValue(value, name, IsSecret(name, value));
            }
        }
        // An empty variable is an unset one (the specification says so, and `FOO=` in a compose file means "none").
        foreach (var name in values.Where(v => v.Value.Value.Trim().Length == 0).Select(v => v.Key).ToList())
        {
            values.Remove(name);
        }

        // Every value is checked, even when tracing ends up off: a typo is reported where it is, not when it is first used.
        var disabled = values.TryGetValue(SdkDisabled, out var d) && SettingsResolver.ParseBool(d);
        var exporter = values.TryGetValue(TracesExporter, out var e) ? ParseExporter(e) : "otlp";
        var endpoint = values.TryGetValue(Endpoint, out var ep) ? ParseEndpoint(ep) : null;
        var tracesEndpoint = values.TryGetValue(TracesEndpoint, out var tep) ? ParseEndpoint(tep) : null;
        var baseProtocol = values.TryGetValue(Protocol, out var p) ? ParseProtocol(p) : null;
        var tracesProtocol = values.TryGetValue(TracesProtocol, out var tp) ? ParseProtocol(tp) : null;
        var protocol = tracesProtocol ?? baseProtocol ?? TracingSettings.DefaultProtocol;
        if (values.TryGetValue(Headers, out var h))
        {
            CheckHeaders(h);
        }
        var tracesHeaders = values.TryGetValue(TracesHeaders, out var th) ? CheckHeaders(th) : null;
        if (values.TryGetValue(Timeout, out var t))
        {
            ParseTimeout(t);
        }
        int? tracesTimeout = values.TryGetValue(TracesTimeout, out var tt) ? ParseTimeout(tt) : null;
        if (values.TryGetValue(ResourceAttributes, out var ra))
        {
            CheckResourceAttributes(ra);
        }
        var sampler = values.TryGetValue(Sampler, out var s) ? ParseSampler(s) : null;
        if (values.TryGetValue(SamplerArg, out var sa))
        {
            CheckSamplerArg(sa, sampler);
        }

        var target = tracesEndpoint ?? endpoint;
        if (disabled || exporter == "none" || target is null)
        {
            return null;
        }

        var sdk = values.ToDictionary(v => v.Key, v => v.Value.Value.Trim(), StringComparer.Ordinal);
        // The .NET exporter's own default is gRPC on 4317; the specification's (and most collectors' quick starts) is
        // OTLP/HTTP on 4318. Say which one explicitly so the SDK never guesses differently from the documentation.
        if (!sdk.ContainsKey(Protocol) && !sdk.ContainsKey(TracesProtocol))
        {
            sdk[Protocol] = TracingSettings.DefaultProtocol;
        }
        var attributes = sdk.GetValueOrDefault(ResourceAttributes, "");
        if (!sdk.ContainsKey(ServiceName) && !HasAttribute(attributes, "service.name"))
        {
            sdk[ServiceName] = TracingSettings.DefaultServiceName;
        }
        if (!HasAttribute(attributes, "service.version"))
        {
            sdk[ResourceAttributes] = (attributes.Length > 0 ? attributes + "," : "") + "service.version=" + ProxyVersion.Text;
        }
        return new TracingSettings(target, protocol, sdk, new OtlpTracesOverrides(tracesEndpoint, tracesProtocol, tracesHeaders, tracesTimeout));
    }

    /// <summary>
    /// Headers carry collector keys; an endpoint with user info carries a password: their values are never echoed in
    /// an error line.
    /// </summary>
    private static bool IsSecret(string name, string value) =>
        name.EndsWith("_HEADERS", StringComparison.Ordinal) || (name.EndsWith("_ENDPOINT", StringComparison.Ordinal) && value.Contains('@', StringComparison.Ordinal));

    private static Uri ParseEndpoint(RawValue raw)
    {
        var text = raw.Value.Trim();
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0 && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment))
        {
            return uri;
        }
        throw raw.Invalid("expected an absolute http:// or https:// URL of an OTLP collector, such as http://localhost:4318");
    }

    private static string ParseProtocol(RawValue raw) => raw.Value.Trim() switch
    {
        "http/protobuf" => "http/protobuf",
        "grpc" => "grpc",
        "http/json" => throw raw.Invalid("http/json is not supported by the OpenTelemetry .NET exporter; use http/protobuf or grpc"),
        _ => throw raw.Invalid("expected http/protobuf or grpc"),
    };

    private static string ParseExporter(RawValue raw) => raw.Value.Trim() switch
    {
        "otlp" => "otlp",
        "none" => "none",
        _ => throw raw.Invalid("expected otlp or none (the proxy exports traces over OTLP only)"),
    };

    /// <summary>W3C Baggage-style <c>key=value</c> pairs, comma-separated (the specification's format for OTLP headers).</summary>
    private static string CheckHeaders(RawValue raw)
    {
        foreach (var pair in raw.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || pair[..eq].Trim().Length == 0)
            {
                throw raw.Invalid("expected comma-separated key=value pairs, such as api-key=... or authorization=Bearer%20...");
            }
        }
        return raw.Value.Trim();
    }

    private static int ParseTimeout(RawValue raw) =>
        int.TryParse(raw.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? ms
            : throw raw.Invalid("expected a positive whole number of milliseconds");

    private static void CheckResourceAttributes(RawValue raw)
    {
        foreach (var pair in raw.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw raw.Invalid($"'{pair}' is not key=value (expected pairs such as deployment.environment=prod,team=ml)");
            }
        }
    }

    private static string ParseSampler(RawValue raw)
    {
        var sampler = raw.Value.Trim();
        return Samplers.Contains(sampler, StringComparer.Ordinal)
            ? sampler
            : throw raw.Invalid($"expected one of {string.Join(", ", Samplers)}");
    }

    private static void CheckSamplerArg(RawValue raw, string? sampler)
    {
        // The argument means something to the ratio samplers only; the specification has the others ignore it.
        if (sampler is null || !sampler.EndsWith("traceidratio", StringComparison.Ordinal))
        {
            return;
        }
        if (!double.TryParse(raw.Value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var ratio) || ratio is < 0 or > 1)
        {
            throw raw.Invalid("expected a sampling ratio from 0 to 1, such as 0.1");
        }
    }

    private static bool HasAttribute(string attributes, string key)
    {
        foreach (var pair in attributes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && pair[..eq].Trim() == key)
            {
                return true;
            }
        }
        return false;
    }
}

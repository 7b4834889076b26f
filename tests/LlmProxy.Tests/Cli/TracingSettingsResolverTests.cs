using LlmProxy.Cli;
using LlmProxy.Configuration;

namespace LlmProxy.Tests.Cli;

/// <summary>The standard OTEL_* variables (docs/configuration.md, Traces): when tracing is on, what the SDK is handed, and what stops the start.</summary>
public class TracingSettingsResolverTests
{
    private static TracingSettings? Resolve(Dictionary<string, string> env, Dictionary<string, string>? file = null) =>
        TracingSettingsResolver.Resolve(env, file ?? []);

    private static string Refused(Dictionary<string, string> env, Dictionary<string, string>? file = null) =>
        Assert.Throws<SettingsException>(() => Resolve(env, file)).Message;

    [Fact]
    public void Without_an_endpoint_tracing_is_off_whatever_else_is_set()
    {
        Assert.Null(Resolve([]));
        Assert.Null(Resolve(new() { ["OTEL_SERVICE_NAME"] = "x", ["OTEL_TRACES_SAMPLER"] = "always_on" }));
        Assert.Null(Resolve(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "" }));
    }

    [Fact]
    public void An_endpoint_turns_it_on_with_http_protobuf_and_the_service_name_llm_proxy()
    {
        var tracing = Resolve(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318" })!;
        Assert.Equal(new Uri("http://collector:4318"), tracing.Endpoint);
        Assert.Equal("http/protobuf", tracing.Protocol);
        Assert.Equal("http/protobuf", tracing.SdkVariables["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("llm-proxy", tracing.SdkVariables["OTEL_SERVICE_NAME"]);
        Assert.Equal("service.version=" + ProxyVersion.Text, tracing.SdkVariables["OTEL_RESOURCE_ATTRIBUTES"]);
    }

    [Fact]
    public void The_traces_endpoint_alone_also_turns_it_on_and_wins_over_the_base_one()
    {
        Assert.Equal(new Uri("https://t.example/v1/traces"), Resolve(new() { ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "https://t.example/v1/traces" })!.Endpoint);
        var both = Resolve(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://a:4318", ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://b:4318/v1/traces" })!;
        Assert.Equal("b", both.Endpoint.Host);
        Assert.Equal(new Uri("http://b:4318/v1/traces"), both.TracesOverrides.Endpoint);
    }

    [Fact]
    public void The_traces_variables_are_applied_to_the_exporter_over_the_general_ones()
    {
        var tracing = Resolve(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://a:4317",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://b:4318/custom/traces",
            ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] = "api-key=k",
            ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] = "2500",
        })!;
        Assert.Equal("http/protobuf", tracing.Protocol);
        var options = new OpenTelemetry.Exporter.OtlpExporterOptions();
        LlmProxy.Hosting.ProxyTracing.ApplyTracesOverrides(options, tracing.TracesOverrides);
        Assert.Equal(new Uri("http://b:4318/custom/traces"), options.Endpoint);
        Assert.Equal(OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf, options.Protocol);
        Assert.Equal("api-key=k", options.Headers);
        Assert.Equal(2500, options.TimeoutMilliseconds);
        Assert.DoesNotContain("api-key", tracing.TracesOverrides.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_users_own_choices_are_handed_over_unchanged()
    {
        var tracing = Resolve(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_SERVICE_NAME"] = "gateway-eu",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=prod,service.version=9",
            ["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio",
            ["OTEL_TRACES_SAMPLER_ARG"] = "0.25",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["NOT_OTEL"] = "ignored",
        })!;
        Assert.Equal("grpc", tracing.Protocol);
        Assert.Equal("gateway-eu", tracing.SdkVariables["OTEL_SERVICE_NAME"]);
        Assert.Equal("deployment.environment=prod,service.version=9", tracing.SdkVariables["OTEL_RESOURCE_ATTRIBUTES"]);
        Assert.Equal("0.25", tracing.SdkVariables["OTEL_TRACES_SAMPLER_ARG"]);
        Assert.Equal("1000", tracing.SdkVariables["OTEL_BSP_SCHEDULE_DELAY"]);
        Assert.False(tracing.SdkVariables.ContainsKey("NOT_OTEL"));
    }

    [Fact]
    public void A_service_name_in_the_resource_attributes_is_kept()
    {
        var tracing = Resolve(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://c:4318", ["OTEL_RESOURCE_ATTRIBUTES"] = "service.name=edge" })!;
        Assert.False(tracing.SdkVariables.ContainsKey("OTEL_SERVICE_NAME"));
    }

    [Fact]
    public void The_env_file_counts_and_the_environment_wins_over_it()
    {
        var file = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://from-file:4318", ["OTEL_SERVICE_NAME"] = "file" };
        var fromFile = Resolve([], file)!;
        Assert.Equal("from-file", fromFile.Endpoint.Host);
        Assert.Equal("file", fromFile.SdkVariables["OTEL_SERVICE_NAME"]);
        var both = Resolve(new() { ["OTEL_SERVICE_NAME"] = "env" }, file)!;
        Assert.Equal("env", both.SdkVariables["OTEL_SERVICE_NAME"]);
    }

    [Theory]
    [InlineData("OTEL_SDK_DISABLED", "true")]
    [InlineData("OTEL_TRACES_EXPORTER", "none")]
    public void Tracing_can_be_switched_off_the_standard_ways(string variable, string value) =>
        Assert.Null(Resolve(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://c:4318", [variable] = value }));

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "invalid OTEL_EXPORTER_OTLP_ENDPOINT='collector:4318': expected an absolute http:// or https:// URL")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c", "invalid OTEL_EXPORTER_OTLP_ENDPOINT='ftp://c'")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url", "invalid OTEL_EXPORTER_OTLP_TRACES_ENDPOINT='not a url'")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "invalid OTEL_EXPORTER_OTLP_PROTOCOL='http/json': http/json is not supported")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "udp", "invalid OTEL_EXPORTER_OTLP_PROTOCOL='udp': expected http/protobuf or grpc")]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT", "5s", "invalid OTEL_EXPORTER_OTLP_TIMEOUT='5s': expected a positive whole number of milliseconds")]
    [InlineData("OTEL_TRACES_SAMPLER", "sometimes", "invalid OTEL_TRACES_SAMPLER='sometimes': expected one of always_on")]
    [InlineData("OTEL_RESOURCE_ATTRIBUTES", "team", "invalid OTEL_RESOURCE_ATTRIBUTES='team': 'team' is not key=value")]
    [InlineData("OTEL_SDK_DISABLED", "maybe", "invalid OTEL_SDK_DISABLED='maybe'")]
    [InlineData("OTEL_TRACES_EXPORTER", "zipkin", "invalid OTEL_TRACES_EXPORTER='zipkin': expected otlp or none")]
    public void A_bad_value_stops_the_start_naming_the_variable(string variable, string value, string expected)
    {
        var env = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://c:4318", [variable] = value };
        Assert.StartsWith(expected, Refused(env), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_value_is_reported_even_while_tracing_is_off()
    {
        Assert.StartsWith("invalid OTEL_TRACES_SAMPLER=", Refused(new() { ["OTEL_TRACES_SAMPLER"] = "often" }), StringComparison.Ordinal);
    }

    [Fact]
    public void The_sampler_argument_must_be_a_ratio_for_the_ratio_samplers_only()
    {
        var env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://c:4318",
            ["OTEL_TRACES_SAMPLER"] = "traceidratio",
            ["OTEL_TRACES_SAMPLER_ARG"] = "1.5",
        };
        Assert.StartsWith("invalid OTEL_TRACES_SAMPLER_ARG='1.5': expected a sampling ratio from 0 to 1", Refused(env), StringComparison.Ordinal);
        env["OTEL_TRACES_SAMPLER"] = "always_on";
        Assert.NotNull(Resolve(env));
    }

    [Fact]
    public void A_bad_value_from_the_env_file_names_the_file()
    {
        var message = Refused([], new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "localhost" });
        Assert.StartsWith("invalid OTEL_EXPORTER_OTLP_ENDPOINT (from --env-file)='localhost'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Headers_are_a_secret_never_echoed_nor_shown_by_the_settings()
    {
        const string Key = "api-key=sk-collector-5ecret";
        var message = Refused(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://c:4318", ["OTEL_EXPORTER_OTLP_HEADERS"] = "sk-collector-5ecret" });
        Assert.Equal("invalid OTEL_EXPORTER_OTLP_HEADERS: expected comma-separated key=value pairs, such as api-key=... or authorization=Bearer%20...", message);

        var tracing = Resolve(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://user:pw-5ecret@c:4318", ["OTEL_EXPORTER_OTLP_HEADERS"] = Key })!;
        Assert.Equal(Key, tracing.SdkVariables["OTEL_EXPORTER_OTLP_HEADERS"]);
        var shown = new ProxySettings { Tracing = tracing }.ToString();
        Assert.Contains("Tracing = TracingSettings { Endpoint = http://c:4318/, Protocol = http/protobuf }", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("5ecret", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void An_endpoint_with_a_password_is_not_echoed_when_refused()
    {
        var message = Refused(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "udp://user:pw-5ecret@c:4318" });
        Assert.DoesNotContain("5ecret", message, StringComparison.Ordinal);
        Assert.StartsWith("invalid OTEL_EXPORTER_OTLP_ENDPOINT: ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_line_resolves_the_variables_into_the_settings()
    {
        var env = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://c:4318" };
        var root = ProxyCommandLine.CreateRoot(env, TextWriter.Null, TextWriter.Null);
        var settings = SettingsResolver.Resolve(root.Parse([]), env, ProxyCommandLine.EnvFileOption, _ => throw new FileNotFoundException());
        Assert.Equal("c", settings.Tracing!.Endpoint.Host);
        Assert.Null(SettingsResolver.Resolve(root.Parse([]), new Dictionary<string, string>(), ProxyCommandLine.EnvFileOption, _ => "").Tracing);
    }
}

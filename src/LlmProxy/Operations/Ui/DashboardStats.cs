using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Metrics;
using LlmProxy.Routing;
using LlmProxy.Upstreams;

namespace LlmProxy.Operations.Ui;

/// <summary>
/// The document behind the /ui page, <c>GET /ui/stats.json</c> (docs/observability.md, /ui/stats.json): written
/// field by field with a <see cref="Utf8JsonWriter"/> from the metric series themselves, the history ring, the recent
/// requests ring and the upstreams' state. It has no field that could hold a key, a header, a client address or a
/// message: the JSON cannot leak what it does not carry.
/// </summary>
internal sealed class DashboardStats(
    HttpMetrics http, LlmMetrics llm, RecentRequests recent, DashboardHistory history, UpstreamPool upstreams,
    HealthState health, TimeProvider time)
{
    public void Write(Utf8JsonWriter json)
    {
        var now = time.GetUtcNow();
        var totals = DashboardTotals.Read(http, llm);
        json.WriteStartObject();
        json.WriteString("version", ProxyVersion.Text);
        json.WriteNumber("uptime_seconds", health.UptimeSeconds);
        json.WriteString("time", Iso(now));

        json.WriteStartObject("totals");
        json.WriteNumber("requests", totals.Requests);
        json.WriteNumber("errors", totals.Errors);
        json.WriteNumber("client_errors", totals.ClientErrors);
        json.WriteNumber("streams_open", llm.StreamsInFlight);
        // http_requests_in_flight counts this very request too; the page should not see itself as traffic.
        json.WriteNumber("in_flight", Math.Max(0, http.InFlight.Value - 1));
        json.WriteNumber("prompt_tokens", totals.PromptTokens);
        json.WriteNumber("completion_tokens", totals.CompletionTokens);
        json.WriteNumber("rate_limited", totals.RateLimited);
        json.WriteEndObject();

        json.WriteStartArray("history");
        foreach (var point in history.Snapshot())
        {
            json.WriteStartObject();
            json.WriteNumber("t", point.UnixSeconds);
            json.WriteNumber("requests", point.Requests);
            json.WriteNumber("errors", point.Errors);
            json.WriteNumber("completion_tokens", point.CompletionTokens);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("upstreams");
        foreach (var upstream in upstreams.Statuses())
        {
            json.WriteStartObject();
            json.WriteString("name", upstream.Name);
            json.WriteString("url", upstream.Url);
            json.WriteString("state", upstream.State);
            WriteNumberOrNull(json, "models", upstream.Models);
            json.WriteNumber("in_flight", upstream.InFlight);
            json.WriteNumber("queued", upstream.Queued);
            json.WriteNumber("priority", upstream.Priority);
            json.WriteNumber("max_concurrency", upstream.MaxConcurrency);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("models");
        foreach (var model in DashboardModels.Read(llm))
        {
            json.WriteStartObject();
            json.WriteString("model", model.Model);
            json.WriteString("provider", model.Provider);
            json.WriteNumber("requests", model.Requests);
            json.WriteNumber("errors", model.Errors);
            WriteNumberOrNull(json, "ttft_p50_seconds", model.TimeToFirstTokenP50);
            WriteNumberOrNull(json, "ttft_p95_seconds", model.TimeToFirstTokenP95);
            json.WriteNumber("prompt_tokens", model.PromptTokens);
            json.WriteNumber("completion_tokens", model.CompletionTokens);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("recent");
        var clock = Stopwatch.GetTimestamp();
        foreach (var request in recent.Snapshot())
        {
            json.WriteStartObject();
            json.WriteString("time", Iso(now - Stopwatch.GetElapsedTime(request.EndedTimestamp, clock)));
            json.WriteString("request_id", request.RequestId);
            json.WriteString("method", request.Method);
            WriteStringOrNull(json, "route", request.Route);
            WriteStringOrNull(json, "model", request.Model);
            // The stub is no server: "upstream" names a model server only.
            WriteStringOrNull(json, "upstream", request.Upstream is StubUpstream.ProviderName ? null : request.Upstream);
            json.WriteNumber("status", request.Status);
            json.WriteNumber("duration_ms", Math.Round(request.Duration.TotalMilliseconds, 1));
            WriteNumberOrNull(json, "prompt_tokens", request.PromptTokens);
            WriteNumberOrNull(json, "completion_tokens", request.CompletionTokens);
            json.WriteBoolean("stream", request.Stream);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } number && double.IsFinite(number))
        {
            json.WriteNumber(name, Math.Round(number, 6));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

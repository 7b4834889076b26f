using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Soak;

/// <summary>
/// The mixed client traffic: each call sends one request of one kind and checks that its answer is exactly one
/// complete, well-formed response per docs/api.md (routes, errors, streaming) or the documented error, recording the outcome.
/// </summary>
public sealed class Traffic(HttpClient client, Tally tally, Stopwatch clock)
{
    private long _next;

    /// <summary>x-request-id → when the driver dropped that stream (driver clock).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, TimeSpan> DisconnectedAt { get; } = new();

    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    public static readonly string[] Kinds =
    [
        "proxy ok", "v1 ok", "proxy/stream ok", "v1 stream ok", "v1 stream without [DONE]", "client disconnect mid-stream",
        "proxy upstream 500", "v1 upstream 500", "v1 upstream 429", "proxy/stream error event", "v1 stream upstream reset",
    ];

    public async Task RunAsync(string kind, string key)
    {
        var id = "soak-" + Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Interlocked.Increment(ref _inFlight);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var verdict = kind switch
            {
                "proxy ok" => await NonStreamAsync("proxy", Models.Ok, id, key, timeout.Token),
                "v1 ok" => await NonStreamAsync("v1/chat/completions", Models.Ok, id, key, timeout.Token),
                "proxy/stream ok" => await StreamAsync("proxy/stream", Models.Ok, id, key, expectError: false, timeout.Token),
                "v1 stream ok" => await StreamAsync("v1/chat/completions", Models.Ok, id, key, expectError: false, timeout.Token),
                "v1 stream without [DONE]" => await StreamAsync("v1/chat/completions", Models.NoDone, id, key, expectError: false, timeout.Token),
                "client disconnect mid-stream" => await DisconnectAsync(id, key, timeout.Token),
                "proxy upstream 500" => await ErrorAsync("proxy", Models.Error500, id, key, 502, timeout.Token),
                "v1 upstream 500" => await ErrorAsync("v1/chat/completions", Models.Error500, id, key, 502, timeout.Token),
                "v1 upstream 429" => await ErrorAsync("v1/chat/completions", Models.Error429, id, key, 429, timeout.Token),
                "proxy/stream error event" => await StreamAsync("proxy/stream", Models.MidStreamError, id, key, expectError: true, timeout.Token),
                "v1 stream upstream reset" => await StreamAsync("v1/chat/completions", Models.ResetMidStream, id, key, expectError: true, timeout.Token),
                "rate-limited client" => await RateLimitedAsync(id, key, timeout.Token),
                _ => throw new ArgumentException(kind),
            };
            Record(kind, verdict);
        }
        catch (OperationCanceledException)
        {
            tally.Violation(kind, $"{id}: no complete answer within 30 s (hang)");
        }
        catch (HttpRequestException e)
        {
            tally.Violation(kind, $"{id}: {e.HttpRequestError}: {e.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void Record(string kind, string? verdict)
    {
        if (verdict is null)
        {
            tally.Ok(kind);
        }
        else if (verdict.StartsWith("as:", StringComparison.Ordinal))
        {
            tally.Ok(verdict[3..]);
        }
        else
        {
            tally.Violation(kind, verdict);
        }
    }

    private static HttpRequestMessage Request(string path, string model, bool stream, string id, string key)
    {
        var body = $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"soak"}]}""";
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        request.Headers.TryAddWithoutValidation("x-request-id", id);
        return request;
    }

    private static string? CheckId(HttpResponseMessage response, string id) =>
        response.Headers.TryGetValues("x-request-id", out var values) && values.SingleOrDefault() == id ? null : $"{id}: x-request-id missing or changed";

    /// <summary>A 429 from the proxy's own limiter is the documented answer to a client over its budget (docs/api.md, Rate limits).</summary>
    private static string? Check429(HttpResponseMessage response, string body, string id)
    {
        if (response.Headers.RetryAfter is null || !response.Headers.Contains("X-RateLimit-Limit") || !response.Headers.Contains("X-RateLimit-Reset"))
        {
            return $"{id}: 429 without Retry-After / X-RateLimit-*";
        }
        return body.Contains("\"error\"", StringComparison.Ordinal) ? null : $"{id}: 429 without an error body";
    }

    private async Task<string?> NonStreamAsync(string path, string model, string id, string key, CancellationToken ct)
    {
        using var response = await client.SendAsync(Request(path, model, stream: false, id, key), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (CheckId(response, id) is { } idProblem)
        {
            return idProblem;
        }
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return Check429(response, body, id) ?? "as:rate limited (429 from the proxy)";
        }
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return $"{id}: status {(int)response.StatusCode}: {Cut(body)}";
        }
        using var doc = JsonDocument.Parse(body);
        var content = doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        return content == "soak answer" ? null : $"{id}: content {content}";
    }

    private async Task<string?> ErrorAsync(string path, string model, string id, string key, int expected, CancellationToken ct)
    {
        using var response = await client.SendAsync(Request(path, model, stream: false, id, key), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (CheckId(response, id) is { } idProblem)
        {
            return idProblem;
        }
        if (response.StatusCode == HttpStatusCode.TooManyRequests && model != Models.Error429)
        {
            return Check429(response, body, id) ?? "as:rate limited (429 from the proxy)";
        }
        if ((int)response.StatusCode != expected)
        {
            return $"{id}: status {(int)response.StatusCode}, expected {expected}: {Cut(body)}";
        }
        using var doc = JsonDocument.Parse(body);
        var error = doc.RootElement.GetProperty("error");
        if (path.StartsWith("v1", StringComparison.Ordinal))
        {
            // OpenAI envelope with the upstream's message kept (docs/api.md, Errors).
            var message = error.GetProperty("message").GetString() ?? "";
            if (!message.Contains(model == Models.Error429 ? "server busy" : "llama runner", StringComparison.Ordinal))
            {
                return $"{id}: message {message}";
            }
            if (model == Models.Error429 && response.Headers.RetryAfter?.ToString() != "2")
            {
                return $"{id}: Retry-After not passed through";
            }
            return null;
        }
        var detail = doc.RootElement.GetProperty("detail").GetString() ?? "";
        return error.GetString() == "Bad Gateway" && detail.Contains("llama runner", StringComparison.Ordinal) && doc.RootElement.GetProperty("request_id").GetString() == id
            ? null
            : $"{id}: classic error body {Cut(body)}";
    }

    private async Task<string?> StreamAsync(string path, string model, string id, string key, bool expectError, CancellationToken ct)
    {
        using var response = await client.SendAsync(Request(path, model, stream: true, id, key), HttpCompletionOption.ResponseHeadersRead, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (CheckId(response, id) is { } idProblem)
        {
            return idProblem;
        }
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return Check429(response, body, id) ?? "as:rate limited (429 from the proxy)";
        }
        if (model == Models.ResetMidStream && response.StatusCode == HttpStatusCode.BadGateway && body.Contains("upstream_connection_lost", StringComparison.Ordinal))
        {
            // The reset discarded every unread event: nothing reached the client, so a plain 502 (docs/api.md, Streaming).
            return "as:v1 stream upstream reset (before the first event: 502)";
        }
        if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            return $"{id}: status {(int)response.StatusCode} {response.Content.Headers.ContentType}: {Cut(body)}";
        }
        if (!body.EndsWith("\n\n", StringComparison.Ordinal))
        {
            return $"{id}: stream not ended by a blank line";
        }
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        if (events.Any(e => !e.StartsWith("data: ", StringComparison.Ordinal)))
        {
            return $"{id}: an event without data: {Cut(body)}";
        }
        var data = events.Select(e => e[6..]).ToList();
        if (data[^1] != "[DONE]" || data.Count(d => d == "[DONE]") != 1)
        {
            return $"{id}: not exactly one [DONE] at the end: {Cut(body)}";
        }
        var text = new StringBuilder();
        var errors = 0;
        foreach (var d in data.Take(data.Count - 1))
        {
            using var doc = JsonDocument.Parse(d);
            if (doc.RootElement.TryGetProperty("error", out var error))
            {
                errors++;
                _ = error.GetProperty("message").GetString();
                continue;
            }
            if (errors > 0)
            {
                return $"{id}: a chunk after the error event";
            }
            text.Append(doc.RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        }
        if (expectError)
        {
            // An RST makes the kernel drop bytes the proxy had not read yet, so after a reset "a " alone is honest too.
            var complete = text.ToString() == "a b " || (model == Models.ResetMidStream && text.ToString() == "a ");
            return errors == 1 && complete ? null : $"{id}: expected the chunks, one error event, [DONE]: {Cut(body)}";
        }
        return errors == 0 && text.ToString() == Models.StreamText ? null : $"{id}: text '{text}', {errors} error events";
    }

    private async Task<string?> DisconnectAsync(string id, string key, CancellationToken ct)
    {
        var response = await client.SendAsync(Request("v1/chat/completions", Models.LongStream, stream: true, id, key), HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            response.Dispose();
            return Check429(response, body, id) ?? "as:rate limited (429 from the proxy)";
        }
        var stream = await response.Content.ReadAsStreamAsync(ct);
        var reader = new StreamReader(stream);
        var seen = 0;
        while (seen < 2 && await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                seen++;
            }
        }
        // Leave: the upstream (60 events, 3 s) must see its request aborted within a second (docs/api.md, Streaming).
        DisconnectedAt[id] = clock.Elapsed;
        reader.Dispose();
        response.Dispose();
        return seen == 2 ? null : $"{id}: stream ended before 2 events";
    }

    /// <summary>The greedy client: cheap requests back to back with one key; 200 until its budget is spent, then 429.</summary>
    private async Task<string?> RateLimitedAsync(string id, string key, CancellationToken ct)
    {
        using var response = await client.SendAsync(Request("proxy", Models.Ok, stream: false, id, key), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (CheckId(response, id) is { } idProblem)
        {
            return idProblem;
        }
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return Check429(response, body, id) ?? "as:greedy client: 429 (rate limited)";
        }
        return response.StatusCode == HttpStatusCode.OK && body.Contains("soak answer", StringComparison.Ordinal)
            ? "as:greedy client: 200 (within budget)"
            : $"{id}: status {(int)response.StatusCode}: {Cut(body)}";
    }

    private static string Cut(string s) => s.Length <= 300 ? s : s[..300] + "…";
}

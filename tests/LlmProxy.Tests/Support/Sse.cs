using System.Text;
using System.Text.Json;

namespace LlmProxy.Tests.Support;

/// <summary>Helpers for SSE in tests: writing upstream events, reading client events one at a time.</summary>
public static class Sse
{
    public static async Task WriteEventAsync(HttpContext context, string payload, string field = "data")
    {
        await context.Response.WriteAsync($"{field}: {payload}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public static void Start(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
    }

    public static string Chunk(string content, string model = "m") =>
        $$"""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"{{model}}","choices":[{"index":0,"delta":{"content":"{{JsonEncodedText.Encode(content)}}"},"finish_reason":null}]}""";

    /// <summary>Reads the next event's data payload (null at the end of the stream).</summary>
    public static async Task<string?> ReadEventAsync(StreamReader reader)
    {
        var data = new StringBuilder();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    return data.ToString();
                }
                continue;
            }
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line, 6, line.Length - 6);
            }
        }
        return data.Length > 0 ? data.ToString() : null;
    }

    public static async Task<List<string>> ReadAllEventsAsync(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (await ReadEventAsync(reader) is { } e)
        {
            events.Add(e);
        }
        return events;
    }

    /// <summary>The concatenated delta contents of chunk events (errors and [DONE] skipped).</summary>
    public static string Content(IEnumerable<string> events) => string.Concat(events.Where(e => e != "[DONE]").Select(e =>
    {
        using var doc = JsonDocument.Parse(e);
        return doc.RootElement.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
            && choices[0].GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : "";
    }));
}

using System.Text.Json;

namespace LlmProxy.E2E.Support;

/// <summary>The answer shapes of docs/api.md: errors in the route's dialect, streams ending in exactly one [DONE].</summary>
public static class ContractAssert
{
    /// <summary>A plain HTTP error: the status, and the classic or OpenAI body with a message (and the OpenAI code when given).</summary>
    public static JsonElement Error(RouteAnswer answer, int status, string? openAiCode = null)
    {
        Assert.True(answer.Status == status, $"expected {status}: {answer}");
        Assert.True(answer.MediaType == "application/json", $"expected a JSON error body: {answer}");
        Assert.False(string.IsNullOrEmpty(answer.RequestId), $"no x-request-id: {answer}");
        using var document = JsonDocument.Parse(answer.Body);
        var root = document.RootElement.Clone();
        if (answer.Route.OpenAi)
        {
            var error = root.GetProperty("error");
            Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()), answer.ToString());
            Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
            if (openAiCode is not null)
            {
                Assert.True(error.GetProperty("code").GetString() == openAiCode, $"expected code {openAiCode}: {answer}");
            }
        }
        else
        {
            Assert.True(root.GetProperty("error").GetString() == Title(status), $"expected the title {Title(status)}: {answer}");
            Assert.False(string.IsNullOrEmpty(root.GetProperty("detail").GetString()), answer.ToString());
            Assert.Equal(answer.RequestId, root.GetProperty("request_id").GetString());
        }
        return root;
    }

    /// <summary>A stream that started and then failed: chunks, one <c>data: {"error":...}</c> with the code, one [DONE] last.</summary>
    public static void StreamEndsWithErrorThenDone(RouteAnswer answer, string code, int minChunks = 1)
    {
        var events = StreamEvents(answer);
        Assert.True(events.Count >= minChunks + 2, $"expected chunks, an error event and [DONE]: {answer}");
        Assert.Equal("[DONE]", events[^1]);
        using var error = JsonDocument.Parse(events[^2]);
        var body = error.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(body.GetProperty("message").GetString()), answer.ToString());
        Assert.True(body.GetProperty("code").GetString() == code, $"expected code {code}: {answer}");
        foreach (var chunk in events[..^2])
        {
            using var doc = JsonDocument.Parse(chunk);
            Assert.Equal("chat.completion.chunk", doc.RootElement.GetProperty("object").GetString());
        }
    }

    /// <summary>A stream that completed: its chunks' deltas concatenate to <paramref name="text"/>, then one [DONE].</summary>
    public static void StreamCompletes(RouteAnswer answer, string text)
    {
        var events = StreamEvents(answer);
        Assert.Equal("[DONE]", events[^1]);
        var content = string.Concat(events[..^1].Select(e =>
        {
            using var doc = JsonDocument.Parse(e);
            return doc.RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString();
        }));
        Assert.Equal(text, content);
    }

    private static List<string> StreamEvents(RouteAnswer answer)
    {
        Assert.True(answer.Status == 200 && answer.MediaType == "text/event-stream", $"expected a 200 event stream: {answer}");
        Assert.EndsWith("\n\n", answer.Body, StringComparison.Ordinal);
        var events = Http.SseData(answer.Body);
        Assert.True(events.Count(e => e == "[DONE]") == 1, $"expected exactly one [DONE]: {answer}");
        return events;
    }

    private static string Title(int status) => status switch
    {
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "no title known to the tests"),
    };
}

using System.Text.Json;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Doors.Ollama;

/// <summary>Requests as Ollama's clients send them (no Authorization), and NDJSON answers read line by line.</summary>
internal static class OllamaHttp
{
    public const string Chat = """{"model":"llama3","messages":[{"role":"user","content":"one two three"}]}""";

    /// <summary>A POST without Authorization, as Ollama's clients send it.</summary>
    public static HttpRequestMessage Post(string path, string body, string? contentType = "application/json", string? authorization = null) =>
        Requests.Post(path, body, contentType, authorization);

    /// <summary>Every line of an NDJSON body, parsed; fails unless the body ends with a line feed.</summary>
    public static async Task<List<JsonElement>> LinesAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
    }

    /// <summary>Reads the next NDJSON line (null at the end of the body).</summary>
    public static async Task<JsonElement?> ReadLineAsync(StreamReader reader) =>
        await reader.ReadLineAsync() is { } line ? Parse(line) : null;

    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>The concatenated <c>message.content</c> (chat) or <c>response</c> (generate) of the lines.</summary>
    public static string Text(IEnumerable<JsonElement> lines) => string.Concat(lines.Select(line =>
        line.TryGetProperty("message", out var message) ? message.GetProperty("content").GetString()
        : line.TryGetProperty("response", out var response) ? response.GetString() : ""));

    /// <summary>Asserts Ollama's error shape (one string property, <c>error</c>) and returns the message.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var body = await Requests.JsonAsync(response);
        var property = Assert.Single(body.EnumerateObject());
        Assert.Equal("error", property.Name);
        Assert.Equal(JsonValueKind.String, property.Value.ValueKind);
        return property.Value.GetString()!;
    }
}

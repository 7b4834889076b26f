using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmProxy.Tests.Doors.Anthropic;

/// <summary>One server-sent event as a client sees it: the <c>event:</c> name and the parsed <c>data:</c> JSON.</summary>
internal sealed record SseTestEvent(string Type, string Data)
{
    public JsonNode Json => JsonNode.Parse(Data)!;
}

/// <summary>Splits translator output into events, checking the framing Anthropic's SDKs rely on on the way.</summary>
internal static class SseTestEvents
{
    public static List<SseTestEvent> Parse(ArrayBufferWriter<byte> output) => Parse(Encoding.UTF8.GetString(output.WrittenSpan));

    public static List<SseTestEvent> Parse(string text)
    {
        var events = new List<SseTestEvent>();
        if (text.Length == 0)
        {
            return events;
        }
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        foreach (var frame in text[..^2].Split("\n\n"))
        {
            var lines = frame.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            var type = lines[0]["event: ".Length..];
            var data = lines[1]["data: ".Length..];
            // Every event's data is one JSON object whose "type" repeats the event name.
            using var document = JsonDocument.Parse(data);
            Assert.Equal(type, document.RootElement.GetProperty("type").GetString());
            events.Add(new SseTestEvent(type, data));
        }
        return events;
    }

    public static List<string> Types(IEnumerable<SseTestEvent> events) => events.Select(e => e.Type).ToList();
}

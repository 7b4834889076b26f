using System.Text;
using LlmProxy.Upstreams;

namespace LlmProxy.Tests.Upstreams;

public class SseEventsTests
{
    [Theory]
    [InlineData("data: a\n\ndata: b\n\n", 7, 2)]
    [InlineData("data: a\r\n\r\ndata: b", 7, 4)]
    [InlineData("data: a\r\n\ndata: b", 7, 3)]
    public void Finds_the_first_event_end_in_LF_and_CRLF_framing(string text, int length, int separator)
    {
        Assert.True(SseEvents.TryFindEnd(Encoding.UTF8.GetBytes(text), out var eventLength, out var separatorLength));
        Assert.Equal((length, separator), (eventLength, separatorLength));
    }

    [Fact]
    public void An_unfinished_event_has_no_end() =>
        Assert.False(SseEvents.TryFindEnd("data: {\"a\":1}\n"u8, out _, out _));

    [Theory]
    [InlineData("data: [DONE]", "Done")]
    [InlineData("data:[DONE]", "Done")]
    [InlineData("data: {\"choices\":[{\"delta\":{\"content\":\"the word \\\"error\\\"\"}}]}", "Data")]
    [InlineData("data: {\"choices\":[],\"error\":null}", "Data")]
    [InlineData("data: {\"error\":{\"message\":\"x\"}}", "Error")]
    [InlineData("data: {\"error\":\"x\"}", "Error")]
    [InlineData("data: {\"object\":\"error\",\"message\":\"x\"}", "Error")]
    [InlineData("error: {\"message\":\"x\"}", "Error")]
    [InlineData(": keep-alive comment", "Data")]
    [InlineData("event: message\ndata: [DONE]", "Done")]
    public void Classifies_done_errors_and_data(string text, string expected) =>
        Assert.Equal(Enum.Parse<SseEventKind>(expected), SseEvents.Classify(Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void Reads_top_level_usage_only()
    {
        Assert.True(SseEvents.TryReadUsage("""{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"""u8, out var p, out var c));
        Assert.Equal((5, 7), (p, c));
        Assert.False(SseEvents.TryReadUsage("""{"choices":[{"delta":{"content":"\"usage\""}}],"usage":null}"""u8, out _, out _));
    }

    [Theory]
    [InlineData("{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}", true)]
    [InlineData("{\"usage\":{\"prompt_tokens\":3},\"choices\":[ ]}", true)]
    [InlineData("{\"usage\":{\"prompt_tokens\":3}}", true)]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}],\"usage\":null}", false)]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3}}", false)]
    [InlineData("{\"choices\":[],\"usage\":null}", false)]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\"\"}}]}", false)]
    [InlineData("not json \"usage\"", false)]
    public void Only_the_include_usage_chunk_counts_as_usage_only(string json, bool expected) =>
        Assert.Equal(expected, SseEvents.IsUsageOnlyChunk(Encoding.UTF8.GetBytes(json)));
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmProxy.Tests.Doors.Anthropic;

/// <summary>
/// Builds the final message from a stream the way @anthropic-ai/sdk's MessageStream does: message_start gives the
/// message, content_block_start appends a block (so indices must come in order), deltas go to the block at their
/// index, partial_json pieces are concatenated and parsed when the block stops, message_delta sets the stop reason and
/// usage. Strings are concatenated as escaped JSON text and decoded at the end, as JavaScript strings would be (so a
/// surrogate pair split over two deltas joins up again). Protocol violations fail the test.
/// </summary>
internal sealed class SdkStyleAccumulator
{
    private readonly List<Block> _blocks = [];
    private JsonObject? _message;
    private bool _stopped;

    public JsonObject? Error { get; private set; }

    private sealed class Block(JsonObject start)
    {
        public JsonObject Start { get; } = start;
        public StringBuilder Text { get; } = new();
        public StringBuilder Json { get; } = new();
        public bool Stopped { get; set; }
    }

    public static JsonObject Accumulate(IEnumerable<SseTestEvent> events)
    {
        var accumulator = new SdkStyleAccumulator();
        foreach (var e in events)
        {
            accumulator.Add(e);
        }
        return accumulator.Message;
    }

    public JsonObject Message
    {
        get
        {
            Assert.True(_stopped, "the stream never sent message_stop");
            return _message!;
        }
    }

    public void Add(SseTestEvent e)
    {
        Assert.Null(Error);
        Assert.False(_stopped, $"{e.Type} after message_stop");
        using var document = JsonDocument.Parse(e.Data);
        var root = document.RootElement;
        if (e.Type == "error")
        {
            Error = e.Json.AsObject();
            return;
        }
        if (e.Type == "message_start")
        {
            Assert.Null(_message);
            _message = e.Json["message"]!.AsObject();
            Assert.Empty(_message["content"]!.AsArray());
            return;
        }
        Assert.NotNull(_message);
        switch (e.Type)
        {
            case "content_block_start":
                Assert.Equal(_blocks.Count, root.GetProperty("index").GetInt32());
                Assert.All(_blocks, b => Assert.True(b.Stopped, "a block started before the previous one stopped"));
                _blocks.Add(new Block(e.Json["content_block"]!.AsObject()));
                break;
            case "content_block_delta":
                var block = _blocks[root.GetProperty("index").GetInt32()];
                Assert.False(block.Stopped, "a delta after content_block_stop");
                var delta = root.GetProperty("delta");
                var kind = delta.GetProperty("type").GetString();
                var type = (string)block.Start["type"]!;
                switch (kind)
                {
                    case "text_delta":
                        Assert.Equal("text", type);
                        block.Text.Append(Escaped(delta.GetProperty("text")));
                        break;
                    case "thinking_delta":
                        Assert.Equal("thinking", type);
                        block.Text.Append(Escaped(delta.GetProperty("thinking")));
                        break;
                    case "input_json_delta":
                        Assert.Equal("tool_use", type);
                        block.Json.Append(Escaped(delta.GetProperty("partial_json")));
                        break;
                    default:
                        Assert.Fail($"unexpected delta type {kind}");
                        break;
                }
                break;
            case "content_block_stop":
                var stopped = _blocks[root.GetProperty("index").GetInt32()];
                Assert.False(stopped.Stopped, "content_block_stop twice");
                stopped.Stopped = true;
                break;
            case "message_delta":
                _message["stop_reason"] = e.Json["delta"]!["stop_reason"]!.DeepClone();
                _message["stop_sequence"] = e.Json["delta"]!["stop_sequence"]?.DeepClone();
                var usage = e.Json["usage"]!;
                _message["usage"]!["output_tokens"] = usage["output_tokens"]!.DeepClone();
                if (usage["input_tokens"] is { } input)
                {
                    _message["usage"]!["input_tokens"] = input.DeepClone();
                }
                break;
            case "message_stop":
                Assert.All(_blocks, b => Assert.True(b.Stopped, "message_stop with a block still open"));
                _stopped = true;
                Finish();
                break;
            case "ping":
                break;
            default:
                Assert.Fail($"unexpected event {e.Type}");
                break;
        }
    }

    private void Finish()
    {
        var content = _message!["content"]!.AsArray();
        foreach (var block in _blocks)
        {
            var final = block.Start.DeepClone().AsObject();
            switch ((string)final["type"]!)
            {
                case "text":
                    final["text"] = (string)final["text"]! + Decode(block.Text.ToString());
                    break;
                case "thinking":
                    final["thinking"] = (string)final["thinking"]! + Decode(block.Text.ToString());
                    break;
                case "tool_use":
                    if (block.Json.Length > 0)
                    {
                        final["input"] = JsonNode.Parse(Decode(block.Json.ToString()));
                    }
                    break;
            }
            content.Add(final);
        }
    }

    /// <summary>The escaped content of a JSON string, as written (no decoding yet).</summary>
    private static string Escaped(JsonElement value)
    {
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        var raw = value.GetRawText();
        return raw[1..^1];
    }

    private static string Decode(string escaped) => JsonDocument.Parse("\"" + escaped + "\"").RootElement.GetString()!;
}

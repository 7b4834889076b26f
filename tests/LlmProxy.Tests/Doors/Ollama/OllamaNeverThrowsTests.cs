using System.Buffers;
using System.Text;
using LlmProxy.Doors.Ollama;
using Microsoft.Extensions.Time.Testing;
using static LlmProxy.Tests.Doors.Ollama.OllamaTestKit;

namespace LlmProxy.Tests.Doors.Ollama;

/// <summary>
/// Every translator on random input: mutations of real bodies (flipped bytes, cuts, lone surrogate escapes, invalid
/// UTF-8, type swaps) and random JSON built from the fields they look at. None may throw, and whatever one accepts
/// must come out as well-formed JSON (NDJSON for the stream: every line on its own).
/// </summary>
public class OllamaNeverThrowsTests
{
    private static readonly string[] Samples =
    [
        $$$$"""{"model":"m","messages":[{"role":"user","content":"hi","images":["{{{{Png}}}}"]},{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"a":[1,{"b":null}]}}}]},{"role":"tool","tool_name":"f","content":"r"}],"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"format":{"type":"object"},"options":{"temperature":0.2,"stop":["x"],"num_predict":3,"top_k":4},"stream":false,"keep_alive":0}""",
        $$$"""{"model":"m","prompt":"p","system":"s","images":["{{{Png}}}"],"format":"json","options":{"seed":1},"raw":true}""",
        """{"model":"m","input":["a","b"],"dimensions":3,"truncate":true}""",
        """{"model":"m","prompt":"embed me"}""",
        """{"choices":[{"index":0,"message":{"role":"assistant","content":"x","reasoning_content":"r","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}""",
        """{"choices":[{"index":0,"delta":{"content":"a\n\"b\"","tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{\"x\":"}},{"index":1,"function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}""",
        """{"data":[{"index":1,"embedding":[0.1,2e-3]},{"index":0,"embedding":"AAAAPwAAoL8="}],"usage":{"prompt_tokens":3}}""",
        """{"error":{"message":"boom"}}""",
    ];

    private static readonly string[] Snippets =
        ["\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u0000", "\\\\", "\\\"", "null", "[]", "{}", "\"\"", "-1e999", "1.5", "true", "\"x\"", "[{", "}]", "\n", "\u00e9", "\"\\/\""];

    private static readonly string[] Keys =
    [
        "model", "messages", "role", "content", "images", "tool_calls", "tool_name", "tool_call_id", "function", "name", "arguments",
        "tools", "format", "options", "temperature", "stop", "num_predict", "top_k", "seed", "stream", "keep_alive", "prompt", "system",
        "input", "dimensions", "choices", "delta", "message", "finish_reason", "usage", "prompt_tokens", "completion_tokens", "data",
        "embedding", "index", "id", "error", "reasoning_content", "thinking", "type",
    ];

    [Fact]
    public void Mutated_real_bodies_never_throw_and_what_is_accepted_is_valid_json()
    {
        var random = new Random(1301);
        for (var i = 0; i < 4000; i++)
        {
            Check(Mutate(random, Encoding.UTF8.GetBytes(Samples[random.Next(Samples.Length)])));
        }
    }

    [Fact]
    public void Random_json_made_of_the_fields_the_translators_read_never_throws_and_what_is_accepted_is_valid_json()
    {
        var random = new Random(1302);
        for (var i = 0; i < 4000; i++)
        {
            var json = new StringBuilder();
            RandomValue(random, json, depth: 0, asObject: true);
            Check(Encoding.UTF8.GetBytes(json.ToString()));
        }
    }

    [Fact]
    public void Nesting_deeper_than_the_reader_allows_is_a_400_not_a_crash()
    {
        var deep = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"extra\":" + new string('[', 200) + new string(']', 200) + "}]}";
        var (request, _) = Chat(deep);

        Assert.Equal(OllamaRequestKind.Invalid, request.Kind);
        Check(Encoding.UTF8.GetBytes(deep));
    }

    private static void Check(byte[] input)
    {
        try
        {
            CheckRequest(input, OllamaChatRequestTranslator.Translate);
            CheckRequest(input, OllamaGenerateRequestTranslator.Translate);
            CheckRequest(input, OllamaEmbedRequestTranslator.TranslateEmbed);
            CheckRequest(input, OllamaEmbedRequestTranslator.TranslateEmbeddings);
            CheckAnswer(input, (body, output) => OllamaCompletionTranslator.WriteChat(body, "m", DateTimeOffset.UnixEpoch, default, output));
            CheckAnswer(input, (body, output) => OllamaCompletionTranslator.WriteGenerate(body, "m", DateTimeOffset.UnixEpoch, default, output));
            CheckAnswer(input, (body, output) => OllamaEmbedResponseTranslator.WriteEmbed(body, "m", default, output));
            CheckAnswer(input, OllamaEmbedResponseTranslator.WriteEmbeddings);
            var model = OllamaShowRequest.Read(input, out var problem);
            Assert.True(model is not null ^ problem is not null);
            CheckStream(input);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{e.GetType().Name} on input {Convert.ToBase64String(input)}: {e}");
        }
    }

    private delegate OllamaRequest RequestTranslator(ReadOnlySpan<byte> body, IBufferWriter<byte> output, Func<string, string>? upstreamModel);

    private static void CheckRequest(byte[] input, RequestTranslator translate)
    {
        var output = new ArrayBufferWriter<byte>();
        var request = translate(input, output, null);
        if (request.Kind == OllamaRequestKind.Upstream)
        {
            Parse(output.WrittenSpan);
            Assert.False(string.IsNullOrEmpty(request.Model));
        }
        else if (request.Kind == OllamaRequestKind.Invalid)
        {
            Assert.False(string.IsNullOrEmpty(request.Problem));
        }
    }

    private static void CheckAnswer(byte[] input, AnswerWriter write)
    {
        var output = new ArrayBufferWriter<byte>();
        if (write(input, output).Translated)
        {
            Parse(output.WrittenSpan);
        }
        else
        {
            Assert.Equal(0, output.WrittenCount);
        }
    }

    private delegate OllamaAnswer AnswerWriter(ReadOnlySpan<byte> body, IBufferWriter<byte> output);

    private static void CheckStream(byte[] input)
    {
        var time = new FakeTimeProvider();
        var output = new ArrayBufferWriter<byte>();
        using var stream = new OllamaStreamTranslator(chat: input.Length % 2 == 0, "m\ud800", time.GetTimestamp(), time);
        stream.OnChunk(input, output);
        stream.OnChunk(input, output);
        stream.OnDone(output);
        var lines = Lines(output);
        Assert.NotEmpty(lines);
        Assert.True(lines[^1].Has("done") || lines[^1].Has("error"));
    }

    private static byte[] Mutate(Random random, byte[] sample)
    {
        var bytes = new List<byte>(sample);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] = "{}[]\":,\\u0 \n"u8[random.Next(12)];
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Snippets[random.Next(Snippets.Length)]));
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    var length = random.Next(Math.Min(40, bytes.Count - at) + 1);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
            }
        }
        return [.. bytes];
    }

    private static void RandomValue(Random random, StringBuilder json, int depth, bool asObject = false)
    {
        var kind = asObject ? 0 : random.Next(depth > 4 ? 2 : 0, 9);
        switch (kind)
        {
            case 0 or 1 when asObject || kind == 0:
                json.Append('{');
                var fields = random.Next(0, 6);
                for (var i = 0; i < fields; i++)
                {
                    json.Append(i > 0 ? "," : "").Append('"').Append(Keys[random.Next(Keys.Length)]).Append("\":");
                    RandomValue(random, json, depth + 1);
                }
                json.Append('}');
                break;
            case 1:
                json.Append('[');
                var items = random.Next(0, 4);
                for (var i = 0; i < items; i++)
                {
                    json.Append(i > 0 ? "," : "");
                    RandomValue(random, json, depth + 1);
                }
                json.Append(']');
                break;
            case 2:
                json.Append('"').Append(random.Next(4) switch { 0 => Keys[random.Next(Keys.Length)], 1 => "json", 2 => Png, _ => "a\\ud800\\n\\\"{" }).Append('"');
                break;
            case 3:
                json.Append(random.Next(3) switch { 0 => "-1", 1 => "0.5", _ => "123456789012345678901234567890" });
                break;
            case 4:
                json.Append(random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" });
                break;
            case 5:
                json.Append("\"{\\\"a\\\":[1,2]}\"");
                break;
            case 6:
                json.Append("\"\"");
                break;
            default:
                json.Append('{');
                json.Append("\"role\":\"").Append(random.Next(2) == 0 ? "assistant" : "tool").Append("\",\"content\":\"x\"");
                json.Append('}');
                break;
        }
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmProxy.Doors.Anthropic;
using static LlmProxy.Tests.Doors.Anthropic.AnthropicTestJson;

namespace LlmProxy.Tests.Doors.Anthropic;

public class RequestValidationTests
{
    private const string Ok = """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""";

    [Theory]
    [InlineData("[]", "Request body must be a JSON object")]
    [InlineData("\"text\"", "Request body must be a JSON object")]
    [InlineData("", "Request body is not valid JSON")]
    [InlineData("{", "Request body is not valid JSON")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]} trailing""", "Request body is not valid JSON")]
    [InlineData("""{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", "model: Field required")]
    [InlineData("""{"model":5,"max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", "model: Input should be a valid string")]
    [InlineData("""{"model":"","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", "model: String should have at least 1 character")]
    [InlineData("""{"model":"m","max_tokens":5}""", "messages: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":"hi"}""", "messages: Input should be a valid list")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[]}""", "messages: at least one message is required")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":"5","messages":[{"role":"user","content":"x"}]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":2.5,"messages":[{"role":"user","content":"x"}]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}""", "max_tokens: Input should be greater than or equal to 1")]
    [InlineData("""{"model":"m","max_tokens":5,"temperature":"hot","messages":[{"role":"user","content":"x"}]}""", "temperature: Input should be a valid number")]
    [InlineData("""{"model":"m","max_tokens":5,"top_k":-1,"messages":[{"role":"user","content":"x"}]}""", "top_k: Input should be greater than or equal to 0")]
    [InlineData("""{"model":"m","max_tokens":5,"stream":"yes","messages":[{"role":"user","content":"x"}]}""", "stream: Input should be a valid boolean")]
    [InlineData("""{"model":"m","max_tokens":5,"stop_sequences":"END","messages":[{"role":"user","content":"x"}]}""", "stop_sequences: Input should be a valid list")]
    [InlineData("""{"model":"m","max_tokens":5,"stop_sequences":["a",1],"messages":[{"role":"user","content":"x"}]}""", "stop_sequences.1: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":5,"system":5,"messages":[{"role":"user","content":"x"}]}""", "system: Input should be a valid string or a list of text blocks")]
    [InlineData("""{"model":"m","max_tokens":5,"system":[{"type":"text","text":1}],"messages":[{"role":"user","content":"x"}]}""", "system.0.text: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":5,"metadata":{"user_id":7},"messages":[{"role":"user","content":"x"}]}""", "metadata.user_id: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":["hi"]}""", "messages.0: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"content":"x"}]}""", "messages.0.role: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]}""", "messages.0.role: Input should be 'user' or 'assistant'")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user"}]}""", "messages.0.content: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":5}]}""", "messages.0.content: Input should be a valid string or a list of content blocks")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"text":"x"}]}]}""", "messages.0.content.0.type: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages.0.content.0.text: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":["x"]}]}]}""", "messages.0.content.0.text: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}]}""", "messages.1.content.0.id: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":"{}"}]}]}""", "messages.0.content.0.input: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}""", "messages.0.content.0.tool_use_id: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":3}]}]}""", "messages.0.content.0.content: Input should be a valid string or a list of content blocks")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":2}]}]}]}""", "messages.0.content.0.content.0.text: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image"}]}]}""", "messages.0.content.0.source: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]}]}""", "messages.0.content.0.source.data: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url"}}]}]}""", "messages.0.content.0.source.url: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":{}}""", "tools: Input should be a valid list")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f"}]}""", "tools.0.input_schema: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"input_schema":{}}]}""", "tools.0.name: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":[]}]}""", "tools.0.input_schema: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":"auto"}""", "tool_choice: Input should be a valid dictionary")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"maybe"}}""", "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}""", "tool_choice.name: Field required")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{}}""", "tool_choice.type: Field required")]
    public void A_bad_request_names_the_field_and_the_problem(string body, string expected) =>
        Assert.StartsWith(expected, Problem(body), StringComparison.Ordinal);

    [Theory]
    [InlineData("""{"model":"m\ud800","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", "model")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"bad \udc00 low"}]}""", "messages.0.content")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"end \ud83d"}]}]}""", "messages.0.content.0.text")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"pair reversed \ude00\ud83d"}]}]}""", "messages.0.content.0.text")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"deep":[{"x":"\ud800"}]}}]}]}""", "messages.0.content.0.input")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"unknown_field":{"a":["\udfff"]}}""", "unknown_field")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"k\ud800ey":1}""", "")]
    [InlineData("""{"model":"m","max_tokens":5,"system":[{"type":"text","text":"\ud800\u0041"}],"messages":[{"role":"user","content":"x"}]}""", "system.0.text")]
    [InlineData("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"description":"\ud801"}}]}""", "tools.0.input_schema")]
    public void A_lone_surrogate_escape_anywhere_is_refused_with_its_place(string body, string place)
    {
        var problem = Problem(body);
        Assert.Contains("unpaired UTF-16 surrogate", problem, StringComparison.Ordinal);
        Assert.StartsWith(place, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""emoji \ud83d\ude00 pair""")]
    [InlineData("""a literal backslash then u: \\ud800""")]
    [InlineData("""\\\ud83d\udE00 mixed case hex""")]
    [InlineData("""plain \u0041 escape and \n newline""")]
    public void Valid_escapes_are_accepted(string text)
    {
        var body = """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"TEXT"}]}""".Replace("TEXT", text, StringComparison.Ordinal);
        var result = AnthropicRequestParser.Parse(Encoding.UTF8.GetBytes(body));
        Assert.True(result.IsValid, result.Problem);
    }

    [Fact]
    public void Invalid_UTF8_is_refused()
    {
        var body = Encoding.UTF8.GetBytes(Ok.Replace("\"x\"", "\"QQ\"", StringComparison.Ordinal));
        var at = Array.IndexOf(body, (byte)'Q');
        body[at] = 0xC0;
        body[at + 1] = 0x80;
        Assert.Equal("Request body is not valid UTF-8", Problem(body));
    }

    [Fact]
    public void Nulls_for_optional_fields_are_the_same_as_leaving_them_out()
    {
        var openAi = ToOpenAi("""
            {"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"system":null,"temperature":null,"top_p":null,
             "top_k":null,"stop_sequences":null,"stream":null,"metadata":null,"tools":null,"tool_choice":null,"thinking":null}
            """);
        Equal("""{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":5}""", openAi);
    }

    [Fact]
    public void Deeply_nested_unknown_fields_are_refused_cleanly_past_the_depth_limit()
    {
        var body = "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"x\":"
            + new string('[', 200) + new string(']', 200) + "}";
        Assert.StartsWith("Request body is not valid JSON", Problem(body), StringComparison.Ordinal);
    }

    [Fact]
    public void Mutated_bodies_never_throw_and_accepted_ones_translate_to_valid_JSON()
    {
        string[] seeds =
        [
            """{"model":"m","max_tokens":5,"stream":true,"system":[{"type":"text","text":"s\u00e9"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi \ud83d\ude00"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA="}}]},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"a":[1,2,{"b":"c"}]}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":true,"content":[{"type":"text","text":"e"}]},{"type":"text","text":"next"}]}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":true},"stop_sequences":["x"],"metadata":{"user_id":"u"},"temperature":1,"top_p":0.5,"top_k":3}""",
            """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y\\\"z"}],"thinking":{"type":"enabled","budget_tokens":10}}""",
        ];
        byte[] alphabet = "{}[]\":,\\u0123456789abcdefDdXx-+.e \t\n"u8.ToArray();
        var random = new Random(20240601);
        var accepted = 0;
        for (var i = 0; i < 4000; i++)
        {
            var body = Encoding.UTF8.GetBytes(seeds[i % seeds.Length]).ToList();
            var mutations = 1 + random.Next(4);
            for (var m = 0; m < mutations && body.Count > 0; m++)
            {
                var at = random.Next(body.Count);
                switch (random.Next(6))
                {
                    case 0:
                        body[at] = alphabet[random.Next(alphabet.Length)];
                        break;
                    case 1:
                        body.RemoveRange(at, Math.Min(body.Count - at, 1 + random.Next(8)));
                        break;
                    case 2:
                        body.InsertRange(at, Encoding.UTF8.GetBytes(random.Next(3) switch { 0 => "\\ud800", 1 => "\"\"", _ => "null," }));
                        break;
                    case 3:
                        var length = Math.Min(body.Count - at, 1 + random.Next(40));
                        body.InsertRange(random.Next(body.Count), body.GetRange(at, length));
                        break;
                    case 4:
                        body[at] = (byte)random.Next(256);
                        break;
                    default:
                        body.RemoveRange(at, body.Count - at);
                        break;
                }
            }
            var bytes = body.ToArray();
            var result = AnthropicRequestParser.Parse(bytes, requireMaxTokens: random.Next(2) == 0);
            if (!result.IsValid)
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Problem));
                continue;
            }
            accepted++;
            var output = new ArrayBufferWriter<byte>();
            result.Request.WriteOpenAiBody(output);
            using var document = JsonDocument.Parse(output.WrittenMemory);
            Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("messages").ValueKind);
            Assert.True(result.Request.EstimateInputTokens() > 0);
        }
        // The mutations are mild enough that the accepted path is exercised too.
        Assert.InRange(accepted, 50, 3950);
    }
}

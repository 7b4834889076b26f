using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using LlmProxy.Doors.Ollama;
using static LlmProxy.Tests.Doors.Ollama.OllamaTestKit;

namespace LlmProxy.Tests.Doors.Ollama;

public class OllamaEmbedTests
{
    private static readonly OllamaTimings Timings = OllamaTimings.Whole(TimeSpan.FromMilliseconds(25));

    [Fact]
    public void An_embed_list_input_is_carried_with_dimensions_and_float_vectors_asked_for()
    {
        var (request, body) = Embed("""{"model":"nomic-embed-text","input":["a","b\n"],"truncate":false,"dimensions":256,"keep_alive":"1m","options":{"num_ctx":512}}""");

        Assert.Equal(new OllamaRequest(OllamaRequestKind.Upstream, "nomic-embed-text", false, null), request);
        Assert.Equal(["a", "b\n"], body.GetProperty("input").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(256, body.GetProperty("dimensions").GetInt32());
        Assert.Equal("float", body.Text("encoding_format"));
        Assert.Equal("nomic-embed-text", body.Text("model"));
        Assert.Equal(new[] { "dimensions", "encoding_format", "input", "model" }, body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_embed_string_input_and_a_legacy_prompt_are_carried_as_input()
    {
        Assert.Equal("hello", Embed("""{"model":"m","input":"hello"}""").Body.Text("input"));
        Assert.Equal("hello", Embeddings("""{"model":"m","prompt":"hello"}""").Body.Text("input"));
    }

    [Theory]
    [InlineData("""{"model":"m"}""")]
    [InlineData("""{"model":"m","input":""}""")]
    [InlineData("""{"model":"m","input":[]}""")]
    public void An_embed_without_input_is_the_load_call(string json)
    {
        Assert.Equal(OllamaRequestKind.Load, Embed(json).Request.Kind);
        Assert.Equal(OllamaRequestKind.Load, Embeddings(json.Replace("input", "prompt", StringComparison.Ordinal).Replace("[]", "\"\"", StringComparison.Ordinal)).Request.Kind);
    }

    [Theory]
    [InlineData("""{"model":"m","input":[1,2]}""", "input must be a string or a list of strings")]
    [InlineData("""{"model":"m","input":{"a":1}}""", "input must be a string or a list of strings")]
    [InlineData("""{"model":"m","input":"x","dimensions":-3}""", "dimensions must be a positive integer")]
    [InlineData("""{"input":"x"}""", "model is required")]
    public void A_bad_embed_body_is_a_400_naming_the_field(string json, string problem)
    {
        Assert.Equal(problem, Embed(json).Request.Problem);
    }

    [Fact]
    public void Vectors_arrive_as_the_upstreams_number_bytes_in_index_order_with_the_prompt_count()
    {
        var output = new ArrayBufferWriter<byte>();
        var response = """
            {"object":"list","model":"up","data":[
              {"object":"embedding","index":1,"embedding":[1e-7, -0.000123456789012345678, 3]},
              {"object":"embedding","index":0,"embedding":[0.10000000149011612,-2.5E+3]}],
             "usage":{"prompt_tokens":8,"total_tokens":8}}
            """;

        var answer = OllamaEmbedResponseTranslator.WriteEmbed(Encoding.UTF8.GetBytes(response), "nomic", Timings, output);

        Assert.Equal(new OllamaAnswer(true, 8, null), answer);
        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Contains("[[0.10000000149011612,-2.5E+3],[1e-7, -0.000123456789012345678, 3]]", text, StringComparison.Ordinal);
        var body = Parse(output.WrittenSpan);
        Assert.Equal("nomic", body.Text("model"));
        Assert.Equal(25_000_000, body.GetProperty("total_duration").GetInt64());
        Assert.Equal(0, body.GetProperty("load_duration").GetInt64());
        Assert.Equal(8, body.GetProperty("prompt_eval_count").GetInt32());
    }

    [Fact]
    public void A_base64_vector_is_decoded_into_numbers()
    {
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(floats, 0.5f);
        BinaryPrimitives.WriteSingleLittleEndian(floats.AsSpan(4), -1.25f);
        var output = new ArrayBufferWriter<byte>();

        OllamaEmbedResponseTranslator.WriteEmbed(Encoding.UTF8.GetBytes($$"""{"data":[{"embedding":"{{Convert.ToBase64String(floats)}}"}]}"""), "m", Timings, output);

        Assert.Equal([0.5, -1.25], Parse(output.WrittenSpan).GetProperty("embeddings")[0].EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public void An_empty_base64_vector_is_an_empty_list()
    {
        var output = new ArrayBufferWriter<byte>();

        OllamaEmbedResponseTranslator.WriteEmbed("""{"data":[{"embedding":""}]}"""u8, "m", Timings, output);

        Assert.Equal(0, Parse(output.WrittenSpan).GetProperty("embeddings")[0].GetArrayLength());
    }

    [Fact]
    public void The_legacy_route_answers_one_embedding()
    {
        var output = new ArrayBufferWriter<byte>();

        var answer = OllamaEmbedResponseTranslator.WriteEmbeddings("""{"data":[{"embedding":[0.25,0.5],"index":0}]}"""u8, output);

        Assert.True(answer.Translated);
        Assert.Equal("""{"embedding":[0.25,0.5]}""", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("""{"choices":[]}""")]
    [InlineData("""{"data":[{"embedding":["x"]}]}""")]
    [InlineData("""{"data":[{"index":0}]}""")]
    [InlineData("""{"data":{}}""")]
    [InlineData("""{"data":[""")]
    public void An_answer_that_is_not_an_embeddings_list_writes_nothing(string response)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.False(OllamaEmbedResponseTranslator.WriteEmbed(Encoding.UTF8.GetBytes(response), "m", Timings, output).Translated);
        Assert.Equal(0, output.WrittenCount);
    }
}

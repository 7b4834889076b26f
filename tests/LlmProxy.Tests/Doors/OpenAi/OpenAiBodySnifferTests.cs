using System.Text;
using LlmProxy.Doors.OpenAi;

namespace LlmProxy.Tests.Doors.OpenAi;

public class OpenAiBodySnifferTests
{
    [Fact]
    public void Reads_model_stream_and_include_usage_past_nested_values()
    {
        var body = """{"messages":[{"role":"user","content":"{\"model\":\"fake\"}"}],"tools":[{"model":"nested"}],"model":"real","stream":true,"stream_options":{"include_usage":true}}""";
        var facts = OpenAiBodySniffer.Sniff(Encoding.UTF8.GetBytes(body), out var problem, out _);
        Assert.Null(problem);
        Assert.Equal(new OpenAiBodyFacts("real", true, true), facts);
    }

    [Theory]
    [InlineData("""{"model":"m"}""", false)]
    [InlineData("""{"model":"m","stream":null}""", false)]
    [InlineData("""{"model":"m","stream":false,"stream_options":{"include_usage":false}}""", false)]
    public void Stream_defaults_to_false(string body, bool stream) =>
        Assert.Equal(stream, OpenAiBodySniffer.Sniff(Encoding.UTF8.GetBytes(body), out _, out _)!.Stream);

    [Theory]
    [InlineData("", null)]
    [InlineData("\"model\"", null)]
    [InlineData("""{"model":null}""", "model")]
    [InlineData("""{"model":"  "}""", "model")]
    [InlineData("""{"model":"m","stream":1}""", "stream")]
    [InlineData("""{"model":"m"}{}""", null)]
    public void Problems_name_the_parameter(string body, string? param)
    {
        Assert.Null(OpenAiBodySniffer.Sniff(Encoding.UTF8.GetBytes(body), out var problem, out var actualParam));
        Assert.NotNull(problem);
        Assert.Equal(param, actualParam);
    }
}

using System.Text;
using LlmProxy.Http.Body;

namespace LlmProxy.Tests.Http.Body;

/// <summary>MODEL_ALIASES changes the model's value and nothing else (docs/upstreams.md, Aliases).</summary>
public class JsonModelSpliceTests
{
    private static string Splice(string body, string model) =>
        Encoding.UTF8.GetString(JsonModelSplice.Replace(Encoding.UTF8.GetBytes(body), model) ?? throw new Xunit.Sdk.XunitException("nothing replaced"));

    [Fact]
    public void Only_the_model_value_changes_in_a_body_with_unknown_fields_unicode_escapes_and_odd_spacing()
    {
        // Odd spacing, tabs and CRLF, unknown fields before and after, a nested "model" key, the alias inside other
        // strings, unicode (raw and escaped), numbers in forms a re-serialiser would change (1.0, 1e2, -0).
        const string before = "{ \"temperature\" : 1.0,\t\"x-vendor\":{\"model\":\"gpt-4o\",\"deep\":[1e2,-0,null]},\r\n";
        const string model = "  \"model\"\t:  \"gpt-4o\"  ,";
        const string after = "\n\"messages\":[{\"role\":\"user\",\"content\":\"say \\\"gpt-4o\\\" in 日本語 \\u00e9\\ud83d\\ude00 😀\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"model\":{\"type\":\"string\"}}}}],\"stream\":true }";
        var body = before + model + after;

        var spliced = Splice(body, "llama3.1:8b");

        Assert.Equal(before + "  \"model\"\t:  \"llama3.1:8b\"  ," + after, spliced);
    }

    [Fact]
    public void An_escaped_model_value_is_replaced_whole()
    {
        // "gpt\u002d4o" is "gpt-4o" to every JSON reader, the proxy's sniffer included: the alias matches it.
        Assert.Equal("""{"model":"llama3","n":1}""", Splice("""{"model":"gpt\u002d4o","n":1}""", "llama3"));
    }

    [Fact]
    public void Every_top_level_model_of_a_body_that_repeats_it_is_replaced()
    {
        // Parsers disagree on which duplicate wins; none of them may still see the alias.
        Assert.Equal("""{"model":"b","x":0,"model":"b"}""", Splice("""{"model":"a","x":0,"model":"a"}""", "b"));
    }

    [Fact]
    public void A_target_with_characters_json_escapes_is_written_as_valid_json()
    {
        var spliced = Splice("""{"model":"a"}""", "we\"ird\\ñame");
        using var document = System.Text.Json.JsonDocument.Parse(spliced);
        Assert.Equal("we\"ird\\ñame", document.RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"model":7}""")]
    [InlineData("""["model","a"]""")]
    [InlineData("""{"model":"a" """)]
    public void A_body_without_a_top_level_string_model_is_left_alone(string body) =>
        Assert.Null(JsonModelSplice.Replace(Encoding.UTF8.GetBytes(body), "b"));
}

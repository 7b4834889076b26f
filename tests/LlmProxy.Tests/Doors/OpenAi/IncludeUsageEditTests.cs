using System.Text;
using System.Text.Json;
using LlmProxy.Doors.OpenAi;

namespace LlmProxy.Tests.Doors.OpenAi;

public class IncludeUsageEditTests
{
    private static string? Edit(string body)
    {
        using var edited = IncludeUsageEdit.Apply(Encoding.UTF8.GetBytes(body));
        return edited is null ? null : Encoding.UTF8.GetString(edited.Span);
    }

    /// <summary>Whether the edited body asks for usage, read as any JSON parser would (the last duplicate wins).</summary>
    private static bool AsksForUsage(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("stream_options", out var options)
            && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
    }

    [Fact]
    public void Without_stream_options_the_member_is_inserted_after_the_opening_brace_and_nothing_else_changes()
    {
        const string Body = "{ \"model\" : \"llama3\",\n  \"stream\":true, \"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9 \\\"x\\\"\"}] }";
        var edited = Edit(Body)!;
        Assert.Equal("{\"stream_options\":{\"include_usage\":true}," + Body[1..], edited);
        Assert.True(AsksForUsage(edited));
    }

    [Fact]
    public void Stream_options_without_include_usage_gains_it_and_its_other_members_stay()
    {
        const string Body = """{"model":"m","stream":true,"stream_options": {"continuous_usage_stats":false},"n":1}""";
        var edited = Edit(Body)!;
        Assert.Equal("""{"model":"m","stream":true,"stream_options": {"include_usage":true,"continuous_usage_stats":false},"n":1}""", edited);
        Assert.True(AsksForUsage(edited));

        const string Empty = """{"model":"m","stream":true,"stream_options":{ }}""";
        Assert.Equal("""{"model":"m","stream":true,"stream_options":{"include_usage":true }}""", Edit(Empty));
    }

    [Theory]
    [InlineData("false")]
    [InlineData("null")]
    [InlineData("0")]
    [InlineData("\"no\"")]
    [InlineData("{\"a\":[1,2]}")]
    public void Include_usage_false_or_any_other_non_true_value_becomes_true_in_place(string value)
    {
        var body = $$"""{"model":"m","stream":true,"stream_options":{"include_usage": {{value}} ,"x":1},"tail":"include_usage"}""";
        var edited = Edit(body)!;
        Assert.Equal("""{"model":"m","stream":true,"stream_options":{"include_usage": true ,"x":1},"tail":"include_usage"}""", edited);
        Assert.True(AsksForUsage(edited));
    }

    [Fact]
    public void Stream_options_null_becomes_an_object_asking_for_usage()
    {
        var edited = Edit("""{"model":"m","stream":true,"stream_options":null}""")!;
        Assert.Equal("""{"model":"m","stream":true,"stream_options":{"include_usage":true}}""", edited);
    }

    [Fact]
    public void A_body_that_asks_already_is_left_alone()
    {
        Assert.Null(Edit("""{"model":"m","stream":true,"stream_options":{"include_usage":true}}"""));
    }

    [Fact]
    public void A_stream_options_that_is_not_an_object_is_left_for_the_upstream_to_refuse()
    {
        Assert.Null(Edit("""{"model":"m","stream":true,"stream_options":"yes"}"""));
    }

    [Fact]
    public void Every_duplicate_of_stream_options_is_edited_so_every_parser_reads_the_same()
    {
        var edited = Edit("""{"model":"m","stream_options":{"include_usage":false},"stream":true,"stream_options":{}}""")!;
        Assert.Equal("""{"model":"m","stream_options":{"include_usage":true},"stream":true,"stream_options":{"include_usage":true}}""", edited);
        Assert.True(AsksForUsage(edited));
    }

    [Fact]
    public void A_nested_stream_options_is_not_the_request_s_own()
    {
        const string Body = """{"model":"m","metadata":{"stream_options":{"include_usage":false}},"stream":true}""";
        var edited = Edit(Body)!;
        Assert.Equal("{\"stream_options\":{\"include_usage\":true}," + Body[1..], edited);
    }

    [Fact]
    public void A_large_body_keeps_every_byte_around_the_edit()
    {
        var content = new string('x', 200_000);
        var body = $$"""{"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"{{content}}"}]}""";
        var edited = Edit(body)!;
        Assert.Equal(body.Replace("\"include_usage\":false", "\"include_usage\":true", StringComparison.Ordinal), edited);
    }
}

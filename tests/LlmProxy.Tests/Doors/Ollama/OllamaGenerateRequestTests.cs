using LlmProxy.Doors.Ollama;
using static LlmProxy.Tests.Doors.Ollama.OllamaTestKit;

namespace LlmProxy.Tests.Doors.Ollama;

public class OllamaGenerateRequestTests
{
    [Fact]
    public void System_and_prompt_become_a_system_and_a_user_message_whatever_their_order()
    {
        var (request, body) = Generate("""{"prompt":"why is the sky blue?","model":"llama3.2","system":"answer in one line"}""");

        Assert.Equal(new OllamaRequest(OllamaRequestKind.Upstream, "llama3.2", true, null), request);
        var messages = body.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal(("system", "answer in one line"), (messages[0].Text("role"), messages[0].Text("content")));
        Assert.Equal(("user", "why is the sky blue?"), (messages[1].Text("role"), messages[1].Text("content")));
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public void Images_join_the_prompt_as_content_parts()
    {
        var (_, body) = Generate($$"""{"model":"llava","prompt":"describe","stream":false,"images":["{{Png}}"]}""");

        var messages = body.GetProperty("messages");
        var content = Assert.Single(messages.EnumerateArray()).GetProperty("content");
        Assert.Equal("describe", content[0].Text("text"));
        Assert.Equal($"data:image/png;base64,{Png}", content[1].GetProperty("image_url").Text("url"));
        Assert.False(body.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public void Suffix_raw_template_context_think_and_keep_alive_are_dropped_options_and_format_carried()
    {
        var (_, body) = Generate("""
            {"model":"m","prompt":"p","suffix":"s","raw":true,"template":"{{ .Prompt }}","context":[1,2,3],"think":false,
             "keep_alive":"1h","format":"json","options":{"temperature":0,"num_predict":5}}
            """);

        Assert.Equal(new[] { "max_tokens", "messages", "model", "response_format", "stream", "stream_options", "temperature" },
            body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"model":"m"}""", "Load")]
    [InlineData("""{"model":"m","prompt":""}""", "Load")]
    [InlineData("""{"model":"m","prompt":"","keep_alive":0}""", "Unload")]
    [InlineData("""{"model":"m","images":[]}""", "Load")]
    public void No_prompt_and_no_images_is_the_load_call(string json, string kind)
    {
        Assert.Equal(Enum.Parse<OllamaRequestKind>(kind), Generate(json).Request.Kind);
    }

    [Fact]
    public void An_image_without_a_prompt_is_a_real_request()
    {
        var (request, body) = Generate($$"""{"model":"m","images":["{{Png}}"]}""");

        Assert.Equal(OllamaRequestKind.Upstream, request.Kind);
        Assert.Equal(1, body.GetProperty("messages")[0].GetProperty("content").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"model":"m","prompt":["a"]}""", "prompt must be a string")]
    [InlineData("""{"model":"m","prompt":"p","system":1}""", "system must be a string")]
    [InlineData("""{"model":"m","prompt":"p","images":["@@@@"]}""", "images[0] is not valid base64")]
    [InlineData("""{"prompt":"p"}""", "model is required")]
    public void A_bad_generate_body_is_a_400_naming_the_field(string json, string problem)
    {
        Assert.Equal(problem, Generate(json).Request.Problem);
    }
}

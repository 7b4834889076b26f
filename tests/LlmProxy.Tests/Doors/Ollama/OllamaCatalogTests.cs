using LlmProxy.Doors.Ollama;
using static LlmProxy.Tests.Doors.Ollama.OllamaTestKit;

namespace LlmProxy.Tests.Doors.Ollama;

public class OllamaCatalogTests
{
    private static readonly DateTimeOffset Seen = new(2025, 4, 30, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Tags_list_every_model_by_its_name_with_ollamas_fields_blank_where_unknown()
    {
        var body = Write(output => OllamaCatalogWriter.WriteTags([new OllamaModel("llama3.2:3b", Seen), new OllamaModel("Qwen/Qwen2.5-7B-Instruct", Seen)], output));

        var models = body.GetProperty("models");
        Assert.Equal(["llama3.2:3b", "Qwen/Qwen2.5-7B-Instruct"], models.EnumerateArray().Select(m => m.Text("name")));
        var first = models[0];
        Assert.Equal("llama3.2:3b", first.Text("model"));
        Assert.Equal(Seen, first.GetProperty("modified_at").GetDateTimeOffset());
        Assert.Equal(0, first.GetProperty("size").GetInt64());
        Assert.Equal("", first.Text("digest"));
        var details = first.GetProperty("details");
        Assert.Equal("", details.Text("family"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, details.GetProperty("families").ValueKind);
        Assert.Equal("", details.Text("parameter_size"));
        Assert.Equal("", details.Text("quantization_level"));
    }

    [Fact]
    public void An_empty_catalog_is_an_empty_models_list()
    {
        Assert.Equal(0, Write(output => OllamaCatalogWriter.WriteTags([], output)).GetProperty("models").GetArrayLength());
    }

    [Fact]
    public void Show_claims_only_completion_unless_more_is_known()
    {
        var plain = Write(output => OllamaCatalogWriter.WriteShow(new OllamaModel("m", Seen), output));
        var tools = Write(output => OllamaCatalogWriter.WriteShow(new OllamaModel("m", Seen, ["completion", "tools"]), output));

        Assert.Equal(["completion"], plain.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!));
        Assert.Equal(["completion", "tools"], tools.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!));
        Assert.Empty(plain.GetProperty("model_info").EnumerateObject());
        Assert.Equal("", plain.Text("template"));
        Assert.True(plain.GetProperty("details").Has("family"));
    }

    [Theory]
    [InlineData("""{"model":"llama3"}""", "llama3", null)]
    [InlineData("""{"name":"llama3"}""", "llama3", null)]
    [InlineData("""{"name":"old","model":"new","verbose":true}""", "new", null)]
    [InlineData("""{}""", null, "model is required")]
    [InlineData("""{"model":1}""", null, "model must be a string")]
    [InlineData("""{"model":""", null, "invalid JSON body")]
    [InlineData("", null, "missing request body")]
    public void Show_reads_model_or_the_older_name(string json, string? model, string? problem)
    {
        Assert.Equal(model, OllamaShowRequest.Read(System.Text.Encoding.UTF8.GetBytes(json), out var actual));
        if (problem is null)
        {
            Assert.Null(actual);
        }
        else
        {
            Assert.StartsWith(problem, actual, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Ps_lists_the_models_with_requests_in_flight()
    {
        var now = Seen.AddHours(1);

        var body = Write(output => OllamaCatalogWriter.WritePs([new OllamaModel("busy", Seen)], now, output));

        var model = Assert.Single(body.GetProperty("models").EnumerateArray());
        Assert.Equal(("busy", "busy"), (model.Text("name"), model.Text("model")));
        Assert.Equal(now, model.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(0, model.GetProperty("size_vram").GetInt64());
    }

    [Fact]
    public void Version_is_a_semver_that_passes_the_clients_minimum_checks()
    {
        var version = Write(OllamaCatalogWriter.WriteVersion).Text("version");

        Assert.Equal(OllamaCatalogWriter.Version, version);
        Assert.True(Version.Parse(version) >= new Version(0, 6, 4));
    }

    [Fact]
    public void Errors_are_ollamas_flat_error_object()
    {
        var body = Write(output => OllamaErrors.Write(OllamaErrors.ModelNotFound("ghost:7b"), output));

        Assert.Equal(["error"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal("model 'ghost:7b' not found", body.Text("error"));
    }

    [Fact]
    public void Load_and_unload_calls_get_ollamas_answers()
    {
        var now = Seen;
        var chat = Write(output => OllamaLoadResponses.WriteChat("m", unload: false, now, output));
        var generate = Write(output => OllamaLoadResponses.WriteGenerate("m", unload: true, now, output));
        var embed = Write(output => OllamaLoadResponses.WriteEmbed("m", output));
        var embeddings = Write(OllamaLoadResponses.WriteEmbeddings);

        Assert.Equal(("load", true, ""), (chat.Text("done_reason"), chat.GetProperty("done").GetBoolean(), chat.GetProperty("message").Text("content")));
        Assert.Equal(("unload", ""), (generate.Text("done_reason"), generate.Text("response")));
        Assert.Equal(0, embed.GetProperty("embeddings").GetArrayLength());
        Assert.Equal(0, embeddings.GetProperty("embedding").GetArrayLength());
    }
}

using System.Net;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;
using LlmProxy.Tests.Upstreams;

namespace LlmProxy.Tests.Metrics;

/// <summary>
/// Which model names become <c>model</c> label values (docs/operations.md, Metrics): real ones only, so a client sending
/// made-up names cannot use up the labels of the models that exist.
/// </summary>
public class ModelLabelTests
{
    private const string Completion = """{"id":"c","object":"chat.completion","created":1,"model":"llama3","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

    private static string Chat(string model) => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task Behind_the_legacy_upstream_junk_names_are_other_and_a_model_the_server_answers_keeps_its_name()
    {
        // An Ollama that knows one model, and answers every other name with its 404.
        await using var upstream = await FakeUpstream.StartAsync(context =>
        {
            var body = (byte[])context.Items[FakeUpstream.BodyItem]!;
            var model = JsonDocument.Parse(body).RootElement.GetProperty("model").GetString();
            return model == "llama3"
                ? UpstreamErrorMappingTests.Answer(context, 200, Completion)
                : UpstreamErrorMappingTests.Answer(context, 404, $$$"""{"error":{"message":"model \"{{{model}}}\" not found, try pulling it first","type":"not_found_error"}}""");
        });
        await using var proxy = await KestrelProxy.StartAsync(upstream);

        // More junk names than there are label values, before the real model's first request.
        for (var i = 0; i < LlmProxy.Metrics.LlmMetrics.MaxModelLabels + 20; i++)
        {
            using var junk = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Chat($"junk-{i}")));
            Assert.Equal(HttpStatusCode.NotFound, junk.StatusCode);
        }
        for (var i = 0; i < 3; i++)
        {
            using var real = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Chat("llama3")));
            Assert.Equal(HttpStatusCode.OK, real.StatusCode);
        }

        var text = await proxy.Client.GetStringAsync("metrics");
        Assert.DoesNotContain("model=\"junk-", text, StringComparison.Ordinal);
        Assert.Contains($"llm_requests_total{{provider=\"ollama\",model=\"other\",status=\"404\"}} {LlmProxy.Metrics.LlmMetrics.MaxModelLabels + 20}\n", text, StringComparison.Ordinal);
        // The first answer teaches the name; the requests after it carry it (the first was counted before it was known).
        // The server's answer makes the name real before the request is counted, so even the first one carries it.
        Assert.Contains("llm_requests_total{provider=\"ollama\",model=\"llama3\",status=\"200\"} 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_the_stub_answers_is_its_own_label_as_the_stub_serves_every_name()
    {
        await using var proxy = await TestProxy.StartAsync();
        using (var response = await proxy.Client.SendAsync(Requests.Post("v1/chat/completions", Chat("my-first-try"))))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var text = await proxy.Client.GetStringAsync("metrics");
        Assert.Contains("llm_requests_total{provider=\"stub\",model=\"my-first-try\",status=\"200\"} 1\n", text, StringComparison.Ordinal);
    }
}

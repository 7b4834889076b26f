using System.Net;
using LlmProxy.Http.Errors;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http;

public class ErrorDialectsTests
{
    private sealed class Named(string name) : IErrorDialect
    {
        public Type BodyType => typeof(string);

        public Task WriteAsync(HttpContext context, ProxyError error) => Task.CompletedTask;

        public override string ToString() => name;
    }

    private static readonly ErrorDialects Dialects = new([
        new ErrorDialectRoute("/", new Named("classic")),
        new ErrorDialectRoute("/v1", new Named("openai")),
        new ErrorDialectRoute("/v1/messages", new Named("anthropic")),
        new ErrorDialectRoute("/api", new Named("ollama")),
    ]);

    [Theory]
    [InlineData("/v1/chat/completions", "openai")]
    [InlineData("/V1/Chat/Completions", "openai")]
    [InlineData("/v1", "openai")]
    [InlineData("/v1/messages", "anthropic")]
    [InlineData("/V1/MESSAGES/count_tokens", "anthropic")]
    [InlineData("/v1/messagesx", "openai")]
    [InlineData("/api/chat", "ollama")]
    [InlineData("/apix", "classic")]
    [InlineData("/v1x/chat", "classic")]
    [InlineData("/proxy", "classic")]
    [InlineData("/", "classic")]
    public void The_longest_registered_prefix_of_whole_segments_wins_in_any_case(string path, string dialect) =>
        Assert.Equal(dialect, Dialects.For(path).ToString());

    [Fact]
    public void Without_a_fallback_for_the_root_the_registry_refuses_to_exist() =>
        Assert.Throws<InvalidOperationException>(() => new ErrorDialects([new ErrorDialectRoute("/v1", new Named("openai"))]));

    [Theory]
    [InlineData("/V1/chat/completions")]
    [InlineData("/v1/CHAT/completions")]
    public async Task An_openai_route_written_in_another_case_answers_errors_in_the_openai_envelope(string path)
    {
        await using var proxy = await TestProxy.StartAsync();

        using var unauthorized = await proxy.Client.SendAsync(Requests.Post(path, Requests.ValidChat, authorization: null));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        var error = (await Requests.JsonAsync(unauthorized)).GetProperty("error");
        Assert.Equal("authentication_error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());

        using var wrongType = await proxy.Client.SendAsync(Requests.Post(path, Requests.ValidChat, contentType: "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Equal("invalid_request_error", (await Requests.JsonAsync(wrongType)).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_unknown_path_under_v1_in_capitals_is_an_openai_404_and_elsewhere_a_classic_one()
    {
        await using var proxy = await TestProxy.StartAsync();

        using var openAi = await proxy.Client.GetAsync("/V1/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, openAi.StatusCode);
        Assert.Equal("not_found_error", (await Requests.JsonAsync(openAi)).GetProperty("error").GetProperty("type").GetString());

        using var classic = await proxy.Client.GetAsync("/v1x/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, classic.StatusCode);
        Assert.Equal("Not Found", (await Requests.JsonAsync(classic)).GetProperty("error").GetString());
    }
}

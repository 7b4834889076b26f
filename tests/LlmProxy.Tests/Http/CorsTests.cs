using System.Net;
using LlmProxy.Configuration;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Http;

public class CorsTests
{
    private static HttpRequestMessage WithOrigin(HttpRequestMessage request, string origin)
    {
        request.Headers.TryAddWithoutValidation("Origin", origin);
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues) : null;

    [Fact]
    public async Task Star_answers_any_origin_with_a_star_and_exposes_the_id_and_rate_limit_headers()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { CorsAllowOrigins = ["*"] });
        using var response = await proxy.Client.SendAsync(WithOrigin(Requests.Post("/proxy", Requests.ValidChat), "https://app.example"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        var exposed = Header(response, "Access-Control-Expose-Headers")!.Split(',').Select(h => h.Trim().ToLowerInvariant()).ToHashSet();
        Assert.Superset(new HashSet<string> { "x-request-id", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset" }, exposed);
    }

    [Theory]
    [InlineData("http://localhost:5173", true)]
    [InlineData("http://localhost", true)]
    [InlineData("https://127.0.0.1:8443", true)]
    [InlineData("http://[::1]:3000", true)]
    [InlineData("HTTP://LOCALHOST:3000", true)]
    [InlineData("https://evil.example", false)]
    [InlineData("http://localhost.evil.example", false)]
    [InlineData("http://localhost:3000.evil.example", false)]
    [InlineData("http://127.0.0.1.nip.io", false)]
    [InlineData("null", false)]
    public async Task By_default_only_pages_served_from_this_machine_get_cors_headers(string origin, bool allowed)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(WithOrigin(Requests.Post("/proxy", Requests.ValidChat), origin));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(allowed ? origin : null, Header(response, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_list_echoes_a_listed_origin_with_vary_and_gives_nothing_to_others()
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { CorsAllowOrigins = ["https://app.example"] });
        using var listed = await proxy.Client.SendAsync(WithOrigin(Requests.Post("/proxy", Requests.ValidChat), "https://app.example"));
        Assert.Equal("https://app.example", Header(listed, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", Header(listed, "Vary") ?? "", StringComparison.Ordinal);

        using var other = await proxy.Client.SendAsync(WithOrigin(Requests.Post("/proxy", Requests.ValidChat), "https://evil.example"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Null(Header(other, "Access-Control-Allow-Origin"));
        Assert.Null(Header(other, "Access-Control-Expose-Headers"));
    }

    [Theory]
    [InlineData("/proxy")]
    [InlineData("/v1/chat/completions")]
    [InlineData("/healthz")]
    public async Task A_preflight_is_answered_204_with_the_allowed_method_and_headers(string path)
    {
        await using var proxy = await TestProxy.StartAsync(new ProxySettings { CorsAllowOrigins = ["https://app.example", "http://localhost:3000"] });
        using var request = WithOrigin(new HttpRequestMessage(HttpMethod.Options, path), "http://localhost:3000");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "authorization,content-type");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("http://localhost:3000", Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Header(response, "Access-Control-Allow-Methods")!, StringComparison.Ordinal);
        Assert.Contains("authorization", Header(response, "Access-Control-Allow-Headers")!, StringComparison.OrdinalIgnoreCase);
        Assert.NotEmpty(Requests.RequestId(response));
    }

    [Fact]
    public async Task Error_responses_carry_cors_headers_too()
    {
        await using var proxy = await TestProxy.StartAsync(
            new ProxySettings { CorsAllowOrigins = ["https://app.example"], MaxRequestBytes = 100, RateLimitEnabled = true, RateLimitMaxRequests = 1 },
            configureEndpoints: app => app.MapGet("/test/throw", (HttpContext _) => throw new InvalidOperationException("boom")));
        const string origin = "https://app.example";

        using var unauthorized = await proxy.Client.SendAsync(WithOrigin(Requests.Post("/proxy", Requests.ValidChat, authorization: null), origin));
        using var notFound = await proxy.Client.SendAsync(WithOrigin(new HttpRequestMessage(HttpMethod.Get, "/nope"), origin));
        using var tooLarge = await proxy.Client.SendAsync(WithOrigin(Requests.Post("/proxy", Requests.ValidChat + new string(' ', 200)), origin));
        using var crashed = await proxy.Client.SendAsync(WithOrigin(new HttpRequestMessage(HttpMethod.Get, "/test/throw"), origin));
        using var allowed = await proxy.Client.SendAsync(WithOrigin(Requests.Post("/proxy", Requests.ValidChat), origin));
        using var limited = await proxy.Client.SendAsync(WithOrigin(Requests.Post("/proxy", Requests.ValidChat), origin));

        foreach (var (response, status) in new[] { (unauthorized, 401), (notFound, 404), (tooLarge, 413), (crashed, 500), (allowed, 200), (limited, 429) })
        {
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal(origin, Header(response, "Access-Control-Allow-Origin"));
            Assert.Contains("x-request-id", Header(response, "Access-Control-Expose-Headers")!, StringComparison.OrdinalIgnoreCase);
        }
        Assert.NotNull(Header(limited, "Retry-After"));
    }
}

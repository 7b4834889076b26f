using System.Net;
using System.Text.Json;
using LlmProxy.Http.Auth;
using LlmProxy.Http.RateLimiting;
using LlmProxy.Tests.Operations.Docs;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Operations;

public class DocsApiTests
{
    [Fact]
    public async Task The_openapi_document_describes_every_route_with_its_bodies_and_errors()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.GetAsync("/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var doc = await Requests.JsonAsync(response);
        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("llm-proxy", doc.GetProperty("info").GetProperty("title").GetString());
        var paths = doc.GetProperty("paths");

        var proxyPost = paths.GetProperty("/proxy").GetProperty("post");
        var requestSchema = proxyPost.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var requestProps = Resolve(doc, requestSchema).GetProperty("properties");
        Assert.True(requestProps.TryGetProperty("model", out _));
        Assert.True(requestProps.TryGetProperty("messages", out _));
        var responses = proxyPost.GetProperty("responses");
        foreach (var status in new[] { "200", "400", "401", "413", "415", "422" })
        {
            Assert.True(responses.TryGetProperty(status, out _), $"/proxy documents no {status}");
        }
        var ok = Resolve(doc, responses.GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(ok.GetProperty("properties").TryGetProperty("choices", out _));
        var unauthorized = Resolve(doc, responses.GetProperty("401").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(unauthorized.GetProperty("properties").TryGetProperty("request_id", out _));
        Assert.True(proxyPost.TryGetProperty("security", out _), "/proxy does not say it needs a bearer token");

        var stream = paths.GetProperty("/proxy/stream").GetProperty("post").GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.True(stream.TryGetProperty("text/event-stream", out _));

        var health = paths.GetProperty("/healthz").GetProperty("get");
        Assert.True(health.GetProperty("responses").TryGetProperty("200", out _));
        Assert.False(health.TryGetProperty("security", out _));
        Assert.Equal("http", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_document_never_repeats_the_requests_host_as_its_server()
    {
        // Every Host allowed, so the request reaches the document: the only protection left is the document itself.
        await using var proxy = await KestrelProxy.StartAsync(new LlmProxy.Configuration.ProxySettings { AllowedHosts = ["*"] });
        var request = new HttpRequestMessage(HttpMethod.Get, "openapi.json");
        request.Headers.Host = "evil.example:666";
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("evil.example", text, StringComparison.Ordinal);
        // No server entry at all: the docs pages use the address they were loaded from (docs/api.md, API description).
        Assert.False((await Requests.JsonAsync(response)).TryGetProperty("servers", out _));
    }

    [Fact]
    public async Task Rate_limited_routes_document_their_429_and_v1_routes_get_the_openai_error_shape()
    {
        // A route added now, through the generator that makes the committed document.
        using var doc = JsonDocument.Parse(await OpenApiGenerator.GenerateAsync(app =>
        {
            var v1 = app.MapGroup("/v1").RequireProxyAuth().RequireProxyRateLimit();
            v1.MapPost("/test/docs", () => "ok");
        }));
        var root = doc.RootElement;
        var proxy429 = root.GetProperty("paths").GetProperty("/proxy").GetProperty("post").GetProperty("responses").GetProperty("429");
        Assert.True(Resolve(root, proxy429.GetProperty("content").GetProperty("application/json").GetProperty("schema")).GetProperty("properties").TryGetProperty("request_id", out _));
        var v1 = root.GetProperty("paths").GetProperty("/v1/test/docs").GetProperty("post").GetProperty("responses");
        foreach (var status in new[] { "401", "429" })
        {
            var schema = Resolve(root, v1.GetProperty(status).GetProperty("content").GetProperty("application/json").GetProperty("schema"));
            var error = Resolve(root, schema.GetProperty("properties").GetProperty("error"));
            Assert.True(error.GetProperty("properties").TryGetProperty("message", out _), $"{status} under /v1 is not the OpenAI envelope");
        }
    }

    [Theory]
    [InlineData("/docs", "swagger-ui")]
    [InlineData("/redoc", "redoc")]
    public async Task The_doc_pages_and_every_asset_they_load_come_from_the_binary(string page, string marker)
    {
        await using var proxy = await TestProxy.StartAsync();
        var pages = await DocPages.FetchAsync(proxy.Client, page);
        Assert.Contains(pages.Values, text => text.Contains(marker, StringComparison.OrdinalIgnoreCase));
        Assert.True(pages.Count >= 3, $"{page} loaded only {string.Join(", ", pages.Keys)}");
        Assert.Empty(DocPages.ExternalReferences(pages));
    }

    [Fact]
    public void The_offline_check_catches_external_stylesheets_scripts_and_modules()
    {
        // Swashbuckle's stock ReDoc page links Google Fonts; the check must see such a link (and CDN scripts, modules).
        var page = new Dictionary<string, string>
        {
            ["/x/index.html"] = """
                <link href="https://fonts.googleapis.com/css?family=Roboto" rel="stylesheet">
                <link href="index.css" rel="stylesheet"><script src="//cdn.example/ui.js"></script>
                <script type="module">import { init } from 'https://esm.example/redoc.js';</script>
                <style>body { background: url("http://img.example/bg.png") }</style>
                """,
        };
        Assert.Equal(4, DocPages.ExternalReferences(page).Count);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8", 200)]
    [InlineData("application/vnd.example+json", 200)]
    [InlineData("text/plain", 415)]
    public async Task Documenting_the_body_leaves_content_type_checks_to_the_handler(string contentType, int expected)
    {
        // Accepts<T>() would have let routing answer a bodiless 415 and refuse +json types (RFC 6839).
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.SendAsync(Requests.Post("/proxy", Requests.ValidChat, contentType));
        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 415)
        {
            Assert.Contains("application/json", (await Requests.JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    private static JsonElement Resolve(JsonElement doc, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            return doc.GetProperty("components").GetProperty("schemas").GetProperty(name);
        }
        return schema;
    }
}

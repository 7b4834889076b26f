using System.IO.Compression;
using System.Net;
using LlmProxy.Operations.Docs;
using LlmProxy.Tests.Support;

namespace LlmProxy.Tests.Operations.Docs;

public class DocsAssetsTests
{
    private const string Bundle = "/docs/swagger-ui-bundle.js";

    [Theory]
    [InlineData("br", "br")]
    [InlineData("gzip, deflate, br, zstd", "br")]
    [InlineData("gzip, deflate", "gzip")]
    [InlineData("br;q=0, gzip", "gzip")]
    [InlineData("*", "br")]
    [InlineData("*;q=0.5, br;q=0", "gzip")]
    [InlineData("identity", "")]
    [InlineData("gzip;q=0, br;q=0", "")]
    public async Task The_answer_comes_in_the_best_coding_the_client_accepts_and_decodes_to_the_file(string acceptEncoding, string expected)
    {
        await using var proxy = await TestProxy.StartAsync();
        var plain = await GetBytesAsync(proxy.Client, Bundle, acceptEncoding: null);

        using var request = new HttpRequestMessage(HttpMethod.Get, Bundle);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, string.Join(",", response.Content.Headers.ContentEncoding));
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (expected == "br")
        {
            // The stored bytes, as they are: the length is known.
            Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        }
        Assert.Equal(plain, Decode(body, expected));
    }

    [Fact]
    public async Task A_client_that_names_no_coding_gets_the_plain_file_with_its_media_type()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.GetAsync(Bundle);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal("text/javascript; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.Length > 1_000_000, $"swagger-ui-bundle.js is {text.Length} characters");
        Assert.Contains("SwaggerUIBundle", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_that_sends_the_etag_back_gets_a_304_without_a_body()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var first = await proxy.Client.GetAsync("/redoc/redoc.standalone.js");
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.Equal("no-cache", first.Headers.CacheControl!.ToString());

        using var again = new HttpRequestMessage(HttpMethod.Get, "/redoc/redoc.standalone.js");
        again.Headers.IfNoneMatch.Add(etag);
        using var response = await proxy.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());

        using var other = new HttpRequestMessage(HttpMethod.Get, "/redoc/redoc.standalone.js");
        other.Headers.TryAddWithoutValidation("If-None-Match", "W/\"0000000000000000\"");
        using var changed = await proxy.Client.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task Each_file_has_its_own_etag()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var a = await proxy.Client.GetAsync("/docs/index.html");
        using var b = await proxy.Client.GetAsync("/redoc/index.html");
        Assert.NotEqual(a.Headers.ETag, b.Headers.ETag);
    }

    [Fact]
    public async Task HEAD_answers_the_headers_without_the_body()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Head, "/openapi.json");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "br");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("br", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.True(response.Content.Headers.ContentLength > 1000);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/docs", "docs/")]
    [InlineData("/redoc", "redoc/")]
    public async Task A_page_without_its_slash_is_redirected_relatively_to_the_page(string path, string location)
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(location, response.Headers.Location!.OriginalString);

        using var page = await proxy.Client.GetAsync(path + "/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task An_unknown_file_under_a_page_is_a_404_in_the_error_shape()
    {
        await using var proxy = await TestProxy.StartAsync();
        using var response = await proxy.Client.GetAsync("/docs/oauth2-redirect.html");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await Requests.JsonAsync(response);
        Assert.Contains("/docs/oauth2-redirect.html", error.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_swagger_ui_licence_and_notice_are_served_with_it()
    {
        await using var proxy = await TestProxy.StartAsync();
        Assert.Contains("Apache License", await proxy.Client.GetStringAsync("/docs/LICENSE"), StringComparison.Ordinal);
        Assert.Contains("swagger-ui", await proxy.Client.GetStringAsync("/docs/NOTICE"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_docs_routes_are_not_in_the_description()
    {
        await using var proxy = await TestProxy.StartAsync();
        var doc = await Requests.JsonAsync(await proxy.Client.GetAsync("/openapi.json"));
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
        {
            Assert.DoesNotContain(path.Name, new[] { "/openapi.json", "/docs/{file}", "/redoc/{file}" });
        }
    }

    [Fact]
    public void An_accept_encoding_that_does_not_parse_gets_the_plain_file()
    {
        Assert.Equal(DocsAssets.Encoding.Identity, DocsAssets.Negotiate("br;q=x;;,"));
    }

    private static async Task<byte[]> GetBytesAsync(HttpClient client, string path, string? acceptEncoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }
        using var response = await client.SendAsync(request);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static byte[] Decode(byte[] body, string coding)
    {
        using var input = new MemoryStream(body);
        using Stream decoder = coding switch
        {
            "br" => new BrotliStream(input, CompressionMode.Decompress),
            "gzip" => new GZipStream(input, CompressionMode.Decompress),
            _ => input,
        };
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }
}

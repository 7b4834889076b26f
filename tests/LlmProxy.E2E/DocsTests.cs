using System.IO.Compression;
using System.Net;
using LlmProxy.E2E.Support;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E;

/// <summary>/openapi.json, /docs and /redoc from the AOT binary, with no network beyond the proxy itself.</summary>
public class DocsTests(RunningProxyFixture fixture) : IClassFixture<RunningProxyFixture>
{
    [Fact]
    public async Task The_openapi_document_lists_every_route()
    {
        using var response = await fixture.Proxy.Client.GetAsync("openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = await Http.JsonAsync(response);
        var paths = doc.GetProperty("paths");
        Assert.True(paths.GetProperty("/proxy").TryGetProperty("post", out var proxy));
        Assert.True(proxy.TryGetProperty("requestBody", out _));
        Assert.True(paths.GetProperty("/proxy/stream").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/healthz").TryGetProperty("get", out _));
        Assert.True(doc.GetProperty("components").GetProperty("schemas").TryGetProperty("ChatCompletion", out var completion));
        Assert.True(completion.GetProperty("properties").TryGetProperty("choices", out _));
    }

    [Theory]
    [InlineData("docs", "swagger-ui-bundle.js")]
    [InlineData("redoc", "redoc.standalone.js")]
    public async Task The_ui_and_all_its_assets_are_served_by_the_binary_with_no_external_url(string page, string bundle)
    {
        var pages = await DocPages.FetchAsync(fixture.Proxy.Client, page);
        Assert.Contains(pages.Keys, p => p.EndsWith(bundle, StringComparison.Ordinal));
        Assert.True(pages.Single(p => p.Key.EndsWith(bundle, StringComparison.Ordinal)).Value.Length > 100_000, $"{bundle} is suspiciously small");
        Assert.Empty(DocPages.ExternalReferences(pages));
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task The_binary_serves_the_bundles_compressed_and_they_decode_to_the_plain_file(string coding)
    {
        // Stored brotli-compressed at build time; gzip is transcoded and the plain file decompressed by the binary.
        var plain = await fixture.Proxy.Client.GetByteArrayAsync("redoc/redoc.standalone.js");
        using var request = new HttpRequestMessage(HttpMethod.Get, "redoc/redoc.standalone.js");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", coding);
        using var response = await fixture.Proxy.Client.SendAsync(request);
        Assert.Equal(coding, Assert.Single(response.Content.Headers.ContentEncoding));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.Length < plain.Length / 2, $"{coding}: {body.Length} bytes for a {plain.Length}-byte file");
        using var input = new MemoryStream(body);
        using Stream decoder = coding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var decoded = new MemoryStream();
        await decoder.CopyToAsync(decoded);
        Assert.Equal(plain, decoded.ToArray());
    }
}

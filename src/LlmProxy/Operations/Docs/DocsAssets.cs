using System.Collections.Frozen;
using System.IO.Compression;
using Microsoft.Net.Http.Headers;

namespace LlmProxy.Operations.Docs;

/// <summary>
/// Serves the files of <c>/openapi.json</c>, <c>/docs</c> and <c>/redoc</c> (docs/api.md, API description). Each is
/// embedded once, brotli-compressed at build time (Operations/Docs/DocsAssets.targets): a client that accepts
/// <c>br</c> gets those bytes as they are; one that accepts only <c>gzip</c> (a browser on plain HTTP to a host other
/// than localhost) gets them transcoded to gzip at the default level, since those clients are the remote ones, where
/// size matters; any other gets them decompressed. Every answer carries a weak ETag of the file, so a reload is a 304.
/// </summary>
internal static class DocsAssets
{
    private const string ResourceSuffix = ".br";

    /// <summary>The embedded files by the path they are served at ("docs/index.html"), read once on first use.</summary>
    private static FrozenDictionary<string, DocsAsset> Files => Catalog.Files;

    /// <summary>Answers with the embedded file <paramref name="name"/>, or 404 (the error handler writes the body).</summary>
    public static async Task ServeAsync(HttpContext context, string name)
    {
        var response = context.Response;
        if (!Files.TryGetValue(name, out var asset))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var headers = response.Headers;
        headers.Vary = HeaderNames.AcceptEncoding;
        // Revalidate on every load: the files change with the binary, and a 304 costs a round trip and no body.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (IsNotModified(context.Request.Headers.IfNoneMatch, asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = asset.ContentType;
        var encoding = Negotiate(context.Request.Headers.AcceptEncoding);
        if (encoding == Encoding.Brotli)
        {
            headers.ContentEncoding = "br";
            response.ContentLength = asset.CompressedLength;
        }
        else if (encoding == Encoding.Gzip)
        {
            headers.ContentEncoding = "gzip";
        }
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        var aborted = context.RequestAborted;
        await using var stored = asset.Open();
        switch (encoding)
        {
            case Encoding.Brotli:
                await stored.CopyToAsync(response.Body, aborted);
                break;
            case Encoding.Gzip:
                await using (var brotli = new BrotliStream(stored, CompressionMode.Decompress))
                await using (var gzip = new GZipStream(response.Body, CompressionLevel.Optimal, leaveOpen: true))
                {
                    await brotli.CopyToAsync(gzip, aborted);
                }
                break;
            default:
                await using (var brotli = new BrotliStream(stored, CompressionMode.Decompress))
                {
                    await brotli.CopyToAsync(response.Body, aborted);
                }
                break;
        }
    }

    internal enum Encoding
    {
        Identity,
        Gzip,
        Brotli,
    }

    /// <summary>
    /// The coding to answer with (RFC 9110, 12.5.3): br, else gzip, when the client gives it a non-zero weight (named or
    /// by <c>*</c>); else identity. No Accept-Encoding at all gets identity: the RFC would allow any coding, but the
    /// clients that send none (curl, scripts) are the ones that cannot decode one.
    /// </summary>
    internal static Encoding Negotiate(Microsoft.Extensions.Primitives.StringValues acceptEncoding)
    {
        if (acceptEncoding.Count == 0 || !StringWithQualityHeaderValue.TryParseList(acceptEncoding, out var codings))
        {
            return Encoding.Identity;
        }
        if (Weight(codings, "br") > 0)
        {
            return Encoding.Brotli;
        }
        return Weight(codings, "gzip") > 0 ? Encoding.Gzip : Encoding.Identity;
    }

    private static double Weight(IList<StringWithQualityHeaderValue> codings, string coding)
    {
        double? any = null;
        foreach (var c in codings)
        {
            if (c.Value.Equals(coding, StringComparison.OrdinalIgnoreCase))
            {
                return c.Quality ?? 1;
            }
            if (c.Value.Equals("*", StringComparison.Ordinal))
            {
                any = c.Quality ?? 1;
            }
        }
        return any ?? 0;
    }

    /// <summary>If-None-Match with weak comparison (RFC 9110, 13.1.2): any listed tag equal to ours, or <c>*</c>.</summary>
    private static bool IsNotModified(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }
        var ours = EntityTagHeaderValue.Parse(etag);
        foreach (var tag in tags)
        {
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(ours, useStrongComparison: false))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Built on first use, not at start-up: most runs never open the docs.</summary>
    private static class Catalog
    {
        public static readonly FrozenDictionary<string, DocsAsset> Files = typeof(DocsAssets).Assembly.GetManifestResourceNames()
            .Where(r => r.EndsWith(ResourceSuffix, StringComparison.Ordinal))
            .Select(r => new DocsAsset(r[..^ResourceSuffix.Length], r))
            .ToFrozenDictionary(a => a.Name, StringComparer.Ordinal);
    }
}

using System.Text.Unicode;
using LlmProxy.Configuration;
using LlmProxy.Http.Errors;
using Microsoft.Net.Http.Headers;

namespace LlmProxy.Http.Body;

/// <summary>
/// The gate every JSON route's body passes (docs/api.md, Request bodies): a JSON content type (else 415), a body within
/// the limit read once into a pooled buffer (else 413), valid UTF-8 throughout (else 400). The error is written in the
/// route's dialect and null returned; otherwise the caller owns (and disposes) the body.
/// </summary>
internal sealed class JsonBodyGate(ProxySettings settings, ErrorDialects errors)
{
    private readonly long _limit = settings.EffectiveMaxRequestBytes;

    /// <param name="context">The request whose body is read.</param>
    /// <param name="anyTypeWithoutOrigin">
    /// Read the body as JSON whatever its Content-Type when the request carries no <c>Origin</c> header (it did not come
    /// from a web page). Ollama's routes: Ollama itself ignores the type, and <c>curl -d</c>, the usage of Ollama's
    /// own docs, sends <c>application/x-www-form-urlencoded</c>. A browser page still needs a JSON type, which it can
    /// only send after a CORS preflight, so other sites cannot drive the models with a "simple" request
    /// (docs/ollama.md, Request bodies).
    /// </param>
    public async Task<PooledBody?> ReadAsync(HttpContext context, bool anyTypeWithoutOrigin = false)
    {
        var request = context.Request;
        if (!IsJson(request.ContentType) && !(anyTypeWithoutOrigin && !request.Headers.ContainsKey(HeaderNames.Origin)))
        {
            await errors.WriteAsync(context, new ProxyError(415, request.ContentType is null
                ? "Content-Type header is missing; send application/json"
                : "Content-Type must be application/json"));
            return null;
        }
        if (request.ContentLength > _limit)
        {
            await WriteTooLargeAsync(context);
            return null;
        }
        // The limit is at most 1 GiB (settings), so it is an int; reading stops one byte past it.
        var body = await PooledBody.ReadAsync(request.Body, (int)_limit, context.RequestAborted, request.ContentLength);
        if (body.Length > _limit)
        {
            body.Dispose();
            await WriteTooLargeAsync(context);
            return null;
        }
        // JSON readers check UTF-8 only inside the strings they decode; check the whole body up front (vectorised):
        // the classic parser must not meet it half-way and the upstream deserves valid UTF-8 throughout.
        if (!Utf8.IsValid(body.Span))
        {
            body.Dispose();
            await errors.WriteAsync(context, new ProxyError(400, "Request body is not valid UTF-8"));
            return null;
        }
        return body;
    }

    /// <summary>Accepts <c>application/json</c> and <c>application/*+json</c> (RFC 6839 §3.1), with any parameters.</summary>
    public static bool IsJson(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }
        var mediaType = parsed.MediaType;
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private Task WriteTooLargeAsync(HttpContext context) =>
        errors.WriteAsync(context, new ProxyError(413, $"Request body is larger than the limit of {_limit} bytes"));
}

using System.Text.Unicode;
using LlmProxy.Configuration;
using LlmProxy.Http.Errors;

namespace LlmProxy.Http.Body;

/// <summary>
/// The gate every JSON route's body passes (CONTRACT §2.2, §2.3): a JSON content type (else 415), a body within the
/// limit read once into a pooled buffer (else 413), valid UTF-8 throughout (else 400). The error is written in the
/// route's dialect and null returned; otherwise the caller owns (and disposes) the body.
/// </summary>
public static class JsonRequestBody
{
    public static async Task<PooledBody?> ReadAsync(HttpContext context, ProxySettings settings)
    {
        if (!JsonContentType.IsJson(context.Request.ContentType))
        {
            await ErrorWriter.WriteAsync(context, 415, context.Request.ContentType is null
                ? "Content-Type header is missing; send application/json"
                : "Content-Type must be application/json");
            return null;
        }
        var body = await RequestBodyReader.ReadAsync(context.Request, settings, context.RequestAborted);
        if (body is null)
        {
            await ErrorWriter.WriteAsync(context, 413, $"Request body is larger than the limit of {settings.EffectiveMaxRequestBytes} bytes");
            return null;
        }
        // JSON readers check UTF-8 only inside the strings they decode; check the whole body up front (vectorised):
        // the seed parser must not meet it half-way and the upstream deserves valid UTF-8 throughout.
        if (!Utf8.IsValid(body.Span))
        {
            body.Dispose();
            await ErrorWriter.WriteAsync(context, 400, "Request body is not valid UTF-8");
            return null;
        }
        return body;
    }
}

using LlmProxy.Http.Errors;
using Microsoft.AspNetCore.WebUtilities;

namespace LlmProxy.Doors.Anthropic;

/// <summary>
/// The error dialect of the <c>/v1/messages</c> routes (docs/anthropic.md, Errors): every error answer under that prefix
/// — the door's own and the shared edges' (401, 404, 405, 413, 415, 429, 500, the 503 of a drain) — is Anthropic's
/// <c>{"type":"error","error":{"type","message"},"request_id"}</c>, so Anthropic SDKs raise their typed errors
/// (AuthenticationError, NotFoundError, RateLimitError...).
/// </summary>
internal sealed class AnthropicErrorDialect : IErrorDialect
{
    public static readonly AnthropicErrorDialect Instance = new();

    public Type BodyType => typeof(AnthropicErrorBody);

    public async Task WriteAsync(HttpContext context, ProxyError error)
    {
        // Anthropic's message is never empty: without a detail, the status's name says what happened.
        var message = error.Detail ?? ReasonPhrases.GetReasonPhrase(error.Status);
        error.Prepare(context.Response);
        var body = context.Response.BodyWriter;
        AnthropicErrors.Write(body, error.Status, message, context.TraceIdentifier);
        await body.FlushAsync(context.RequestAborted);
    }
}

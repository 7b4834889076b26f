using System.Text.Json;
using LlmProxy.Http.Errors;
using LlmProxy.Upstreams;
using Microsoft.AspNetCore.WebUtilities;

namespace LlmProxy.Doors.OpenAi;

/// <summary>
/// The OpenAI error envelope (docs/api.md, Errors): <c>{"error":{"message","type","param","code"}}</c>, the type named
/// by the status as api.openai.com names it, so OpenAI SDKs raise their usual typed exceptions.
/// </summary>
internal sealed class OpenAiErrors : IErrorDialect
{
    public static readonly OpenAiErrors Dialect = new();

    public Type BodyType => typeof(OpenAiErrorEnvelope);

    /// <summary>The <c>type</c> by status, as api.openai.com uses them.</summary>
    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    public Task WriteAsync(HttpContext context, ProxyError error)
    {
        // OpenAI's message is never empty: without a detail, the status's name says what happened.
        var message = error.Detail ?? ReasonPhrases.GetReasonPhrase(error.Status);
        error.Prepare(context.Response);
        return JsonSerializer.SerializeAsync(context.Response.Body, new OpenAiErrorEnvelope(new OpenAiError(message, TypeFor(error.Status), error.Param, error.Code)),
            UpstreamJsonContext.Default.OpenAiErrorEnvelope, context.RequestAborted);
    }
}

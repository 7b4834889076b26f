using System.Text.Json;
using LlmProxy.Json;

namespace LlmProxy.Http.Errors;

/// <summary>Writes error responses in the route's dialect (CONTRACT §5). Never includes a stack trace or a secret.</summary>
public static class ErrorWriter
{
    /// <summary>The seed dialect's titles by status.</summary>
    public static string TitleFor(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Validation Error",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => status >= 500 ? "Internal Server Error" : "Bad Request",
    };

    /// <summary>The OpenAI dialect's <c>type</c> by status, as api.openai.com uses them.</summary>
    public static string OpenAiTypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    /// <summary>Writes an error in the request's dialect: seed title + detail, or the OpenAI envelope with the detail as message.</summary>
    public static Task WriteAsync(HttpContext context, int status, string? detail, string? openAiCode = null, string? param = null, string? seedTitle = null)
    {
        if (ErrorDialect.IsOpenAi(context.Request))
        {
            var message = detail ?? TitleFor(status);
            return WriteOpenAiAsync(context, status, new OpenAiError(message, OpenAiTypeFor(status), param, openAiCode));
        }
        return WriteSeedAsync(context, status, new SeedError(seedTitle ?? TitleFor(status), detail, context.TraceIdentifier));
    }

    public static Task WriteSeedAsync(HttpContext context, int status, SeedError body)
    {
        Prepare(context, status);
        return JsonSerializer.SerializeAsync(context.Response.Body, body, ProxyJsonContext.Default.SeedError, context.RequestAborted);
    }

    public static Task WriteValidationAsync(HttpContext context, IReadOnlyList<ValidationProblem> problems)
    {
        if (ErrorDialect.IsOpenAi(context.Request))
        {
            // OpenAI clients expect one message and the offending parameter; list every problem in the message.
            var message = string.Join("; ", problems.Select(p => $"{p.Loc}: {p.Msg}"));
            return WriteOpenAiAsync(context, 400, new OpenAiError(message, "invalid_request_error", problems[0].Loc, null));
        }
        Prepare(context, 422);
        var body = new SeedValidationError(TitleFor(422), problems, context.TraceIdentifier);
        return JsonSerializer.SerializeAsync(context.Response.Body, body, ProxyJsonContext.Default.SeedValidationError, context.RequestAborted);
    }

    public static Task WriteOpenAiAsync(HttpContext context, int status, OpenAiError error)
    {
        Prepare(context, status);
        return JsonSerializer.SerializeAsync(context.Response.Body, new OpenAiErrorEnvelope(error), ProxyJsonContext.Default.OpenAiErrorEnvelope, context.RequestAborted);
    }

    private static void Prepare(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
    }
}

using LlmProxy.Configuration;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;

namespace LlmProxy.Upstreams;

/// <summary>
/// The <c>ollama</c> upstream (docs/configuration.md, OPENAI_COMPAT_BASE_URL): any OpenAI-compatible server — Ollama,
/// LM Studio, LocalAI, llama.cpp server, vLLM. Sends the request (retrying connection failures, see
/// <see cref="UpstreamClient"/>) and turns an error status into the failure that stands for it (docs/api.md, Errors).
/// </summary>
internal sealed class OpenAiCompatUpstream(UpstreamClient client, ProxySettings settings, LlmMetrics metrics, ILogger<UpstreamCall> logger) : IUpstream
{
    /// <summary>The name LLM_PROVIDER and MODEL_PROVIDER_MAP know it by (the first server it was written for).</summary>
    public const string ProviderName = "ollama";

    /// <summary>A model list is metadata: a client should not wait UPSTREAM_TIMEOUT_SECONDS (600 s) for it.</summary>
    public static readonly TimeSpan ModelListTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Error bodies are short; anything past this is not a message a client needs.</summary>
    private const int ErrorBodyLimit = 64 * 1024;

    /// <summary>A model list larger than this is not one.</summary>
    private const int ModelListLimit = 16 * 1024 * 1024;

    public string Name => ProviderName;

    public async Task<UpstreamCall> SendAsync(UpstreamRequest request, HttpContext context)
    {
        var call = new UpstreamCall(Name, request, context, settings.UpstreamTimeout, metrics.For(Name, request.Model), logger);
        var (response, failure) = await client.SendAsync(context, HttpMethod.Post, call.Endpoint, request.Body, call.Idle);
        if (response is null)
        {
            call.Fail(failure!);
            return call;
        }
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            call.Answered(response);
            return call;
        }
        using (response)
        {
            call.OnStatus(status);
            var error = await ReadErrorAsync(response, status, call.Idle);
            if (status is 401 or 403 && error.ShouldAnswer && !client.ForwardsClientAuthorization(context))
            {
                error = RefusedProxyCredentials(error, status);
            }
            call.Fail(error);
            return call;
        }
    }

    /// <summary>
    /// The upstream refused credentials the client never chose — the proxy's own (OPENAI_COMPAT_API_KEY, or none), because
    /// the client's key was the proxy's to check and passed: a gateway fault, 502, not the client's 401/403
    /// (docs/api.md, Upstream outcomes). The upstream's words are kept (secrets taken out on the way, see
    /// <see cref="UpstreamSecrets"/>) for the operator who reads the error.
    /// </summary>
    private static UpstreamFailure RefusedProxyCredentials(UpstreamFailure failure, int status) => new(
        UpstreamOutcome.UpstreamError, 502,
        $"The upstream model server refused the proxy's credentials ({status}); the operator must check OPENAI_COMPAT_API_KEY. The upstream said: {failure.Message}",
        "server_error", Code: RefusedCredentialsCode);

    /// <summary>The OpenAI-style code of that 502.</summary>
    public const string RefusedCredentialsCode = "upstream_auth_failed";

    /// <summary>
    /// The upstream's <c>/models</c> list (for GET /v1/models), or null with the reason it is unavailable. Bounded by
    /// <see cref="ModelListTimeout"/>: a failing upstream shrinks the list, it never holds it up.
    /// </summary>
    public async Task<(PooledBody? Body, string? Unavailable)> ListModelsAsync(HttpContext context)
    {
        var timeout = settings.UpstreamTimeout < ModelListTimeout ? settings.UpstreamTimeout : ModelListTimeout;
        using var idle = new IdleTimeout(timeout, context.RequestAborted);
        var (response, failure) = await client.SendAsync(context, HttpMethod.Get, "models", null, idle);
        if (response is null)
        {
            return (null, failure!.Kind.ToString());
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                return (null, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
                var body = await PooledBody.ReadAsync(stream, ModelListLimit, idle.Token, onRead: idle.Touch);
                if (body.Length > ModelListLimit)
                {
                    body.Dispose();
                    return (null, "too large");
                }
                return (body, null);
            }
            catch (Exception e) when (idle.IsUpstreamFailure(e))
            {
                return (null, e.GetType().Name);
            }
        }
    }

    /// <summary>An error status: its body read (bounded) and mapped. A body that never came whole does not change the status.</summary>
    private static async Task<UpstreamFailure> ReadErrorAsync(HttpResponseMessage response, int status, IdleTimeout idle)
    {
        UpstreamError error;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
            using var body = await PooledBody.ReadAsync(stream, ErrorBodyLimit, idle.Token, onRead: idle.Touch);
            error = UpstreamErrorParser.Parse(status, body.Span[..Math.Min(body.Length, ErrorBodyLimit)]);
        }
        catch (OperationCanceledException) when (idle.ClientAborted)
        {
            return UpstreamFailure.ClientGone;
        }
        catch (Exception e) when (idle.IsUpstreamFailure(e))
        {
            error = UpstreamErrorParser.Parse(status, default);
        }
        return UpstreamFailure.FromError(error, response.Headers.RetryAfter?.ToString());
    }
}

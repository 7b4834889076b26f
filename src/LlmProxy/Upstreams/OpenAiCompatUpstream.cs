using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Http.Body;
using LlmProxy.Metrics;

namespace LlmProxy.Upstreams;

/// <summary>
/// One OpenAI-compatible model server (docs/upstreams.md) — Ollama, LM Studio, LocalAI, llama.cpp server, vLLM — by
/// its name: a named upstream of UPSTREAMS, a discovered one, or the legacy <c>ollama</c> at OPENAI_COMPAT_BASE_URL.
/// <see cref="SendAsync"/> is one attempt: it sends the request and turns an error status into the failure that stands
/// for it (docs/api.md, Errors); retries and failover are routing's. Its <see cref="Health"/> hears how each call went.
/// </summary>
internal sealed class OpenAiCompatUpstream : IUpstream
{
    /// <summary>A model list is metadata: a client should not wait UPSTREAM_TIMEOUT_SECONDS (600 s) for it.</summary>
    public static readonly TimeSpan ModelListTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Error bodies are short; anything past this is not a message a client needs.</summary>
    private const int ErrorBodyLimit = 64 * 1024;

    /// <summary>A model list larger than this is not one.</summary>
    private const int ModelListLimit = 16 * 1024 * 1024;

    private readonly UpstreamClient _client;
    private readonly ProxySettings _settings;
    private readonly LlmMetrics _metrics;
    private readonly ILogger _logger;

    // The endpoints' URLs, made once: a request never builds a Uri.
    private readonly Uri _chat;
    private readonly Uri _completions;
    private readonly Uri _embeddings;
    private readonly Uri _models;

    public OpenAiCompatUpstream(UpstreamDefinition definition, UpstreamClient client, ProxySettings settings, LlmMetrics metrics, ILogger<UpstreamCall> logger)
    {
        Definition = definition;
        _client = client;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
        _chat = new Uri(definition.BaseUrl, UpstreamEndpoint.ChatCompletions.UpstreamPath());
        _completions = new Uri(definition.BaseUrl, UpstreamEndpoint.Completions.UpstreamPath());
        _embeddings = new Uri(definition.BaseUrl, UpstreamEndpoint.Embeddings.UpstreamPath());
        _models = new Uri(definition.BaseUrl, "models");
    }

    public UpstreamDefinition Definition { get; }

    public string Name => Definition.Name;

    public UpstreamHealth Health { get; } = new();

    public async Task<UpstreamCall> SendAsync(UpstreamRequest request, HttpContext context)
    {
        var call = new UpstreamCall(Name, request, context, _settings.UpstreamTimeout,
            _metrics.For(Name, RequestOutcome.Of(context).Model ?? request.Model), _logger, Health, Definition.BaseUrl);
        var url = request.Endpoint switch
        {
            UpstreamEndpoint.ChatCompletions => _chat,
            UpstreamEndpoint.Completions => _completions,
            _ => _embeddings,
        };
        var (response, failure) = await _client.SendAsync(context, HttpMethod.Post, url, request.Body, call.Idle, Definition.Options, call.Span);
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
            if (status is 401 or 403 && error.ShouldAnswer && !_client.ForwardsClientAuthorization(context, Definition.Options))
            {
                error = RefusedProxyCredentials(error, status);
            }
            call.Fail(error);
            return call;
        }
    }

    /// <summary>
    /// The upstream refused credentials the client never chose — the proxy's own (its key, or none), because
    /// the client's key was the proxy's to check and passed: a gateway fault, 502, not the client's 401/403
    /// (docs/api.md, Upstream outcomes). The upstream's words are kept (secrets taken out on the way, see
    /// <see cref="UpstreamSecrets"/>) for the operator who reads the error.
    /// </summary>
    private UpstreamFailure RefusedProxyCredentials(UpstreamFailure failure, int status) => new(
        UpstreamOutcome.UpstreamError, 502,
        $"The upstream model server refused the proxy's credentials ({status}); the operator must check {KeySetting}. The upstream said: {failure.Message}",
        "server_error", Code: RefusedCredentialsCode);

    /// <summary>The setting of this upstream's key, for the operator: the legacy one, or the named upstream's own.</summary>
    private string KeySetting => Name == "ollama" && Definition.Options.ApiKeyOverridesClient is false
        ? "OPENAI_COMPAT_API_KEY (or UPSTREAM_OLLAMA_API_KEY)"
        : $"UPSTREAM_{Name.ToUpperInvariant().Replace('-', '_')}_API_KEY";

    /// <summary>The OpenAI-style code of that 502.</summary>
    public const string RefusedCredentialsCode = "upstream_auth_failed";

    /// <summary>
    /// The upstream's <c>/models</c> list, bounded by <see cref="ModelListTimeout"/>: a failing upstream shrinks a model
    /// list, it never holds it up.
    /// </summary>
    /// <param name="context">The client's request when a client asked (its headers go along), null for the proxy's own probe.</param>
    /// <param name="cancellation">Ends the read early (the client left, or the proxy is stopping).</param>
    public async Task<ModelListRead> ListModelsAsync(HttpContext? context, CancellationToken cancellation)
    {
        var timeout = _settings.UpstreamTimeout < ModelListTimeout ? _settings.UpstreamTimeout : ModelListTimeout;
        using var idle = new IdleTimeout(timeout, cancellation);
        var (response, failure) = await _client.SendAsync(context, HttpMethod.Get, _models, null, idle, Definition.Options);
        if (response is null)
        {
            return new ModelListRead(null, failure!.Message, Alive: false);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                // A server that answers at all (a 404 from one without /models, a 401) is alive; a 5xx is not well.
                return new ModelListRead(null, $"{Definition.DisplayUrl}/models answered {status}", Alive: status < 500);
            }
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
                var body = await PooledBody.ReadAsync(stream, ModelListLimit, idle.Token, onRead: idle.Touch);
                if (body.Length > ModelListLimit)
                {
                    body.Dispose();
                    return new ModelListRead(null, $"{Definition.DisplayUrl}/models is larger than {ModelListLimit} bytes", Alive: true);
                }
                return new ModelListRead(body, null, Alive: true);
            }
            catch (Exception e) when (idle.IsUpstreamFailure(e))
            {
                return new ModelListRead(null, $"{Definition.DisplayUrl}/models broke off ({e.GetType().Name})", Alive: false);
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

/// <summary>
/// One read of an upstream's <c>/models</c>: the body (dispose it) or why there is none, and whether the server
/// answered like a live one (any status under 500).
/// </summary>
internal sealed record ModelListRead(PooledBody? Body, string? Unavailable, bool Alive);

using System.Buffers;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Doors.Classic;
using LlmProxy.Http.Body;
using LlmProxy.Http.Errors;
using LlmProxy.Json;
using LlmProxy.Metrics;
using LlmProxy.Routing;

namespace LlmProxy.Upstreams;

/// <summary>
/// The <c>ollama</c> provider (CONTRACT §3): any OpenAI-compatible server at OPENAI_COMPAT_BASE_URL. Each request is
/// one <see cref="UpstreamCall"/>: send (retrying connection failures), map an error status (§5), then relay the
/// stream event by event (§6) or pass the body through.
/// </summary>
public sealed class OpenAiCompatProvider(UpstreamClient client, ProxySettings settings, TimeProvider time, LlmMetrics metrics, ILogger<OpenAiCompatProvider> logger) : IChatProvider
{
    /// <summary>A non-streaming /proxy answer is parsed whole to normalise it; larger than this is not a chat answer.</summary>
    public const int MaxCompletionBytes = 32 * 1024 * 1024;

    /// <summary>
    /// A /v1 non-streaming answer up to this size is held whole (to send a Content-Length and read its usage); a larger
    /// one (big embedding batches) is streamed through without being looked at.
    /// </summary>
    public const int BufferedPassThroughBytes = 1024 * 1024;

    private const string ChatPath = "chat/completions";

    public string Name => ProviderNames.Ollama;

    public async Task<ChatCompletion?> CompleteAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new UpstreamChatRequest(request.Model, request.Messages, Stream: false), ProxyJsonContext.Default.UpstreamChatRequest);
        var call = new UpstreamCall(Name, request.Model, ChatPath, stream: false, logger, metrics.For(Name, request.Model));
        using var idle = new IdleTimeout(settings.UpstreamTimeout, cancellationToken);
        using var response = await SendAsync(context, call, ChatPath, body, idle);
        if (response is null)
        {
            return null;
        }
        var status = (int)response.StatusCode;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
            using var answer = await UpstreamBody.ReadAsync(stream, MaxCompletionBytes, idle, truncate: false);
            if (SseEvents.IsErrorObject(answer.Span))
            {
                // Some servers answer 200 with an error body; it is still the upstream's failure (§5: 5xx-like → 502).
                await UpstreamErrorResponder.WriteAsync(context, UpstreamErrorParser.Parse(500, answer.Span), response);
                call.OnEnd(status, UpstreamOutcome.UpstreamError);
                return null;
            }
            var completion = CompletionNormalizer.Normalize(answer.Memory, request.Model, "chatcmpl-" + context.TraceIdentifier, time.GetUtcNow().ToUnixTimeSeconds());
            if (completion is null)
            {
                await ErrorWriter.WriteAsync(context, 502, "The upstream model server answered with a body that is not a chat completion");
                call.OnEnd(status, UpstreamOutcome.UpstreamError);
                return null;
            }
            call.OnUsage(completion.Usage.PromptTokens, completion.Usage.CompletionTokens);
            call.OnEnd(status, UpstreamOutcome.Success);
            return completion;
        }
        catch (OperationCanceledException) when (idle.ClientAborted)
        {
            call.OnEnd(status, UpstreamOutcome.ClientAborted);
            return null;
        }
        catch (Exception e) when (IsBodyFailure(e, idle))
        {
            await AnswerBodyFailureAsync(context, call, status, e, idle);
            return null;
        }
    }

    public async Task StreamAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new UpstreamChatRequest(request.Model, request.Messages, Stream: true), ProxyJsonContext.Default.UpstreamChatRequest);
        var call = new UpstreamCall(Name, request.Model, ChatPath, stream: true, logger, metrics.For(Name, request.Model));
        using var idle = new IdleTimeout(settings.UpstreamTimeout, cancellationToken);
        using var response = await SendAsync(context, call, ChatPath, body, idle);
        if (response is not null)
        {
            // The seed stream promises chat.completion.chunk events (CONTRACT §2.2): no other body may pass as one.
            await RelayAsync(context, response, call, idle, passThroughJson: false);
        }
    }

    public async Task ForwardAsync(OpenAiRequest request, HttpContext context, CancellationToken cancellationToken)
    {
        var path = request.Endpoint.UpstreamPath();
        var call = new UpstreamCall(Name, request.Model, path, request.Stream, logger, metrics.For(Name, request.Model));
        using var idle = new IdleTimeout(settings.UpstreamTimeout, cancellationToken);
        // The client's bytes, as sent (CONTRACT §2.3): nothing re-serialised.
        using var response = await SendAsync(context, call, path, request.Body, idle);
        if (response is null)
        {
            return;
        }
        if (request.Stream)
        {
            await RelayAsync(context, response, call, idle, passThroughJson: true);
            return;
        }
        await PassThroughAsync(context, response, call, idle);
    }

    /// <summary>
    /// Sends the request; on a 2xx returns the response (headers read). Otherwise answers the client per CONTRACT §5,
    /// ends the call, and returns null.
    /// </summary>
    private async Task<HttpResponseMessage?> SendAsync(HttpContext context, UpstreamCall call, string path, ReadOnlyMemory<byte> body, IdleTimeout idle)
    {
        var result = await client.SendAsync(context, HttpMethod.Post, path, body, idle);
        if (result.Response is not { } response)
        {
            await UpstreamErrorResponder.WriteFailureAsync(context, result.Failure, result.FailureMessage!);
            call.OnEnd(0, result.Failure);
            return null;
        }
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            if (!call.Stream)
            {
                call.OnFirstByte();
            }
            return response;
        }
        using (response)
        {
            UpstreamError error;
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
                using var errorBody = await UpstreamBody.ReadAsync(stream, UpstreamBody.ErrorBodyLimit, idle, truncate: true);
                error = UpstreamErrorParser.Parse(status, errorBody.Span);
            }
            catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && idle.TimedOut))
            {
                // The status says enough; a body that never came whole does not change it.
                error = UpstreamErrorParser.Parse(status, default);
            }
            catch (OperationCanceledException) when (idle.ClientAborted)
            {
                call.OnEnd(status, UpstreamOutcome.ClientAborted);
                return null;
            }
            await UpstreamErrorResponder.WriteAsync(context, error, response);
            call.OnEnd(status, UpstreamOutcome.UpstreamError, error.IsModelNotFound);
            return null;
        }
    }

    /// <summary>
    /// A 2xx answer to a streaming request: relay its events. A JSON answer on /v1 (<paramref name="passThroughJson"/>)
    /// is handed over as it is; any other body is not an answer to a streaming request: 502.
    /// </summary>
    private static async Task RelayAsync(HttpContext context, HttpResponseMessage response, UpstreamCall call, IdleTimeout idle, bool passThroughJson)
    {
        var status = (int)response.StatusCode;
        var contentType = response.Content.Headers.ContentType;
        if (contentType?.MediaType is not "text/event-stream")
        {
            if (passThroughJson && JsonContentType.IsJson(contentType?.ToString()))
            {
                // The server ignored stream:true (some do for some endpoints): hand its answer over as it is.
                await PassThroughAsync(context, response, call, idle);
                return;
            }
            // An HTML error page from a reverse proxy or captive portal in front of the model server, or plain text,
            // relayed with a 200 would reach an SSE client as a stream that never yields an event nor [DONE].
            await ErrorWriter.WriteAsync(context, 502,
                $"The upstream model server answered a streaming request with Content-Type {contentType?.MediaType ?? "(none)"} instead of text/event-stream",
                openAiCode: "upstream_invalid_response");
            call.OnEnd(status, UpstreamOutcome.UpstreamError);
            return;
        }
        UpstreamOutcome outcome;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
            // The relay starts the client's response with the first upstream event (CONTRACT §5/§6).
            outcome = await SseRelay.RelayAsync(stream, context.Response, idle, call);
        }
        catch (OperationCanceledException) when (idle.ClientAborted)
        {
            outcome = UpstreamOutcome.ClientAborted;
        }
        call.OnEnd(status, outcome);
    }

    /// <summary>A non-streaming 2xx: status, Content-Type and body as the upstream sent them.</summary>
    private static async Task PassThroughAsync(HttpContext context, HttpResponseMessage response, UpstreamCall call, IdleTimeout idle)
    {
        var status = (int)response.StatusCode;
        var outcome = UpstreamOutcome.Success;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
            using var head = await UpstreamBody.ReadAsync(stream, BufferedPassThroughBytes, idle, truncate: true);
            var whole = head.Length < BufferedPassThroughBytes;
            context.Response.StatusCode = status;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            if (whole)
            {
                context.Response.ContentLength = head.Length;
                if (SseEvents.TryReadUsage(head.Span, out var prompt, out var completion))
                {
                    call.OnUsage(prompt, completion);
                }
            }
            await context.Response.Body.WriteAsync(head.Memory, idle.Token);
            if (!whole)
            {
                await CopyRestAsync(stream, context.Response.Body, idle);
            }
        }
        catch (OperationCanceledException) when (idle.ClientAborted)
        {
            outcome = UpstreamOutcome.ClientAborted;
        }
        catch (Exception e) when (IsBodyFailure(e, idle))
        {
            if (!context.Response.HasStarted)
            {
                await AnswerBodyFailureAsync(context, call, status, e, idle);
                return;
            }
            // Part of the body is out: cutting the connection is the only signal a non-streaming client understands.
            context.Abort();
            outcome = e is OperationCanceledException ? UpstreamOutcome.Timeout : UpstreamOutcome.FailedMidStream;
        }
        call.OnEnd(status, outcome);
    }

    private static async Task CopyRestAsync(Stream source, Stream destination, IdleTimeout idle)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, idle.Token)) > 0)
            {
                idle.Touch();
                await destination.WriteAsync(buffer.AsMemory(0, read), idle.Token);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsBodyFailure(Exception e, IdleTimeout idle) =>
        e is IOException or HttpRequestException or UpstreamBodyTooLargeException || (e is OperationCanceledException && idle.TimedOut);

    /// <summary>The body failed before anything reached the client: silence → 504, anything else → 502.</summary>
    private static async Task AnswerBodyFailureAsync(HttpContext context, UpstreamCall call, int status, Exception e, IdleTimeout idle)
    {
        if (e is OperationCanceledException)
        {
            await UpstreamErrorResponder.WriteFailureAsync(context, UpstreamOutcome.Timeout,
                $"The upstream model server was silent for more than {idle.Interval.TotalSeconds:0.###} s (UPSTREAM_TIMEOUT_SECONDS)");
            call.OnEnd(status, UpstreamOutcome.Timeout);
            return;
        }
        var message = e is UpstreamBodyTooLargeException ? e.Message : "The connection to the upstream model server was lost before its answer was complete";
        await ErrorWriter.WriteAsync(context, 502, message);
        call.OnEnd(status, UpstreamOutcome.FailedMidStream);
    }
}

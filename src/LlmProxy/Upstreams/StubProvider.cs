using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Doors.Classic;
using LlmProxy.Http.Errors;
using LlmProxy.Json;
using LlmProxy.Metrics;
using LlmProxy.Routing;

namespace LlmProxy.Upstreams;

/// <summary>
/// The seed's <c>stub</c> provider: a canned answer with no network. Non-streaming content is <c>stub response</c>; the
/// stream's deltas concatenate to the same text (CONTRACT §2.2).
/// </summary>
public sealed class StubProvider(TimeProvider time, LlmMetrics metrics) : IChatProvider
{
    public const string Content = "stub response";
    private static readonly string[] StreamPieces = ["stub", " response"];

    public string Name => ProviderNames.Stub;

    public Task<ChatCompletion?> CompleteAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken) =>
        Task.FromResult<ChatCompletion?>(Complete(request, context));

    private ChatCompletion Complete(ChatRequest request, HttpContext context)
    {
        var promptTokens = CountWords(request.Messages);
        var completionTokens = CountWords(Content);
        metrics.For(Name, request.Model).Tokens(promptTokens, completionTokens);
        var completion = new ChatCompletion(
            Id: CompletionId(context),
            Object: "chat.completion",
            Created: time.GetUtcNow().ToUnixTimeSeconds(),
            Model: request.Model,
            Choices: [new ChatChoice(0, new ChatMessage("assistant", Content), "stop")],
            Usage: new ChatUsage(promptTokens, completionTokens, promptTokens + completionTokens));
        return completion;
    }

    public Task StreamAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken) =>
        StreamAsync(request, includeUsage: false, context, cancellationToken);

    /// <summary>
    /// /v1/chat/completions answered like /proxy (CONTRACT §2.3). The stub has no embeddings or legacy completions:
    /// those models must be routed to an OpenAI-compatible provider, and the client is told so (400).
    /// </summary>
    public async Task ForwardAsync(OpenAiRequest request, HttpContext context, CancellationToken cancellationToken)
    {
        if (request.Endpoint != OpenAiEndpoint.ChatCompletions)
        {
            await ErrorWriter.WriteAsync(context, 400,
                $"The stub provider does not serve {request.Endpoint.Route()}; route model '{request.Model}' to an OpenAI-compatible provider (MODEL_PROVIDER_MAP or LLM_PROVIDER=ollama)",
                param: "model");
            return;
        }
        // Not the pass-through path: the stub is canned, so reading the messages (for its word-count usage) costs nothing real.
        var chat = new ChatRequest(request.Model, StubMessages.Read(request.Body));
        if (request.Stream)
        {
            await StreamAsync(chat, request.IncludeUsage, context, cancellationToken);
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, Complete(chat, context), ProxyJsonContext.Default.ChatCompletion, cancellationToken);
    }

    private async Task StreamAsync(ChatRequest request, bool includeUsage, HttpContext context, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var modelMetrics = metrics.For(Name, request.Model);
        var id = CompletionId(context);
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        SseWriter.Start(context);
        await WriteChunkAsync(context, new ChatCompletionChunk(id, "chat.completion.chunk", created, request.Model,
            [new ChatChunkChoice(0, new ChatDelta(Role: "assistant", Content: ""), null)]), cancellationToken);
        var first = true;
        foreach (var piece in StreamPieces)
        {
            await WriteChunkAsync(context, new ChatCompletionChunk(id, "chat.completion.chunk", created, request.Model,
                [new ChatChunkChoice(0, new ChatDelta(Content: piece), null)]), cancellationToken);
            if (first)
            {
                modelMetrics.FirstToken(time.GetElapsedTime(started).TotalSeconds);
                first = false;
            }
        }
        await WriteChunkAsync(context, new ChatCompletionChunk(id, "chat.completion.chunk", created, request.Model,
            [new ChatChunkChoice(0, new ChatDelta(), "stop")]), cancellationToken);
        if (includeUsage)
        {
            // stream_options.include_usage: one more chunk, empty choices, usage filled (as OpenAI sends it).
            var promptTokens = CountWords(request.Messages);
            var completionTokens = CountWords(Content);
            await WriteChunkAsync(context, new ChatCompletionChunk(id, "chat.completion.chunk", created, request.Model, [],
                new ChatUsage(promptTokens, completionTokens, promptTokens + completionTokens)), cancellationToken);
        }
        await SseWriter.WriteDoneAsync(context.Response, cancellationToken);
        // The stub's "usage": words in, words out, the same counts its non-streaming answer reports.
        modelMetrics.Tokens(CountWords(request.Messages), CountWords(Content));
    }

    private static Task WriteChunkAsync(HttpContext context, ChatCompletionChunk chunk, CancellationToken cancellationToken) =>
        SseWriter.WriteDataAsync(context.Response, JsonSerializer.SerializeToUtf8Bytes(chunk, ProxyJsonContext.Default.ChatCompletionChunk), cancellationToken);

    private static string CompletionId(HttpContext context) => "chatcmpl-" + context.TraceIdentifier;

    private static int CountWords(IReadOnlyList<ChatMessage> messages) => messages.Sum(m => CountWords(m.Content));

    private static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}

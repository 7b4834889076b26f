using System.Text.Json;
using LlmProxy.Api;
using LlmProxy.Configuration;
using LlmProxy.Json;
using LlmProxy.Metrics;

namespace LlmProxy.Providers;

/// <summary>
/// The seed's <c>stub</c> provider: a canned answer with no network. Non-streaming content is <c>stub response</c>; the
/// stream's deltas concatenate to the same text (CONTRACT §2.2).
/// </summary>
public sealed class StubProvider(TimeProvider time, LlmMetrics metrics) : IChatProvider
{
    public const string Content = "stub response";
    private static readonly string[] StreamPieces = ["stub", " response"];

    public string Name => ProviderNames.Stub;

    public Task<ChatCompletion> CompleteAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken)
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
        return Task.FromResult(completion);
    }

    public async Task StreamAsync(ChatRequest request, HttpContext context, CancellationToken cancellationToken)
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

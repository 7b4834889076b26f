using System.Text;
using System.Text.Json;

namespace LlmProxy.Tests.Support;

/// <summary>
/// A small OpenAI-compatible model server on a <see cref="FakeUpstream"/>: <c>GET /v1/models</c> lists
/// <see cref="Models"/>; a chat is answered <c>from {name}</c>, as JSON or as <see cref="StreamEvents"/> SSE chunks then
/// <c>[DONE]</c>. Tests set <see cref="ChatDelay"/> to hold answers (concurrency, queues), or <see cref="Chat"/> to
/// answer chats themselves (errors).
/// </summary>
public sealed class FakeModelServer : IAsyncDisposable
{
    private FakeModelServer(string name, FakeUpstream upstream, string[] models)
    {
        Name = name;
        Upstream = upstream;
        Models = models;
    }

    public string Name { get; }

    public FakeUpstream Upstream { get; }

    public string[] Models { get; set; }

    /// <summary>The base URL to configure: <c>http://127.0.0.1:{port}/v1</c>.</summary>
    public string Url => Upstream.BaseUrl.ToString().TrimEnd('/');

    /// <summary>How long a chat waits before its answer's head (the client's leaving ends it).</summary>
    public TimeSpan ChatDelay { get; set; }

    /// <summary>Events of a streamed answer (of <see cref="SlowModel"/> only, when that is set; others get 2 at once).</summary>
    public int StreamEvents { get; set; } = 2;

    /// <summary>The pause between two events of a streamed answer (of <see cref="SlowModel"/> only, when that is set).</summary>
    public TimeSpan EventGap { get; set; }

    /// <summary>The one model whose streams follow <see cref="StreamEvents"/> and <see cref="EventGap"/>; null = every model's.</summary>
    public string? SlowModel { get; set; }

    /// <summary>Answers chats instead of the default answer, when set.</summary>
    public Func<HttpContext, Task>? Chat { get; set; }

    /// <summary>The model requests it received (everything but model lists).</summary>
    public IReadOnlyList<RecordedRequest> Chats => [.. Upstream.Requests.Where(r => !r.Path.EndsWith("/models", StringComparison.Ordinal))];

    public static async Task<FakeModelServer> StartAsync(string name, string[] models, int port = 0)
    {
        var upstream = await FakeUpstream.StartAsync(port: port);
        var server = new FakeModelServer(name, upstream, models);
        upstream.Handler = server.AnswerAsync;
        return server;
    }

    public static bool AskedToStream(HttpContext context) =>
        Field(context, "stream") is { ValueKind: JsonValueKind.True };

    /// <summary>The <c>model</c> of the request being answered.</summary>
    public static string? RequestedModel(HttpContext context) =>
        Field(context, "model") is { ValueKind: JsonValueKind.String } model ? model.GetString() : null;

    private static JsonElement? Field(HttpContext context, string name)
    {
        var body = (byte[])context.Items[FakeUpstream.BodyItem]!;
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(name, out var value) ? value.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string ChunkJson(string content) =>
        $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"{{content}}"},"finish_reason":null}]}""";

    private async Task AnswerAsync(HttpContext context)
    {
        if (context.Request.Path.Value!.EndsWith("/models", StringComparison.Ordinal))
        {
            context.Response.ContentType = "application/json";
            var data = string.Join(",", Models.Select(m => $$"""{"id":"{{m}}","object":"model","created":1700000000,"owned_by":"library"}"""));
            await context.Response.WriteAsync($$"""{"object":"list","data":[{{data}}]}""");
            return;
        }
        if (Chat is { } chat)
        {
            await chat(context);
            return;
        }
        try
        {
            await Task.Delay(ChatDelay, context.RequestAborted);
            if (AskedToStream(context))
            {
                var shaped = SlowModel is null || SlowModel == RequestedModel(context);
                var events = shaped ? StreamEvents : 2;
                var gap = shaped ? EventGap : TimeSpan.Zero;
                context.Response.ContentType = "text/event-stream";
                for (var i = 0; i < events; i++)
                {
                    if (i > 0)
                    {
                        await Task.Delay(gap, context.RequestAborted);
                    }
                    await context.Response.WriteAsync($"data: {ChunkJson($"from {Name} #{i} ")}\n\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
                await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
                return;
            }
            context.Response.ContentType = "application/json";
            var answer = Encoding.UTF8.GetBytes($$$"""{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"from {{{Name}}}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}""");
            context.Response.ContentLength = answer.Length;
            await context.Response.Body.WriteAsync(answer, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The proxy hung up (its client left): nothing to answer.
        }
    }

    public ValueTask DisposeAsync() => Upstream.DisposeAsync();
}

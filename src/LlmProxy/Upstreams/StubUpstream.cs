using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LlmProxy.Configuration;
using LlmProxy.Http;
using LlmProxy.Json;
using LlmProxy.Metrics;

namespace LlmProxy.Upstreams;

/// <summary>
/// The <c>stub</c> upstream: a canned OpenAI-compatible answer made in memory, no network (docs/api.md, The stub). It
/// answers chat completions as a model server would — a <c>chat.completion</c> JSON body, or an SSE stream of
/// <c>chat.completion.chunk</c> events ending in <c>[DONE]</c> — and the door relays that answer through the same
/// code as a real server's, so every door gets the stub for free. The content is <c>stub response</c>; the stream's
/// deltas concatenate to the same text. Its "usage" is words in and words out.
/// </summary>
internal sealed class StubUpstream(ProxySettings settings, TimeProvider time, LlmMetrics metrics, ILogger<UpstreamCall> logger) : IUpstream
{
    public const string ProviderName = "stub";
    public const string Content = "stub response";
    private static ReadOnlySpan<byte> ContentUtf8 => "stub response"u8;
    private static readonly string[] StreamPieces = ["stub", " response"];

    public string Name => ProviderName;

    public Task<UpstreamCall> SendAsync(UpstreamRequest request, HttpContext context)
    {
        var call = new UpstreamCall(Name, request, context, settings.UpstreamTimeout, metrics.For(Name, RequestOutcome.Of(context).Model ?? request.Model), logger);
        if (request.Endpoint != UpstreamEndpoint.ChatCompletions)
        {
            // The stub has no embeddings or legacy completions: those models must be routed to a real server, and the
            // client is told so (400, as a server answers a request it cannot serve).
            call.Fail(new UpstreamFailure(UpstreamOutcome.Unsupported, 400,
                $"The stub provider does not serve {request.Endpoint.Route()}; route model '{request.Model}' to an OpenAI-compatible provider (MODEL_PROVIDER_MAP or LLM_PROVIDER=ollama)",
                "invalid_request_error", Param: "model"));
            return Task.FromResult(call);
        }
        var promptTokens = CountWords(request.Body);
        var completionTokens = CountRawWords(ContentUtf8);
        call.OnUsage(promptTokens, completionTokens);
        var usage = new ChatUsage(promptTokens, completionTokens, promptTokens + completionTokens);
        var id = "chatcmpl-" + context.TraceIdentifier;
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var content = request.Stream
            ? Answer(Stream(id, created, request.Model, request.IncludeUsage ? usage : null), "text/event-stream")
            : Answer(JsonSerializer.SerializeToUtf8Bytes(
                new ChatCompletion(id, "chat.completion", created, request.Model, [new ChatChoice(0, new ChatMessage("assistant", Content), "stop")], usage),
                UpstreamJsonContext.Default.ChatCompletion), "application/json");
        call.Answered(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        return Task.FromResult(call);
    }

    /// <summary>The SSE body: a role chunk, the content pieces, a finish chunk, the usage chunk when asked for, <c>[DONE]</c>.</summary>
    private static byte[] Stream(string id, long created, string model, ChatUsage? usage)
    {
        var body = new ArrayBufferWriter<byte>(1024);
        Event(body, new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatChunkChoice(0, new ChatDelta(Role: "assistant", Content: ""), null)]));
        foreach (var piece in StreamPieces)
        {
            Event(body, new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatChunkChoice(0, new ChatDelta(Content: piece), null)]));
        }
        Event(body, new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [new ChatChunkChoice(0, new ChatDelta(), "stop")]));
        if (usage is not null)
        {
            // stream_options.include_usage: one more chunk, empty choices, usage filled (as OpenAI sends it).
            Event(body, new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [], usage));
        }
        body.Write(SseWriter.DoneEvent);
        return body.WrittenSpan.ToArray();
    }

    private static void Event(ArrayBufferWriter<byte> body, ChatCompletionChunk chunk)
    {
        body.Write(SseWriter.DataPrefix);
        using (var writer = new Utf8JsonWriter(body))
        {
            JsonSerializer.Serialize(writer, chunk, UpstreamJsonContext.Default.ChatCompletionChunk);
        }
        body.Write(SseWriter.EventEnd);
    }

    private static ByteArrayContent Answer(byte[] body, string mediaType) =>
        new(body) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } };

    /// <summary>
    /// Words of the text messages of an OpenAI chat body (messages with a string <c>role</c> and a string
    /// <c>content</c>; content parts, tool messages and odd shapes are skipped): the stub's prompt "tokens". One
    /// <see cref="Utf8JsonReader"/> pass over the bytes, counting on the raw string bytes: no DOM and no string, so a
    /// 25 MB prompt costs no memory beyond its body, and a lone surrogate escape is just another character.
    /// </summary>
    private static int CountWords(ReadOnlyMemory<byte> chatBody)
    {
        var words = 0;
        try
        {
            var reader = new Utf8JsonReader(chatBody.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 0;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMessages = JsonText.Is(ref reader, "messages"u8);
                reader.Read();
                if (isMessages && reader.TokenType == JsonTokenType.StartArray)
                {
                    words = CountMessageWords(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // The door already proved the body is JSON; nothing more to learn here.
        }
        return words;
    }

    /// <summary>From a <c>messages</c> array's start to its end: the words of each message's string content.</summary>
    private static int CountMessageWords(ref Utf8JsonReader reader)
    {
        var words = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            var hasRole = false;
            var contentWords = -1;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isRole = JsonText.Is(ref reader, "role"u8);
                var isContent = !isRole && JsonText.Is(ref reader, "content"u8);
                reader.Read();
                if (isRole)
                {
                    hasRole = reader.TokenType == JsonTokenType.String;
                }
                else if (isContent)
                {
                    contentWords = reader.TokenType == JsonTokenType.String ? CountRawWords(reader.ValueSpan) : -1;
                }
                reader.Skip();
            }
            if (hasRole && contentWords > 0)
            {
                words += contentWords;
            }
        }
        return words;
    }

    /// <summary>Words in a JSON string's raw bytes: runs between ASCII white space, where the escapes \n, \r, \t also separate.</summary>
    private static int CountRawWords(ReadOnlySpan<byte> raw)
    {
        var words = 0;
        var inWord = false;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            var space = b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
            if (b == (byte)'\\' && i + 1 < raw.Length)
            {
                space = raw[i + 1] is (byte)'n' or (byte)'r' or (byte)'t';
                i++;
            }
            if (!space && !inWord)
            {
                words++;
            }
            inWord = !space;
        }
        return words;
    }
}

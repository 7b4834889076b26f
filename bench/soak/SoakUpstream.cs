using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Soak;

/// <summary>
/// An OpenAI-compatible model server stand-in on real Kestrel whose behaviour is picked by the request's model name
/// (see <see cref="Models"/>). It counts requests in flight and notes, per x-request-id, when a request was aborted
/// by the proxy, so the driver can prove that no upstream request outlives its client.
/// </summary>
public sealed class SoakUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock;
    private int _inFlight;
    private long _served;

    private SoakUpstream(WebApplication app, Stopwatch clock)
    {
        _app = app;
        _clock = clock;
    }

    public int Port { get; private set; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public long Served => Interlocked.Read(ref _served);

    /// <summary>x-request-id → when the proxy aborted that request (driver clock).</summary>
    public ConcurrentDictionary<string, TimeSpan> AbortedAt { get; } = new();

    public static async Task<SoakUpstream> StartAsync(Stopwatch clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var self = new SoakUpstream(app, clock);
        app.Run(self.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self.Port = new Uri(address).Port;
        return self;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _served);
        var id = context.Request.Headers["x-request-id"].ToString();
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            var body = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            var model = Models.Of(body);
            var stream = body.Contains("\"stream\":true", StringComparison.Ordinal);
            await RespondAsync(context, model, stream);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
        finally
        {
            if (context.RequestAborted.IsCancellationRequested)
            {
                AbortedAt.TryAdd(id, _clock.Elapsed);
            }
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static async Task RespondAsync(HttpContext context, string model, bool stream)
    {
        var ct = context.RequestAborted;
        switch (model)
        {
            case Models.Error500:
                context.Response.StatusCode = 500;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"error":"llama runner process has terminated"}""", ct);
                return;
            case Models.Error429:
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = "2";
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"error":{"message":"server busy","type":"rate_limit","code":"busy"}}""", ct);
                return;
        }
        if (!stream)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                """{"id":"x","object":"chat.completion","created":1,"model":"soak","choices":[{"index":0,"message":{"role":"assistant","content":"soak answer"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""", ct);
            return;
        }
        context.Response.ContentType = "text/event-stream";
        var (events, delayMs) = model == Models.LongStream ? (60, 50) : (Models.StreamWords.Length, 5);
        for (var i = 0; i < events; i++)
        {
            if (model == Models.MidStreamError && i == 2)
            {
                await WriteAsync(context, """{"error":{"message":"out of memory","type":"server_error"}}""");
                return;
            }
            if (model == Models.ResetMidStream && i == 2)
            {
                await context.Response.Body.FlushAsync(ct);
                context.Abort(); // RST: the proxy sees its upstream connection lost mid-stream
                return;
            }
            var word = Models.StreamWords[i % Models.StreamWords.Length];
            await WriteAsync(context, $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"soak","choices":[{"index":0,"delta":{"content":"{{word}}"},"finish_reason":null}]}""");
            await Task.Delay(delayMs, ct);
        }
        if (model != Models.NoDone)
        {
            await WriteAsync(context, "[DONE]");
        }
    }

    private static async Task WriteAsync(HttpContext context, string payload)
    {
        await context.Response.WriteAsync("data: " + payload + "\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

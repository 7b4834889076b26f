using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LlmProxy.Tests.Support;

/// <summary>
/// An OpenAI-compatible model server stand-in on real Kestrel, loopback port 0. Each request is recorded (method,
/// path, headers, body bytes) before <see cref="Handler"/> answers it.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeUpstream(WebApplication app, Uri root)
    {
        _app = app;
        Root = root;
    }

    public Uri Root { get; }

    /// <summary>What to configure as OPENAI_COMPAT_BASE_URL (ends in '/', as settings normalise it).</summary>
    public Uri BaseUrl => new(Root, "v1/");

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public Func<HttpContext, Task> Handler { get; set; } = context =>
    {
        context.Response.StatusCode = 500;
        return Task.CompletedTask;
    };

    /// <param name="handler">Answers each request (after it was recorded).</param>
    /// <param name="port">0 for any free port; a fixed one to bring an upstream up where a proxy already points.</param>
    public static async Task<FakeUpstream> StartAsync(Func<HttpContext, Task>? handler = null, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        FakeUpstream? self = null;
        app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            self!.Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", headers, buffer.ToArray()));
            await self.Handler(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeUpstream(app, new Uri(address.EndsWith('/') ? address : address + "/"));
        if (handler is not null)
        {
            self.Handler = handler;
        }
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

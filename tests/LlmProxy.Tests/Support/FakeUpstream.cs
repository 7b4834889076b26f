using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LlmProxy.Tests.Support;

/// <summary>
/// An OpenAI-compatible model server stand-in on real Kestrel, loopback port 0. Each request is recorded (method,
/// path, headers, body bytes) before <see cref="Handler"/> answers it. It counts the model requests it serves at once
/// (<see cref="PeakConcurrency"/>), and it can be killed (every connection cut at once) and started again on the same
/// port, as a model server that crashes and comes back.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    /// <summary>The recorded body of the request being answered, in <c>HttpContext.Items</c>.</summary>
    public const string BodyItem = "fake-upstream-body";

    private WebApplication? _app;
    private int _inFlight;
    private int _peak;

    private FakeUpstream()
    {
    }

    public int Port { get; private set; }

    public Uri Root => new($"http://127.0.0.1:{Port}/");

    /// <summary>What to configure as OPENAI_COMPAT_BASE_URL (ends in '/', as settings normalise it).</summary>
    public Uri BaseUrl => new(Root, "v1/");

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Model requests (anything but a model list) being answered now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most model requests (anything but a model list) it answered at once.</summary>
    public int PeakConcurrency => Volatile.Read(ref _peak);

    public bool IsRunning => _app is not null;

    public Func<HttpContext, Task> Handler { get; set; } = context =>
    {
        context.Response.StatusCode = 500;
        return Task.CompletedTask;
    };

    /// <param name="handler">Answers each request (after it was recorded).</param>
    /// <param name="port">0 for any free port; a fixed one to bring an upstream up where a proxy already points.</param>
    public static async Task<FakeUpstream> StartAsync(Func<HttpContext, Task>? handler = null, int port = 0)
    {
        var self = new FakeUpstream();
        if (handler is not null)
        {
            self.Handler = handler;
        }
        (self._app, self.Port) = await StartAppAsync(port, self);
        return self;
    }

    /// <summary>Starts it again on its port after <see cref="KillAsync"/> (the recorded requests and the handler stay).</summary>
    public async Task RestartAsync()
    {
        if (_app is not null)
        {
            return;
        }
        (_app, _) = await StartAppAsync(Port, this);
    }

    /// <summary>A crash: stops listening and cuts every open connection at once (a stream being answered breaks off).</summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.StopAsync(new CancellationToken(canceled: true));
            await app.DisposeAsync();
        }
    }

    public void ResetPeak() => Volatile.Write(ref _peak, Volatile.Read(ref _inFlight));

    private static async Task<(WebApplication App, int Port)> StartAppAsync(int port, FakeUpstream self)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Run(self.ServeAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address).Port);
    }

    private async Task ServeAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var body = buffer.ToArray();
        context.Items[BodyItem] = body;
        Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", headers, body));
        var counted = !(context.Request.Path.Value ?? "").EndsWith("/models", StringComparison.Ordinal);
        if (counted)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int peak;
            while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
            {
            }
        }
        try
        {
            await Handler(context);
        }
        finally
        {
            if (counted)
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

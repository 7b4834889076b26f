using System.Net;

namespace LlmProxy.Bench.FakeUpstream;

/// <summary>
/// The fake upstream's routes: <c>POST /v1/chat/completions</c> (a static <c>chat.completion</c>, or an SSE stream when the
/// body asks for <c>"stream": true</c>) and <c>GET /v1/models</c>. Nothing is logged and nothing is parsed beyond what
/// choosing the answer needs, so its own cost stays small beside the proxy it is measured against.
/// </summary>
public static class FakeApp
{
    public static WebApplication Build(int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
            // 5,000 concurrent streams through a proxy are 5,000 open upstream connections.
            kestrel.Limits.MaxConcurrentConnections = null;
        });
        var app = builder.Build();
        var defaults = StreamShape.FromEnvironment();
        app.MapPost("/v1/chat/completions", (HttpContext context) => ChatEndpoint.HandleAsync(context, defaults));
        app.MapGet("/v1/models", (HttpContext context) => ChatEndpoint.WriteStaticAsync(context, FakeBodies.Models));
        return app;
    }
}

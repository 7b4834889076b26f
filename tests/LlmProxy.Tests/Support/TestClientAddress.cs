using System.Net;

namespace LlmProxy.Tests.Support;

/// <summary>
/// The test server has no TCP peer; this startup filter (ahead of the whole pipeline) takes the client address from a
/// test-only header, so tests can play several clients.
/// </summary>
public sealed class TestClientAddress : IStartupFilter
{
    public const string Header = "X-Test-Client-Address";

    public static void Install(WebApplicationBuilder builder) => builder.Services.AddSingleton<IStartupFilter, TestClientAddress>();

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers.TryGetValue(Header, out var value) && IPAddress.TryParse(value.ToString(), out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }
            return nextMiddleware(context);
        });
        next(app);
    };
}

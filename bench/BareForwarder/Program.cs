using System.Globalization;
using System.Net;
using LlmProxy.Bench.BareForwarder;

// Usage: bare-forwarder PORT UPSTREAM   e.g. bare-forwarder 18081 http://127.0.0.1:18080
// Listens on 127.0.0.1:PORT and forwards every request to UPSTREAM + the same path and query.
if (args.Length != 2 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
    || !Uri.TryCreate(args[1], UriKind.Absolute, out var upstream))
{
    Console.Error.WriteLine("usage: bare-forwarder PORT UPSTREAM_URL");
    return 2;
}

// The empty builder: no configuration sources, no logging providers, no routing, no host filtering — Kestrel's
// HTTP/1.1 server and one terminal request delegate.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(IPAddress.Loopback, port);
});
var app = builder.Build();
using var invoker = Forwarder.CreateInvoker();
var forwarder = new Forwarder(upstream, invoker);
app.Run(forwarder.ForwardAsync);
app.Run();
return 0;

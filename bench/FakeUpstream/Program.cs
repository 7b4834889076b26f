using LlmProxy.Bench.FakeUpstream;

// Usage: fake-upstream [port]   (or FAKE_PORT; default 18080). Listens on 127.0.0.1 only: loopback load only.
var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : StreamShape.EnvInt("FAKE_PORT", 18080);
var app = FakeApp.Build(port);
app.Run();

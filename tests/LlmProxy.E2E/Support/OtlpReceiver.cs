using System.Collections.Concurrent;
using LlmProxy.Tests.Support;

namespace LlmProxy.E2E.Support;

/// <summary>
/// An OTLP/HTTP trace receiver on a loopback port, as a collector listens on 4318: <c>POST /v1/traces</c> with a
/// protobuf <c>ExportTraceServiceRequest</c>, decoded by <see cref="OtlpTraces"/>; the answer is an empty (successful)
/// <c>ExportTraceServiceResponse</c>.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly FakeUpstream _server;
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly ConcurrentQueue<(string Path, string ContentType)> _requests = new();

    private OtlpReceiver(FakeUpstream server)
    {
        _server = server;
    }

    /// <summary>The base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (no trailing slash).</summary>
    public string Url => _server.Root.ToString().TrimEnd('/');

    public IReadOnlyCollection<(string Path, string ContentType)> Requests => _requests;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var server = await FakeUpstream.StartAsync();
        var receiver = new OtlpReceiver(server);
        server.Handler = receiver.ReceiveAsync;
        return receiver;
    }

    /// <summary>Polls until the spans received so far satisfy <paramref name="enough"/> (10 s at most), and returns them.</summary>
    public async Task<List<OtlpSpan>> WaitForAsync(Func<List<OtlpSpan>, bool> enough)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var spans = _spans.ToList();
            if (enough(spans))
            {
                return spans;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"the spans that arrived are not enough: {string.Join("\n", spans)}");
            }
            await Task.Delay(50);
        }
    }

    private Task ReceiveAsync(HttpContext context)
    {
        var recorded = _server.Requests.Last();
        _requests.Enqueue((recorded.Path, context.Request.ContentType ?? ""));
        if (recorded.Path == "/v1/traces")
        {
            foreach (var span in OtlpTraces.Decode(recorded.Body))
            {
                _spans.Enqueue(span);
            }
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-protobuf";
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

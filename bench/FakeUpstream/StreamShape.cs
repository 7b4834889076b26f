using System.Globalization;

namespace LlmProxy.Bench.FakeUpstream;

/// <summary>
/// How a fake stream looks: how many content chunks and how far apart. Taken, most specific first, from the query
/// (<c>?chunks=20&amp;interval_ms=50</c>), the request headers (<c>x-fake-chunks</c>, <c>x-fake-interval-ms</c>), or the
/// environment (<c>FAKE_CHUNKS</c>, <c>FAKE_INTERVAL_MS</c>). A proxy may forward neither the query nor unknown
/// headers, so benchmarks through a proxy set the environment.
/// </summary>
public readonly record struct StreamShape(int Chunks, int IntervalMs)
{
    public static StreamShape FromEnvironment() => new(EnvInt("FAKE_CHUNKS", 10), EnvInt("FAKE_INTERVAL_MS", 0));

    public StreamShape For(HttpRequest request) => new(
        Pick(request, "chunks", "x-fake-chunks", Chunks),
        Pick(request, "interval_ms", "x-fake-interval-ms", IntervalMs));

    public static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static int Pick(HttpRequest request, string query, string header, int fallback)
    {
        if (request.QueryString.HasValue && TryParse(request.Query[query], out var fromQuery))
        {
            return fromQuery;
        }
        return TryParse(request.Headers[header], out var fromHeader) ? fromHeader : fallback;
    }

    private static bool TryParse(Microsoft.Extensions.Primitives.StringValues values, out int value)
    {
        value = 0;
        return values.Count > 0 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}

using System.Globalization;
using System.Net.Http.Headers;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>
/// Property test: generated bodies and header sets against /proxy, /proxy/stream, /v1/chat/completions,
/// /api/chat and /api/generate on the real binary. Properties: no 5xx, every response has an x-request-id, the process stays
/// up. A fixed case series in CI; run longer with FUZZ_ITERATIONS=200000 (and FUZZ_SEED=n to explore other series):
///   FUZZ_ITERATIONS=200000 FUZZ_SEED=7 dotnet test tests/LlmProxy.E2E --filter FuzzTests
/// </summary>
public class FuzzTests
{
    [Fact]
    public async Task Generated_requests_never_get_a_5xx_and_always_get_a_request_id()
    {
        var iterations = int.Parse(Environment.GetEnvironmentVariable("FUZZ_ITERATIONS") ?? "10000", CultureInfo.InvariantCulture);
        var series = int.Parse(Environment.GetEnvironmentVariable("FUZZ_SEED") ?? "20261126", CultureInfo.InvariantCulture);
        await using var proxy = await ProxyProcess.StartAsync();
        var fuzzer = new RequestFuzzer(series);
        string[] paths = ["proxy", "proxy/stream", "v1/chat/completions", "api/chat", "api/generate"];
        var statuses = new Dictionary<int, int>();
        var failures = new List<string>();

        // Four clients in parallel: concurrency is part of what is under test.
        var cases = Enumerable.Range(0, iterations).Select(i => (Index: i, Case: fuzzer.Next(), Path: paths[i % paths.Length])).ToList();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (item, ct) =>
        {
            var (body, contentType, headers) = item.Case;
            using var request = new HttpRequestMessage(HttpMethod.Post, item.Path) { Content = new ByteArrayContent(body) };
            if (contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed))
            {
                request.Content.Headers.ContentType = parsed;
            }
            else if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await proxy.Client.SendAsync(request, ct);
            _ = await response.Content.ReadAsByteArrayAsync(ct);
            var status = (int)response.StatusCode;
            lock (statuses)
            {
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status >= 500)
                {
                    failures.Add($"case {item.Index} (FUZZ_SEED {series}) /{item.Path}: {status}");
                }
                if (!response.Headers.Contains("x-request-id"))
                {
                    failures.Add($"case {item.Index} (FUZZ_SEED {series}) /{item.Path}: no x-request-id");
                }
            }
        });

        Assert.False(proxy.HasExited, "the proxy died under fuzzing");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        // The generator must exercise both sides: accepted requests and each kind of refusal.
        Assert.Equal(iterations, statuses.Values.Sum());
        Assert.Contains(200, statuses.Keys);
        Assert.Contains(400, statuses.Keys);
        Assert.Contains(401, statuses.Keys);
        Assert.Contains(415, statuses.Keys);
        using var health = await proxy.Client.GetAsync("healthz");
        Assert.True(health.IsSuccessStatusCode);
    }
}

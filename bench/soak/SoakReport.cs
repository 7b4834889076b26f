using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Soak;

/// <summary>The verdict and the markdown for docs/RELIABILITY.md: totals, outcomes by kind, checks, the series.</summary>
public sealed record SoakReport(bool Passed, string Markdown)
{
    public static SoakReport Build(SoakOptions options, Tally tally, List<Sample> samples, ConcurrentDictionary<string, TimeSpan> disconnectedAt,
        ConcurrentDictionary<string, TimeSpan> abortedAt, Sample final, bool aliveAndHealthy, long upstreamServed)
    {
        var inv = CultureInfo.InvariantCulture;
        var checks = new List<(string Name, bool Ok, string Figure)>();

        checks.Add(("every request got one complete, well-formed answer (or the error docs/api.md documents for it)", tally.Violations == 0,
            $"{tally.Violations} violations in {tally.Requests} requests"));

        var lags = disconnectedAt.Select(d => abortedAt.TryGetValue(d.Key, out var at) ? at - d.Value : (TimeSpan?)null).ToList();
        var missing = lags.Count(l => l is null);
        var measured = lags.Where(l => l is not null).Select(l => l!.Value.TotalMilliseconds).Order().ToList();
        var maxLag = measured.Count == 0 ? 0 : measured[^1];
        var p50 = measured.Count == 0 ? 0 : measured[measured.Count / 2];
        checks.Add(("no upstream request outlives its client: each dropped stream's upstream request aborted within 1 s",
            !disconnectedAt.IsEmpty && missing == 0 && maxLag < 1000,
            string.Format(inv, "{0} disconnects, {1} never aborted, abort lag p50 {2:0} ms, max {3:0} ms", disconnectedAt.Count, missing, p50, maxLag)));

        checks.Add(("no upstream request left open after the traffic stopped", final.UpstreamInFlight == 0,
            $"{final.UpstreamInFlight} in flight at the end"));

        // The first 30 s are warm-up (pools fill, the GC finds its size); the thirds are taken from what follows.
        var steady = samples.Where(s => s.At >= TimeSpan.FromSeconds(30)).ToList();
        if (steady.Count < 3)
        {
            steady = samples;
        }
        var third = Math.Max(1, steady.Count / 3);
        var first = steady.Take(third).ToList();
        var last = steady.Skip(steady.Count - third).ToList();
        double Mean(List<Sample> s, Func<Sample, double> f) => s.Average(f);
        var rssFirst = Mean(first, s => s.RssKb) / 1024;
        var rssLast = Mean(last, s => s.RssKb) / 1024;
        checks.Add(("RSS does not grow after 30 s of warm-up (mean of the last third ≤ 1.2 × mean of the first third)", rssLast <= rssFirst * 1.2,
            string.Format(inv, "{0:0.0} MB → {1:0.0} MB ({2:+0.0;-0.0}%)", rssFirst, rssLast, (rssLast / rssFirst - 1) * 100)));
        var fdFirst = first.Max(s => s.OpenFds);
        var fdLast = last.Max(s => s.OpenFds);
        checks.Add(("open fds do not grow (max of the last third ≤ max of the first third + 10)", fdLast <= fdFirst + 10, $"{fdFirst} → {fdLast}"));
        var sockFirst = first.Max(s => s.UpstreamSockets);
        var sockLast = last.Max(s => s.UpstreamSockets);
        checks.Add(("upstream sockets do not grow (max of the last third ≤ max of the first third + 10)", sockLast <= sockFirst + 10, $"{sockFirst} → {sockLast}"));

        var limited = tally.ByKind.GetValueOrDefault("greedy client: 429 (rate limited)");
        checks.Add(("the greedy client was rate limited (429 with Retry-After and X-RateLimit-*)", limited > 0, $"{limited} × 429"));
        checks.Add(("the proxy is alive and /healthz answers 200 at the end", aliveAndHealthy, aliveAndHealthy ? "yes" : "no"));

        var passed = checks.All(c => c.Ok);
        var md = new StringBuilder();
        md.AppendLine(inv, $"**{(passed ? "PASSED" : "FAILED")}** — {options.Minutes:0.#} min, {options.Workers} workers + 1 greedy client, " +
            $"{tally.Requests} requests ({tally.Requests / (options.Minutes * 60):0} req/s), {upstreamServed} upstream requests served, seed {options.Seed}.");
        md.AppendLine();
        md.AppendLine("| check | result | figure |");
        md.AppendLine("|---|---|---|");
        foreach (var (name, ok, figure) in checks)
        {
            md.AppendLine(inv, $"| {name} | {(ok ? "pass" : "**FAIL**")} | {figure} |");
        }
        md.AppendLine();
        md.AppendLine("| outcome | requests |");
        md.AppendLine("|---|---|");
        foreach (var (kind, count) in tally.ByKind.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            md.AppendLine(inv, $"| {kind} | {count} |");
        }
        if (tally.Examples.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Violations (first 20):");
            md.AppendLine();
            foreach (var example in tally.Examples)
            {
                md.AppendLine(inv, $"- `{example.Replace('`', '\'')}`");
            }
        }
        md.AppendLine();
        md.AppendLine("| t (s) | RSS (MB) | open fds | upstream sockets (established) | upstream requests in flight | client requests in flight |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var s in samples)
        {
            md.AppendLine(inv, $"| {s.At.TotalSeconds:0} | {s.RssKb / 1024.0:0.0} | {s.OpenFds} | {s.UpstreamSockets} ({s.UpstreamEstablished}) | {s.UpstreamInFlight} | {s.ClientInFlight} |");
        }
        return new SoakReport(passed, md.ToString());
    }
}

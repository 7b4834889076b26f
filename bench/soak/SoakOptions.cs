using System.Globalization;

namespace Soak;

/// <summary>--minutes N (10), --binary PATH (artifacts/llm-proxy), --workers N (8), --rate-limit N per second per key (100),
/// --sample-seconds N (10), --seed N (7), --report PATH (markdown written there too).</summary>
public sealed record SoakOptions(double Minutes, string Binary, int Workers, int RateLimit, double SampleSeconds, int Seed, string? ReportPath)
{
    public static SoakOptions Parse(string[] args)
    {
        var o = new SoakOptions(10, "artifacts/llm-proxy", 8, 100, 10, 7, null);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--minutes" => o with { Minutes = double.Parse(v, CultureInfo.InvariantCulture) },
                "--binary" => o with { Binary = v },
                "--workers" => o with { Workers = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rate-limit" => o with { RateLimit = int.Parse(v, CultureInfo.InvariantCulture) },
                "--sample-seconds" => o with { SampleSeconds = double.Parse(v, CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = int.Parse(v, CultureInfo.InvariantCulture) },
                "--report" => o with { ReportPath = v },
                _ => throw new ArgumentException("unknown option " + args[i]),
            };
        }
        return o;
    }
}

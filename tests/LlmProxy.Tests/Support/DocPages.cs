using System.Net;
using System.Text.RegularExpressions;

namespace LlmProxy.Tests.Support;

/// <summary>
/// Loads a docs page the way a browser would start to: the page, then every script, stylesheet, icon and ES module it
/// references (recursively through the small glue files), and lists the references that point off the server.
/// Shared by the TestHost and the E2E tests (linked into both).
/// </summary>
public static partial class DocPages
{
    /// <summary>Files larger than this (the vendored UI bundles) are fetched but not parsed for references.</summary>
    private const int ParseLimit = 64 * 1024;

    public static async Task<Dictionary<string, string>> FetchAsync(HttpClient client, string page)
    {
        var fetched = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<Uri>();
        queue.Enqueue(new Uri(client.BaseAddress ?? new Uri("http://localhost/"), page));
        while (queue.Count > 0)
        {
            var url = queue.Dequeue();
            if (fetched.ContainsKey(url.AbsolutePath))
            {
                continue;
            }
            var (final, text) = await GetFollowingRedirectsAsync(client, url);
            fetched[url.AbsolutePath] = text;
            if (text.Length > ParseLimit)
            {
                continue;
            }
            foreach (var reference in References(text))
            {
                if (!IsExternal(reference) && !reference.StartsWith("data:", StringComparison.Ordinal) && !reference.StartsWith('#'))
                {
                    queue.Enqueue(new Uri(final, reference));
                }
            }
        }
        return fetched;
    }

    /// <summary>Every reference in the parsed (small) files that would make a browser leave the server.</summary>
    public static List<string> ExternalReferences(Dictionary<string, string> pages) =>
        pages.Values.Where(t => t.Length <= ParseLimit).SelectMany(References).Where(IsExternal).Distinct().ToList();

    public static IEnumerable<string> References(string text) =>
        AttributeReference().Matches(text).Select(m => m.Groups[1].Value)
            .Concat(ImportReference().Matches(text).Select(m => m.Groups[1].Value))
            .Concat(CssReference().Matches(text).Select(m => m.Groups[1].Value))
            .Where(r => !r.Contains("%(", StringComparison.Ordinal));

    private static bool IsExternal(string reference) =>
        reference.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || reference.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
        || reference.StartsWith("//", StringComparison.Ordinal);

    private static async Task<(Uri Final, string Text)> GetFollowingRedirectsAsync(HttpClient client, Uri url)
    {
        for (var hops = 0; hops < 5; hops++)
        {
            using var response = await client.GetAsync(url);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                url = new Uri(url, location);
                continue;
            }
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new Xunit.Sdk.XunitException($"{url} answered {(int)response.StatusCode}");
            }
            // A client that follows redirects itself reports where it ended up: relative references resolve from there.
            return (response.RequestMessage?.RequestUri ?? url, await response.Content.ReadAsStringAsync());
        }
        throw new Xunit.Sdk.XunitException($"{url}: too many redirects");
    }

    [GeneratedRegex("""(?:src|href)\s*=\s*["']([^"']+)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex AttributeReference();

    [GeneratedRegex("""(?:import\s[^'";]*?from\s*|import\s*\(\s*|@import\s+)["']([^"']+)["']""")]
    private static partial Regex ImportReference();

    [GeneratedRegex("""url\(\s*["']?([^"')]+)["']?\s*\)""")]
    private static partial Regex CssReference();
}

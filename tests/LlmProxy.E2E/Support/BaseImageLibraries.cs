namespace LlmProxy.E2E.Support;

/// <summary>
/// The shared libraries a container base image provides, as kept in <c>docker/*.libs</c>: <c>image NAME</c>,
/// <c>glibc X.Y</c>, then one library file name per line; <c>#</c> starts a comment.
/// </summary>
public sealed record BaseImageLibraries(string Image, Version Glibc, IReadOnlySet<string> Libraries)
{
    /// <summary>.NET loads OpenSSL with dlopen at run time for TLS (HTTPS to upstreams): no DT_NEEDED entry shows it.</summary>
    public static readonly string[] OpenSsl = ["libssl.so.3", "libcrypto.so.3"];

    public static BaseImageLibraries Parse(string text)
    {
        string? image = null;
        Version? glibc = null;
        var libraries = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            if (line.StartsWith("image ", StringComparison.Ordinal))
            {
                image = line["image ".Length..].Trim();
            }
            else if (line.StartsWith("glibc ", StringComparison.Ordinal))
            {
                glibc = Version.Parse(line["glibc ".Length..].Trim());
            }
            else
            {
                libraries.Add(line);
            }
        }
        return new BaseImageLibraries(
            image ?? throw new FormatException("no 'image' line"),
            glibc ?? throw new FormatException("no 'glibc' line"),
            libraries);
    }

    /// <summary>Everything the binary would miss on this base: libraries by name, and a glibc older than it needs.</summary>
    public IReadOnlyList<string> Missing(ElfDependencies binary)
    {
        var problems = binary.Needed.Concat(OpenSsl)
            .Where(library => !Libraries.Contains(library))
            .Select(library => $"{library} is not in {Image}")
            .ToList();
        if (binary.HighestGlibc() is { } needed && needed > Glibc)
        {
            problems.Add($"the binary needs GLIBC_{needed}, {Image} has glibc {Glibc}");
        }
        return problems;
    }
}

using System.Text.Json;

namespace LlmProxy.E2E.Support;

/// <summary>
/// Just enough of the Dockerfile grammar (docs.docker.com/reference/dockerfile) to check the image against the binary:
/// line continuations, comments, stages (<c>FROM image AS name</c>) and each instruction's raw arguments.
/// </summary>
public sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>The stage the image is made of: the last one.</summary>
    public DockerStage Final => Stages[^1];

    public static Dockerfile Parse(string text)
    {
        var stages = new List<DockerStage>();
        var logical = new List<string>();
        var pending = "";
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimEnd();
            if (pending.Length == 0 && line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            var full = (pending + line).Trim();
            pending = "";
            if (full.Length > 0)
            {
                logical.Add(full);
            }
        }
        foreach (var line in logical)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : line[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToArray();
                stages.Add(new DockerStage(parts[0], parts.Length >= 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : null));
            }
            else if (stages.Count > 0)
            {
                stages[^1].Instructions.Add(new DockerInstruction(keyword, arguments));
            }
        }
        return new Dockerfile(stages);
    }

    /// <summary>The JSON-array ("exec") form of CMD/ENTRYPOINT, or null for the shell form (which needs /bin/sh).</summary>
    public static string[]? ExecForm(string arguments)
    {
        if (!arguments.StartsWith('['))
        {
            return null;
        }
        using var document = JsonDocument.Parse(arguments);
        return document.RootElement.EnumerateArray().Select(e => e.GetString() ?? throw new FormatException("non-string in exec form")).ToArray();
    }
}

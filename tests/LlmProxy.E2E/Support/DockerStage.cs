namespace LlmProxy.E2E.Support;

/// <summary>One <c>FROM</c> and the instructions under it.</summary>
public sealed record DockerStage(string Image, string? Name)
{
    public List<DockerInstruction> Instructions { get; } = [];

    public IEnumerable<string> ArgumentsOf(string keyword) => Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

    /// <summary>ENV KEY=VALUE pairs (the modern form; values may be double-quoted), later ones winning.</summary>
    public IReadOnlyDictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arguments in ArgumentsOf("ENV"))
        {
            foreach (var pair in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new FormatException($"ENV '{arguments}' is not in KEY=VALUE form");
                }
                env[pair[..eq]] = pair[(eq + 1)..].Trim('"');
            }
        }
        return env;
    }
}

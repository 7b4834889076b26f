namespace LlmProxy.Cli;

/// <summary>
/// Reads a dotenv-style file for <c>--env-file</c>: <c>KEY=VALUE</c> lines, <c>#</c> comments, blank lines,
/// optional single or double quotes around the value and an optional <c>export </c> prefix (docs/configuration.md,
/// Env file).
/// The caller layers it under the real environment: a file never overrides a variable already set.
/// </summary>
internal static class EnvFile
{
    public static Dictionary<string, string> Parse(string text, string sourceName)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"{sourceName}:{lineNumber}: expected KEY=VALUE");
            }
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }
            else
            {
                // An unquoted value may carry a trailing comment: KEY=value # note
                var hash = value.IndexOf(" #", StringComparison.Ordinal);
                if (hash >= 0)
                {
                    value = value[..hash].TrimEnd();
                }
            }
            values[key] = value;
        }
        return values;
    }
}

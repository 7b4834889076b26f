using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LlmProxy.Http.Auth;

/// <summary>
/// PROXY_API_KEYS_FILE: one key per line, optionally followed by settings (docs/replicas.md, "Per-key settings: the keys file"):
/// <code>
/// # comment
/// sk-alice-1 name=alice rpm=60 tpm=100000 models=llama3*,qwen*
/// sk-bob
/// </code>
/// Blank lines and lines starting with <c>#</c> are skipped; a token starting with <c>#</c> starts a comment.
/// An error names the file and the line and never repeats the key (or anything that may be one).
/// </summary>
internal static class ApiKeysFile
{
    /// <summary>Option names of a line, in the order the docs list them.</summary>
    public static readonly string[] OptionNames = ["name", "rpm", "tpm", "models"];

    private const int MaxNameLength = 64;

    /// <summary>Reads and parses the file; throws <see cref="ApiKeysFileException"/>.</summary>
    public static IReadOnlyList<ApiKeyEntry> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ApiKeysFileException($"PROXY_API_KEYS_FILE {path}: cannot read the file ({e.GetType().Name})");
        }
        return Parse(text, path);
    }

    /// <summary>Parses the file's text; <paramref name="path"/> is only used in error messages.</summary>
    public static IReadOnlyList<ApiKeyEntry> Parse(string text, string path)
    {
        var entries = new List<ApiKeyEntry>();
        var lineOfDigest = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var tokens = Tokens(rawLine.TrimStart('\uFEFF'));
            if (tokens.Count == 0)
            {
                continue;
            }
            var entry = ParseLine(tokens, out var why);
            if (entry is null)
            {
                throw new ApiKeysFileException($"PROXY_API_KEYS_FILE {path}, line {lineNumber}: {why}");
            }
            var digestHex = Convert.ToHexString(entry.Digest);
            if (lineOfDigest.TryGetValue(digestHex, out var firstLine))
            {
                throw new ApiKeysFileException($"PROXY_API_KEYS_FILE {path}, line {lineNumber}: the same key as line {firstLine}");
            }
            lineOfDigest[digestHex] = lineNumber;
            entries.Add(entry);
        }
        return entries.Count > 0 ? entries : throw new ApiKeysFileException($"PROXY_API_KEYS_FILE {path}: the file holds no key");
    }

    /// <summary>Whitespace-separated tokens up to a comment (a token that starts with '#').</summary>
    private static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        foreach (var token in line.Split([' ', '\t', '\r', '\f', '\v'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token[0] == '#')
            {
                break;
            }
            tokens.Add(token);
        }
        return tokens;
    }

    private static ApiKeyEntry? ParseLine(List<string> tokens, out string? why)
    {
        var key = tokens[0];
        if (OptionName(key) is { } misplaced && Array.IndexOf(OptionNames, misplaced) >= 0)
        {
            why = $"the line starts with {misplaced}=; the key must come first";
            return null;
        }
        string? name = null;
        long? rpm = null, tpm = null;
        ModelAllowList? models = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in tokens.Skip(1))
        {
            var option = OptionName(token);
            if (option is null)
            {
                // Not echoed: a second word without '=' may be a key pasted on the wrong line.
                why = $"expected option=value after the key (options: {string.Join(", ", OptionNames)})";
                return null;
            }
            if (!seen.Add(option))
            {
                why = $"{option}= is given twice";
                return null;
            }
            var value = token[(option.Length + 1)..];
            switch (option)
            {
                case "name":
                    if (!IsValidName(value))
                    {
                        why = $"name '{Clip(value)}' must be 1 to {MaxNameLength} letters, digits or . _ - @";
                        return null;
                    }
                    name = value;
                    break;
                case "rpm":
                    if ((rpm = Count(value)) is null)
                    {
                        why = $"rpm '{Clip(value)}' is not a whole number, 0 or more";
                        return null;
                    }
                    break;
                case "tpm":
                    if ((tpm = Count(value)) is null)
                    {
                        why = $"tpm '{Clip(value)}' is not a whole number, 0 or more";
                        return null;
                    }
                    break;
                case "models":
                    models = ModelAllowList.Parse(value, out why);
                    if (models is null)
                    {
                        return null;
                    }
                    break;
                default:
                    why = $"unknown option {option}= (options: {string.Join(", ", OptionNames)})";
                    return null;
            }
        }
        why = null;
        return new ApiKeyEntry(SHA256.HashData(Encoding.UTF8.GetBytes(key)), name, rpm, tpm, models);
    }

    /// <summary>
    /// The option name of <c>option=value</c>, or null when the token has no '=' or what precedes it does not look like
    /// an option name (lower-case letters, at most 16): only then may it be echoed in an error.
    /// </summary>
    private static string? OptionName(string token)
    {
        var eq = token.IndexOf('=', StringComparison.Ordinal);
        if (eq is <= 0 or > 16)
        {
            return null;
        }
        foreach (var c in token.AsSpan(0, eq))
        {
            if (c is < 'a' or > 'z')
            {
                return null;
            }
        }
        return token[..eq];
    }

    private static long? Count(string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static bool IsValidName(string value)
    {
        if (value.Length is 0 or > MaxNameLength)
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
            {
                return false;
            }
        }
        return true;
    }

    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "...";
}

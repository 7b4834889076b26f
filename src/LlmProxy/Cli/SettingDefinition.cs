using System.CommandLine;

namespace LlmProxy.Cli;

/// <summary>One row of CONTRACT §1: an environment variable, its flag, the default shown by --help.</summary>
internal sealed class SettingDefinition
{
    public SettingDefinition(string envName, string flag, string defaultText, string description, bool isFlagSwitch = false, bool isSecret = false)
    {
        EnvName = envName;
        Flag = flag;
        DefaultText = defaultText;
        IsSecret = isSecret;
        // Nullable string options: "not given" stays visible, so env and file can fill in (flag > env > file > default).
        Option = new Option<string?>(flag)
        {
            Description = $"{description} [env: {envName}] [default: {(defaultText.Length == 0 ? "(empty)" : defaultText)}]",
            HelpName = isFlagSwitch ? "true|false" : "value",
            Arity = isFlagSwitch ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
        };
        IsFlagSwitch = isFlagSwitch;
    }

    public string EnvName { get; }
    public string Flag { get; }
    public string DefaultText { get; }
    public bool IsSecret { get; }

    /// <summary>A boolean whose flag may be given alone (<c>--log-requests</c> means true).</summary>
    public bool IsFlagSwitch { get; }

    public Option<string?> Option { get; }
}

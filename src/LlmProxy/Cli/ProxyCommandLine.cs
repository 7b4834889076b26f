using System.CommandLine;
using LlmProxy.Configuration;
using LlmProxy.Hosting;

namespace LlmProxy.Cli;

/// <summary>
/// The command line: the default command serves HTTP, <c>healthcheck</c> probes a running instance. Exit codes
/// (docs/configuration.md, Exit codes): 0 a clean stop, 1 a runtime failure (such as a port in use), 2 bad settings —
/// one line naming the variable or flag.
/// </summary>
internal static class ProxyCommandLine
{
    public const int ExitBadSettings = 2;

    public static readonly Option<string?> EnvFileOption = new("--env-file")
    {
        Description = "Read KEY=VALUE lines from this file; real environment variables win over it.",
        HelpName = "path",
    };

    public static int Run(string[] args, IReadOnlyDictionary<string, string>? environment = null, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var env = environment ?? ReadEnvironment();
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var root = CreateRoot(env, stdout, stderr);

        var parseResult = root.Parse(args, new ParserConfiguration());
        if (parseResult.Errors.Count > 0 && parseResult.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var error in parseResult.Errors)
            {
                stderr.WriteLine($"llm-proxy: {error.Message}");
            }
            return ExitBadSettings;
        }
        // ProcessTerminationTimeout = null: System.CommandLine must not cancel on SIGTERM itself; the web host
        // owns shutdown and drains in-flight requests for SHUTDOWN_TIMEOUT_SECONDS (docs/operations.md, Shutdown).
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null, Output = stdout, Error = stderr };
        return parseResult.Invoke(invocation);
    }

    /// <summary>The root command: every setting's flag, --env-file, and the healthcheck subcommand.</summary>
    internal static RootCommand CreateRoot(IReadOnlyDictionary<string, string> env, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("llm-proxy: a small, fast gateway in front of OpenAI-compatible model servers.");
        foreach (var setting in SettingDefinitions.All)
        {
            root.Options.Add(setting.Option);
        }
        root.Options.Add(SettingDefinitions.UpstreamOption);
        root.Options.Add(EnvFileOption);
        root.Subcommands.Add(HealthcheckCommand.Create(env, stdout));
        root.SetAction(async (parseResult, _) =>
        {
            ProxySettings settings;
            try
            {
                settings = SettingsResolver.Resolve(parseResult, env, EnvFileOption, File.ReadAllText);
            }
            catch (SettingsException e)
            {
                await stderr.WriteLineAsync($"llm-proxy: {e.Message}");
                return ExitBadSettings;
            }
            return await ProxyHost.RunAsync(settings, stderr);
        });
        return root;
    }

    private static Dictionary<string, string> ReadEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                result[key] = value;
            }
        }
        return result;
    }
}

using LlmProxy.Cli;
using LlmProxy.Configuration;
using LlmProxy.Routing;

namespace LlmProxy.Tests.Cli;

/// <summary>UPSTREAMS, the per-upstream settings and what LLM_PROVIDER and the map may name (docs/configuration.md, Upstreams).</summary>
public class UpstreamSettingsTests
{
    private static ProxySettings Resolve(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string>? files = null)
    {
        env ??= [];
        var root = ProxyCommandLine.CreateRoot(env, TextWriter.Null, TextWriter.Null);
        var parseResult = root.Parse(args);
        Assert.Empty(parseResult.Errors);
        return SettingsResolver.Resolve(parseResult, env, ProxyCommandLine.EnvFileOption,
            path => files is not null && files.TryGetValue(path, out var text) ? text : throw new FileNotFoundException(path));
    }

    /// <summary>Runs the command line to its exit: code 2 and the one stderr line.</summary>
    private static string Refused(string[] args, Dictionary<string, string> env)
    {
        var stderr = new StringWriter();
        Assert.Equal(2, ProxyCommandLine.Run(args, env, TextWriter.Null, stderr));
        var line = stderr.ToString().Trim();
        Assert.Single(line.Split('\n'));
        return line;
    }

    [Fact]
    public void Named_upstreams_get_their_options_from_variables_and_the_provider_becomes_auto()
    {
        var s = Resolve([], new()
        {
            ["UPSTREAMS"] = " local=http://localhost:11434/v1 , gpu-box=http://gpu-box:8000/v1",
            ["UPSTREAM_GPU_BOX_PRIORITY"] = "-1",
            ["UPSTREAM_GPU_BOX_MAX_CONCURRENCY"] = "2",
            ["UPSTREAM_GPU_BOX_API_KEY"] = " sk-gpu ",
            ["UPSTREAM_LOCAL_MODELS"] = "llama3.1:8b, qwen2.5-coder:7b,",
            // Settings of their own that merely look like per-upstream ones.
            ["UPSTREAM_TIMEOUT_SECONDS"] = "60",
            ["UPSTREAM_CONNECT_TIMEOUT_SECONDS"] = "5",
        });
        Assert.Equal(ProviderNames.Auto, s.DefaultProvider);
        Assert.Equal(["local", "gpu-box"], s.Upstreams.Select(u => u.Name));
        Assert.Equal("http://localhost:11434/v1/", s.Upstreams[0].BaseUrl.AbsoluteUri);
        var local = s.Upstreams[0].Options;
        Assert.Equal((0, 0, (string?)null), (local.Priority, local.MaxConcurrency, local.ApiKey));
        Assert.Equal(["llama3.1:8b", "qwen2.5-coder:7b"], local.Models!);
        var gpu = s.Upstreams[1].Options;
        Assert.Equal((-1, 2, "sk-gpu", true), (gpu.Priority, gpu.MaxConcurrency, gpu.ApiKey, gpu.ApiKeyOverridesClient));
        Assert.Null(gpu.Models);
        Assert.DoesNotContain("sk-gpu", s.ToString(), StringComparison.Ordinal);
        Assert.Equal(60, s.UpstreamTimeout.TotalSeconds);
    }

    [Fact]
    public void Repeated_flags_replace_the_list_and_an_option_flag_beats_the_variable_which_beats_the_env_file()
    {
        var env = new Dictionary<string, string>
        {
            ["UPSTREAMS"] = "ignored=http://ignored/v1",
            ["UPSTREAM_GPU_PRIORITY"] = "1",
            ["UPSTREAM_GPU_MAX_CONCURRENCY"] = "4",
        };
        var file = new Dictionary<string, string> { ["f.env"] = "UPSTREAM_GPU_MAX_CONCURRENCY=9\nUPSTREAM_LOCAL_MAX_CONCURRENCY=3\n" };
        var s = Resolve(["--upstream", "local=http://127.0.0.1:11434/v1", "--upstream", "gpu=http://gpu:8000/v1",
            "--upstream-option", "gpu.priority=7", "--upstream-option", "gpu.models=a,b", "--env-file", "f.env"], env, file);
        Assert.Equal(["local", "gpu"], s.Upstreams.Select(u => u.Name));
        var gpu = s.Upstreams[1].Options;
        Assert.Equal((7, 4), (gpu.Priority, gpu.MaxConcurrency));
        Assert.Equal(["a", "b"], gpu.Models!);
        Assert.Equal(3, s.Upstreams[0].Options.MaxConcurrency);
    }

    [Fact]
    public void Without_upstreams_the_legacy_ollama_takes_options_and_discovery_names_need_auto()
    {
        var legacy = Resolve([], new() { ["LLM_PROVIDER"] = "ollama", ["UPSTREAM_OLLAMA_MAX_CONCURRENCY"] = "1" });
        Assert.Empty(legacy.Upstreams);
        Assert.Equal(1, legacy.UpstreamOptionsByName["ollama"].MaxConcurrency);

        var discovery = Resolve([], new()
        {
            ["LLM_PROVIDER"] = "auto",
            ["MODEL_PROVIDER_MAP"] = "qwen*=vllm",
            ["UPSTREAM_VLLM_PRIORITY"] = "2",
        });
        Assert.Equal("auto", discovery.DefaultProvider);
        Assert.Equal(2, discovery.UpstreamOptionsByName["vllm"].Priority);
        // A map entry naming auto also turns discovery on.
        Assert.Equal("stub", Resolve([], new() { ["MODEL_PROVIDER_MAP"] = "llama*=auto,x=lmstudio" }).DefaultProvider);
    }

    [Fact]
    public void The_map_and_the_provider_may_name_upstreams_in_any_case()
    {
        var s = Resolve(["--provider", "GPU", "--model-provider-map", "llama*=Local,test=stub,big*=auto"],
            new() { ["UPSTREAMS"] = "local=http://a/v1,gpu=http://b/v1" });
        Assert.Equal("gpu", s.DefaultProvider);
        var map = ModelProviderMap.Parse(s.ModelProviderMap, ["stub", "auto", "local", "gpu"]);
        Assert.Equal("local", map.Match("llama3"));
        Assert.Equal("auto", map.Match("big-model"));
    }

    public static TheoryData<Dictionary<string, string>, string[], string[], string?> Refusals => new()
    {
        // variables, flags, what the line must name, what it must never show
        { new() { ["UPSTREAMS"] = "gpu=http://gpu/v1", ["UPSTREAM_GPU2_PRIORITY"] = "1" }, [], ["UPSTREAM_GPU2_PRIORITY", "gpu2"], null },
        { new() { ["UPSTREAM_GPU_API_KEY"] = "sk-x" }, [], ["UPSTREAM_GPU_API_KEY", "'gpu'"], "sk-x" },
        { new() { ["UPSTREAMS"] = "GPU=http://gpu/v1" }, [], ["UPSTREAMS", "'GPU'", "a-z"], null },
        { new() { ["UPSTREAMS"] = "stub=http://gpu/v1" }, [], ["UPSTREAMS", "'stub'", "reserved"], null },
        { new() { ["UPSTREAMS"] = "a=http://x/v1, a=http://y/v1" }, [], ["UPSTREAMS", "'a'", "twice"], null },
        { new() { ["UPSTREAMS"] = "a=ftp://x/v1" }, [], ["UPSTREAMS", "ftp://x/v1"], null },
        { new() { ["UPSTREAMS"] = "a=http://me:hunter2@x/v1?q=1" }, [], ["UPSTREAMS", "'a'", "***@x"], "hunter2" },
        { new() { ["UPSTREAMS"] = "a=http://x/v1", ["UPSTREAM_A_PRIORITY"] = "high" }, [], ["UPSTREAM_A_PRIORITY='high'"], null },
        { new() { ["UPSTREAMS"] = "a=http://x/v1", ["UPSTREAM_A_MAX_CONCURRENCY"] = "-1" }, [], ["UPSTREAM_A_MAX_CONCURRENCY='-1'"], null },
        { new() { ["UPSTREAMS"] = "a=http://x/v1", ["LLM_PROVIDER"] = "ollama" }, [], ["LLM_PROVIDER='ollama'", "stub, auto, a"], null },
        { new() { ["UPSTREAMS"] = "a=http://x/v1", ["MODEL_PROVIDER_MAP"] = "llama3=ollama" }, [], ["MODEL_PROVIDER_MAP", "'ollama'"], null },
        { new() { ["MODEL_PROVIDER_MAP"] = "x=gpu" }, [], ["MODEL_PROVIDER_MAP", "'gpu'"], null },
        { new() { ["UPSTREAM_VLLM_PRIORITY"] = "1" }, [], ["UPSTREAM_VLLM_PRIORITY", "'vllm'"], null },
        { new() { ["UPSTREAMS"] = "a=http://x/v1" }, ["--upstream-option", "a.colour=red"], ["--upstream-option", "colour", "api_key, priority"], null },
        { new() { ["UPSTREAMS"] = "a=http://x/v1" }, ["--upstream-option", "b.priority=1"], ["--upstream-option", "'b'"], null },
        { new() { ["UPSTREAMS"] = "a=http://x/v1" }, ["--upstream-option", "a.api_key=sk-y", "--upstream-option", "a.priority=x"], ["--upstream-option a.priority='x'"], "sk-y" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_bad_upstream_setting_exits_2_with_one_line_naming_it(Dictionary<string, string> env, string[] args, string[] named, string? secret)
    {
        var line = Refused(args, env);
        foreach (var part in named)
        {
            Assert.Contains(part, line, StringComparison.Ordinal);
        }
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
        }
    }
}

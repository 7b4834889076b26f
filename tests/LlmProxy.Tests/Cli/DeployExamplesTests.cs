using System.Text.RegularExpressions;
using LlmProxy.Cli;
using LlmProxy.Configuration;
using YamlDotNet.RepresentationModel;

namespace LlmProxy.Tests.Cli;

/// <summary>
/// docs/deploy/kubernetes.yaml and docs/deploy/compose.yaml (docs/replicas.md): parsed as YAML, every environment
/// variable they give the proxy is a setting the binary knows, and every value they give it resolves (the same code
/// as the binary's start: a value that would stop it with exit 2 fails here).
/// </summary>
public partial class DeployExamplesTests
{
    private static readonly string Root = FindRoot();

    /// <summary>Settings with a name pattern rather than a fixed name (per-upstream settings, OpenTelemetry's own).</summary>
    [GeneratedRegex("^(UPSTREAM_[A-Z0-9_]+_(API_KEY|PRIORITY|MAX_CONCURRENCY|MODELS)|OTEL_[A-Z0-9_]+)$")]
    private static partial Regex PatternSetting();

    private static bool IsKnown(string name) =>
        SettingDefinitions.All.Any(s => s.EnvName == name) || PatternSetting().IsMatch(name);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LlmProxy.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("LlmProxy.sln not found above " + AppContext.BaseDirectory);
    }

    private static List<YamlMappingNode> Documents(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Root, "docs", "deploy", file));
        stream.Load(reader);
        return [.. stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode))];
    }

    private static YamlNode Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            Assert.True(((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var child), $"no '{key}' in {node.Start}");
            node = child!;
        }
        return node;
    }

    private static string Text(YamlNode node) => Assert.IsType<YamlScalarNode>(node).Value!;

    private static bool Has(YamlNode node, string key) => node is YamlMappingNode map && map.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>Resolves the settings exactly as the binary does at start; <paramref name="files"/> stands in for mounted files.</summary>
    private static ProxySettings Resolve(Dictionary<string, string> env, Dictionary<string, string> files)
    {
        var root = ProxyCommandLine.CreateRoot(env, TextWriter.Null, TextWriter.Null);
        return SettingsResolver.Resolve(root.Parse([]), env, ProxyCommandLine.EnvFileOption,
            path => files.TryGetValue(path, out var text) ? text : throw new FileNotFoundException(path));
    }

    [Fact]
    public void The_kubernetes_example_runs_three_ready_checked_replicas_on_one_redis_with_keys_and_redis_url_from_secrets()
    {
        var documents = Documents("kubernetes.yaml");
        YamlMappingNode Find(string kind, string name) =>
            documents.Single(d => Text(Get(d, "kind")) == kind && Text(Get(d, "metadata", "name")) == name);
        var secrets = documents.Where(d => Text(Get(d, "kind")) == "Secret")
            .ToDictionary(d => Text(Get(d, "metadata", "name")), d => (YamlMappingNode)Get(d, "stringData"));

        Find("Deployment", "llm-proxy-redis");
        Assert.Equal("6379", Text(((YamlSequenceNode)Get(Find("Service", "llm-proxy-redis"), "spec", "ports"))[0]["port"]));
        var proxy = Find("Deployment", "llm-proxy");
        Assert.Equal("3", Text(Get(proxy, "spec", "replicas")));
        Find("Service", "llm-proxy");
        var pod = Get(proxy, "spec", "template", "spec");
        var container = Assert.Single((YamlSequenceNode)Get(pod, "containers"));
        Assert.Contains("llm-proxy", Text(Get(container, "image")), StringComparison.Ordinal);
        Assert.Equal("/healthz", Text(Get(container, "readinessProbe", "httpGet", "path")));

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var fromSecrets = new List<string>();
        foreach (var variable in (YamlSequenceNode)Get(container, "env"))
        {
            var name = Text(Get(variable, "name"));
            Assert.True(IsKnown(name), $"kubernetes.yaml sets {name}, which is not a setting of llm-proxy");
            if (Has(variable, "value"))
            {
                env[name] = Text(Get(variable, "value"));
                continue;
            }
            var reference = Get(variable, "valueFrom", "secretKeyRef");
            env[name] = Text(Get(secrets[Text(Get(reference, "name"))], Text(Get(reference, "key"))));
            fromSecrets.Add(name);
        }
        Assert.Contains("REDIS_URL", fromSecrets);

        // The keys file is a Secret mounted as a file, where PROXY_API_KEYS_FILE points.
        var mount = ((YamlSequenceNode)Get(container, "volumeMounts")).Single(m => env["PROXY_API_KEYS_FILE"].StartsWith(Text(Get(m, "mountPath")) + "/", StringComparison.Ordinal));
        var volume = ((YamlSequenceNode)Get(pod, "volumes")).Single(v => Text(Get(v, "name")) == Text(Get(mount, "name")));
        var keysSecret = secrets[Text(Get(volume, "secret", "secretName"))];
        var keysFileName = env["PROXY_API_KEYS_FILE"][(Text(Get(mount, "mountPath")).Length + 1)..];
        var files = new Dictionary<string, string> { [env["PROXY_API_KEYS_FILE"]] = Text(Get(keysSecret, keysFileName)) };

        var settings = Resolve(env, files);
        Assert.NotNull(settings.RedisUrl);
        Assert.Equal("llm-proxy-redis", settings.RedisUrl!.Host);
        Assert.True(settings.ApiKeysEnabled);
        Assert.True(settings.RateLimitEnabled);
        Assert.True(settings.RateLimitMaxTokens > 0);
        // The pod outlives the proxy's drain.
        Assert.True(int.Parse(Text(Get(pod, "terminationGracePeriodSeconds")), System.Globalization.CultureInfo.InvariantCulture) > settings.ShutdownTimeout.TotalSeconds);
    }

    [Fact]
    public void The_compose_example_runs_three_replicas_on_one_redis_and_sets_only_known_settings()
    {
        var compose = Assert.Single(Documents("compose.yaml"));
        Get(compose, "services", "redis");
        var proxy = Get(compose, "services", "llm-proxy");
        Assert.Equal("3", Text(Get(proxy, "deploy", "replicas")));
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in (YamlMappingNode)Get(proxy, "environment"))
        {
            var name = Text(key);
            Assert.True(IsKnown(name), $"compose.yaml sets {name}, which is not a setting of llm-proxy");
            // Compose interpolation: ${REDIS_PASSWORD:?…} is filled from the shell when the stack starts.
            env[name] = Regex.Replace(Text(value), @"\$\{[A-Z_]+(:\?[^}]*)?\}", "sample-password");
        }
        var keysPath = env["PROXY_API_KEYS_FILE"];
        var mounted = ((YamlSequenceNode)Get(proxy, "volumes")).Select(Text).Single(v => v.Contains(':', StringComparison.Ordinal));
        Assert.StartsWith(mounted.Split(':')[1] + "/", keysPath, StringComparison.Ordinal);

        var settings = Resolve(env, new Dictionary<string, string> { [keysPath] = "sample-key name=me rpm=60\n" });
        Assert.Equal("redis", settings.RedisUrl!.Host);
        Assert.Equal("sample-password", settings.RedisUrl.Password);
        Assert.Equal(StoreFailureMode.Open, settings.RedisFailureMode);
    }
}

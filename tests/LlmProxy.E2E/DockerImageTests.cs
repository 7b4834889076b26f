using System.Runtime.InteropServices;
using LlmProxy.E2E.Support;

namespace LlmProxy.E2E;

/// <summary>
/// What can be checked of Dockerfile.distroless without a Docker engine: the base provides every library the
/// published binary loads (and OpenSSL for HTTPS upstreams) with a glibc new enough, and the image's user, ports, env,
/// HEALTHCHECK and ENTRYPOINT agree with the binary's own flags.
/// </summary>
public class DockerImageTests
{
    private static readonly string DockerfilePath = Path.Combine(ProxyBinary.RepoRoot, "Dockerfile.distroless");

    private static Dockerfile Image => Dockerfile.Parse(File.ReadAllText(DockerfilePath));

    private static string LibrariesPath
    {
        get
        {
            var arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "amd64",
                Architecture.Arm64 => "arm64",
                var other => throw new PlatformNotSupportedException($"no distroless library list for {other}"),
            };
            return Path.Combine(ProxyBinary.RepoRoot, "docker", $"base-debian13.{arch}.libs");
        }
    }

    private static BaseImageLibraries Base => BaseImageLibraries.Parse(File.ReadAllText(LibrariesPath));

    [Fact]
    public void The_base_image_provides_every_library_the_binary_needs_and_OpenSSL()
    {
        var binary = ElfDependencies.Read(ProxyBinary.Path);
        Assert.Contains("libc.so.6", binary.Needed);
        Assert.NotNull(binary.HighestGlibc());
        Assert.Empty(Base.Missing(binary));
    }

    [Fact]
    public void The_library_list_describes_the_base_the_Dockerfile_runs_on()
    {
        Assert.Equal(Base.Image, Image.Final.Image);
    }

    [Fact]
    public void The_check_fails_when_the_base_lacks_a_library_the_binary_needs()
    {
        var binary = ElfDependencies.Read(ProxyBinary.Path);
        var full = Base;
        var withoutLibc = full with { Libraries = full.Libraries.Where(l => l != "libc.so.6").ToHashSet() };
        Assert.Contains("libc.so.6 is not in gcr.io/distroless/base-debian13:nonroot", withoutLibc.Missing(binary));
    }

    [Fact]
    public void The_check_fails_on_a_base_without_libssl_such_as_base_nossl()
    {
        var binary = ElfDependencies.Read(ProxyBinary.Path);
        var noSsl = Base with
        {
            Image = "gcr.io/distroless/base-nossl-debian13",
            Libraries = Base.Libraries.Where(l => !l.StartsWith("libssl", StringComparison.Ordinal) && !l.StartsWith("libcrypto", StringComparison.Ordinal)).ToHashSet(),
        };
        var missing = noSsl.Missing(binary);
        Assert.Contains("libssl.so.3 is not in gcr.io/distroless/base-nossl-debian13", missing);
        Assert.Contains("libcrypto.so.3 is not in gcr.io/distroless/base-nossl-debian13", missing);
    }

    [Fact]
    public void The_check_fails_when_the_base_glibc_is_older_than_the_binary_needs()
    {
        var binary = ElfDependencies.Read(ProxyBinary.Path);
        var old = Base with { Glibc = new Version(2, 17) };
        Assert.Contains(old.Missing(binary), p => p.StartsWith("the binary needs GLIBC_", StringComparison.Ordinal));
    }

    [Fact]
    public void The_ELF_reader_agrees_with_the_dynamic_section_layout()
    {
        // A hand-made check of the reader on a known file: the test runner's own dotnet host is an ELF with libc too.
        var host = Environment.ProcessPath!;
        var deps = ElfDependencies.Read(host);
        Assert.Contains(deps.Needed, n => n.StartsWith("libc.so", StringComparison.Ordinal) || n.StartsWith("libstdc++", StringComparison.Ordinal));
        Assert.Throws<InvalidDataException>(() => ElfDependencies.Parse("#!/bin/sh\necho not elf\n"u8.ToArray().Concat(new byte[64]).ToArray()));
    }

    [Fact]
    public void The_final_stage_runs_as_non_root_and_serves_the_contract_host_and_port()
    {
        var final = Image.Final;
        var user = Assert.Single(final.ArgumentsOf("USER"));
        var uid = user.Split(':')[0];
        Assert.NotEqual("0", uid);
        Assert.NotEqual("root", uid);

        var env = final.Environment();
        Assert.Equal("0.0.0.0", env["HOST"]);
        Assert.Equal("80", env["PORT"]);
        Assert.Equal("80", Assert.Single(final.ArgumentsOf("EXPOSE")).Split('/')[0]);
    }

    [Fact]
    public async Task Every_ENV_of_the_image_is_a_setting_the_binary_knows()
    {
        var (code, help, _) = await ProxyProcess.RunToExitAsync(["--help"]);
        Assert.Equal(0, code);
        foreach (var name in Image.Final.Environment().Keys)
        {
            Assert.Contains($"[env: {name}]", help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ENTRYPOINT_and_HEALTHCHECK_are_exec_form_and_run_the_copied_binary()
    {
        var final = Image.Final;
        var copy = Assert.Single(final.ArgumentsOf("COPY"));
        var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("--from=", parts[0], StringComparison.Ordinal);
        Assert.Equal("llm-proxy", Path.GetFileName(parts[1]));
        var binaryInImage = parts[2];

        var entrypoint = Dockerfile.ExecForm(Assert.Single(final.ArgumentsOf("ENTRYPOINT")));
        Assert.NotNull(entrypoint);
        Assert.Equal([binaryInImage], entrypoint);

        var healthcheck = HealthcheckCommand(final);
        Assert.Equal([binaryInImage, "healthcheck"], healthcheck);
    }

    [Fact]
    public async Task The_image_configuration_serves_and_passes_its_own_HEALTHCHECK()
    {
        // The image's environment, except the port: 80 may be taken or privileged on the machine running the tests.
        var env = new Dictionary<string, string>(Image.Final.Environment());
        env["PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var proxy = await ProxyProcess.StartAsync(env);

        var healthcheck = HealthcheckCommand(Image.Final);
        var (code, stdout, _) = await ProxyProcess.RunToExitAsync(healthcheck[1..], env);
        Assert.Equal(0, code);
        Assert.StartsWith("healthy:", stdout.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_is_an_identical_copy_so_a_plain_docker_build_builds_the_same_image()
    {
        Assert.Equal(File.ReadAllText(DockerfilePath), File.ReadAllText(Path.Combine(ProxyBinary.RepoRoot, "Dockerfile")));
    }

    [Fact]
    public void The_build_context_excludes_host_build_output_and_local_secrets()
    {
        var ignored = File.ReadAllLines(Path.Combine(ProxyBinary.RepoRoot, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains("artifacts/", ignored);
        Assert.Contains(".env", ignored);
    }

    [Fact]
    public void The_parser_rejects_shell_form_as_not_exec_form()
    {
        var parsed = Dockerfile.Parse("FROM a AS b\nRUN x \\\n  y\nFROM c\nENTRYPOINT /llm-proxy --port 80\nCMD [\"--help\"]\n");
        Assert.Equal(2, parsed.Stages.Count);
        Assert.Equal("b", parsed.Stages[0].Name);
        Assert.Equal("x    y", Assert.Single(parsed.Stages[0].ArgumentsOf("RUN")));
        Assert.Null(Dockerfile.ExecForm(Assert.Single(parsed.Final.ArgumentsOf("ENTRYPOINT"))));
        Assert.Equal(["--help"], Dockerfile.ExecForm(Assert.Single(parsed.Final.ArgumentsOf("CMD")))!);
    }

    private static string[] HealthcheckCommand(DockerStage final)
    {
        var arguments = Assert.Single(final.ArgumentsOf("HEALTHCHECK"));
        var cmdAt = arguments.IndexOf("CMD ", StringComparison.Ordinal);
        Assert.True(cmdAt >= 0, "HEALTHCHECK has no CMD");
        var command = Dockerfile.ExecForm(arguments[(cmdAt + 4)..].Trim());
        Assert.NotNull(command);
        return command;
    }
}

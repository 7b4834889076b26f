# `build.ps1 test` (dot-sourced after Common.ps1, Publish.ps1, Tally.ps1 and Suites.ps1), as scripts/test.sh for
# build.sh. A new suite is one line below.

function Invoke-TestAll {
    Assert-Dotnet
    New-Item -ItemType Directory -Force -Path $Results | Out-Null
    if (-not (Invoke-Gate 'restore' { Invoke-Native dotnet @('restore', 'LlmProxy.sln', '-nologo', '-v', 'q') })) { Complete-Tests }
    $null = Invoke-Gate 'format check (dotnet format --verify-no-changes)' { Invoke-Native dotnet @('format', 'LlmProxy.sln', '--verify-no-changes', '--no-restore', '-v', 'q') }
    if (Invoke-Gate 'build (warnings are errors)' { Invoke-Native dotnet @('build', 'LlmProxy.sln', '-c', 'Release', '--no-restore', '-nologo', '-v', 'q') }) {
        Invoke-Tests 'unit+testhost' tests/LlmProxy.Tests/LlmProxy.Tests.csproj
    }
    if (Invoke-Gate 'AOT publish (zero IL/AOT warnings)' { Invoke-Publish }) {
        $env:LLMPROXY_BINARY = $Binary
        # promtool validates a real /metrics scrape in the E2E layer.
        if (-not (Assert-AptPackage promtool prometheus)) { Add-Failure 'promtool (Debian package prometheus) is missing' }
        Invoke-Tests 'e2e' tests/LlmProxy.E2E/LlmProxy.E2E.csproj
        # Official client libraries against the binary: one line per suite.
        Invoke-NpmSuite 'openai npm interop' tests/interop @('openai-interop.test.mjs')
        Invoke-NpmSuite 'anthropic sdk' tests/interop @('anthropic-interop.test.mjs')
        Invoke-NpmSuite 'ollama npm interop' tests/interop @('ollama-interop.test.mjs')
    }
    else {
        # The E2E layer never skips: without a binary it counts as failed.
        $script:Failed++
    }
    if ($IsLinux -and (Test-Root)) {
        if (Invoke-Gate 'image smoke: the binary in a distroless base-debian13 root file system (docker/rootfs-smoke.sh)' { Invoke-ImageSmoke }) { $script:Passed++ }
    }
    elseif ($IsLinux) {
        Write-Step 'image smoke not run: docker/rootfs-smoke.sh needs root (CI runs as root)'
    }
    Complete-Tests
}

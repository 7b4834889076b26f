#!/usr/bin/env pwsh
# llm-proxy build script for PowerShell 7 (Windows, Linux, macOS): the same verbs and behaviour as build.sh.
#   test     format check, build (warnings are errors), unit + TestHost tests, AOT publish (fails on any IL/AOT
#            warning), E2E tests against the published binary. Last line: "N passed, M failed".
#   publish  Native AOT publish to artifacts/llm-proxy (llm-proxy.exe on Windows; one self-contained executable).
#   run      publish if needed, then start the proxy (stub provider on 127.0.0.1:8000 unless configured otherwise).
#   dev      run from source under `dotnet watch` (hot reload), reading ./.env when present.
#   image-smoke  Linux, root: run the binary in a distroless base-debian13 root file system (docker/rootfs-smoke.sh).
#   bench    delegates to `bash ./build.sh bench` (the load tools it drives are Linux tools).
# Extra arguments after `run`/`dev` go to llm-proxy (e.g. ./build.ps1 run --port 9000).
# LLMPROXY_ARTIFACTS moves the output directory (default ./artifacts), as in build.sh.
# Without PowerShell installed: `dotnet tool restore; dotnet pwsh ./build.ps1 <verb>` (the repo pins PowerShell 7.6.9
# as a local .NET tool in .config/dotnet-tools.json).
#
# No param() block on purpose: PowerShell would parse proxy flags such as `--port` or `-x` as its own parameters;
# $args passes them through untouched.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false

$Root = $PSScriptRoot
Set-Location $Root
$Artifacts = if ($env:LLMPROXY_ARTIFACTS) { [IO.Path]::GetFullPath($env:LLMPROXY_ARTIFACTS, $Root) } else { Join-Path $Root 'artifacts' }
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'
$env:DOTNET_GENERATE_ASPNET_CERTIFICATE = 'false'

function Write-Step([string]$Message) { [Console]::Error.WriteLine("`n==> $Message") }
function Stop-Build([string]$Message) { [Console]::Error.WriteLine("build.ps1: $Message"); exit 1 }

function Get-Rid {
    $arch = switch ([Runtime.InteropServices.RuntimeInformation]::OSArchitecture) {
        'X64' { 'x64' }
        'Arm64' { 'arm64' }
        default { Stop-Build "unsupported architecture $_" }
    }
    if ($IsWindows) { return "win-$arch" }
    if ($IsMacOS) { return "osx-$arch" }
    return "linux-$arch"
}

$BinaryName = if ($IsWindows) { 'llm-proxy.exe' } else { 'llm-proxy' }
$Binary = Join-Path $Artifacts $BinaryName

function Assert-Dotnet {
    if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { Stop-Build 'the .NET 10 SDK is required (dotnet not on PATH)' }
    $version = (& dotnet --version 2>$null)
    $major = 0
    if (-not $version -or -not [int]::TryParse(($version -split '\.')[0], [ref]$major) -or $major -lt 10) {
        Stop-Build "the .NET 10 SDK is required (found $(if ($version) { $version } else { 'none' }))"
    }
}

function Test-Root { return (-not $IsWindows) -and ((& id -u) -eq '0') }

# Native AOT links with the platform toolchain (https://aka.ms/nativeaot-prerequisites): clang and zlib's headers on
# Linux (installed with apt-get when run as root, as build.sh does), the Visual Studio C++ tools on Windows, Xcode on macOS.
function Assert-AotPrerequisites {
    if (-not $IsLinux) { return }
    if ((Get-Command clang -ErrorAction SilentlyContinue) -and (Test-Path /usr/include/zlib.h)) { return }
    if ((Test-Root) -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Step 'installing Native AOT prerequisites (clang, zlib1g-dev)'
        & apt-get update -qq | Out-Null
        $env:DEBIAN_FRONTEND = 'noninteractive'
        & apt-get install -y -qq clang zlib1g-dev | Out-Null
        if ($LASTEXITCODE -ne 0) { Stop-Build 'apt-get install clang zlib1g-dev failed' }
    }
    else {
        Stop-Build 'Native AOT needs clang and zlib1g-dev: sudo apt-get install clang zlib1g-dev'
    }
}

# Debian packages the E2E layer uses (promtool validates a real /metrics scrape), as ensure_apt_package in build.sh.
function Assert-AptPackage([string]$Command, [string]$Package) {
    if (-not $IsLinux -or (Get-Command $Command -ErrorAction SilentlyContinue)) { return }
    if ((Test-Root) -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Step "installing $Package"
        & apt-get update -qq | Out-Null
        $env:DEBIAN_FRONTEND = 'noninteractive'
        & apt-get install -y -qq $Package | Out-Null
        if ($LASTEXITCODE -ne 0) { Stop-Build "apt-get install $Package failed" }
    }
    else {
        Stop-Build "$Command is required: sudo apt-get install $Package"
    }
}

function Invoke-Publish {
    Assert-Dotnet
    Assert-AotPrerequisites
    $rid = Get-Rid
    $out = Join-Path $Artifacts 'publish'
    $logFile = Join-Path $Artifacts 'publish.log'
    New-Item -ItemType Directory -Force -Path $Artifacts | Out-Null
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    Write-Step "AOT publish ($rid)"
    & dotnet publish src/LlmProxy/LlmProxy.csproj -c Release -r $rid -o $out -nologo *> $logFile
    if ($LASTEXITCODE -ne 0) {
        Get-Content $logFile | ForEach-Object { [Console]::Error.WriteLine($_) }
        return $false
    }
    # Zero trim/AOT warnings is a rule, not a wish: any IL/AOT warning fails the publish.
    $warnings = @(Select-String -Path $logFile -Pattern 'warning (IL[0-9]+|AOT)' | ForEach-Object { $_.Line } | Sort-Object -Unique)
    if ($warnings.Count -gt 0) {
        $warnings | ForEach-Object { [Console]::Error.WriteLine($_) }
        [Console]::Error.WriteLine('build.ps1: the AOT publish produced trim/AOT warnings')
        return $false
    }
    Copy-Item -Force (Join-Path $out $BinaryName) $Binary
    # Copy-Item keeps the old time of an incremental publish; `run` compares this time with the sources.
    (Get-Item $Binary).LastWriteTimeUtc = [DateTime]::UtcNow
    if (-not $IsWindows) { & chmod 0755 $Binary }
    $symbols = Join-Path $Artifacts 'symbols'
    New-Item -ItemType Directory -Force -Path $symbols | Out-Null
    Get-ChildItem $out -Filter 'llm-proxy.*' | Where-Object { $_.Extension -in '.dbg', '.pdb', '.dSYM' } |
        ForEach-Object { Move-Item -Force $_.FullName (Join-Path $symbols $_.Name) }
    Remove-Item -Recurse -Force $out
    $sizeMb = [math]::Round((Get-Item $Binary).Length / 1MB, 1)
    Write-Step "published $Binary ($sizeMb MB)"
    return $true
}

function Test-NeedsPublish {
    if (-not (Test-Path $Binary)) { return $true }
    $stamp = (Get-Item $Binary).LastWriteTimeUtc
    # Sources only: bin/ and obj/ change on every build and would force a publish each time.
    $inputs = @(Get-ChildItem -Recurse -File src | Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }) +
        @(Get-Item Directory.Build.props, Directory.Packages.props)
    return [bool]($inputs | Where-Object { $_.LastWriteTimeUtc -gt $stamp } | Select-Object -First 1)
}

# --- test ------------------------------------------------------------------------------------------------------
$script:Passed = 0
$script:Failed = 0
$Results = Join-Path $Artifacts 'test-results'

# A build step that counts as one failure when it fails.
function Invoke-Gate([string]$Name, [scriptblock]$Step) {
    Write-Step $Name
    $ok = & $Step
    if ($ok -is [array]) { $ok = $ok[-1] }
    if ($ok) { return $true }
    [Console]::Error.WriteLine("build.ps1: FAILED: $Name")
    $script:Failed++
    return $false
}

function Invoke-Native([string]$Command, [string[]]$Arguments) {
    & $Command @Arguments | Out-Host
    return ($LASTEXITCODE -eq 0)
}

# Adds the counters of every .trx under the directory; tests that never ran (crashed host) count as failed.
function Add-TrxCounts([string]$Directory) {
    foreach ($file in Get-ChildItem $Directory -Filter '*.trx' -ErrorAction SilentlyContinue) {
        $counters = ([xml](Get-Content -Raw $file.FullName)).TestRun.ResultSummary.Counters
        $script:Passed += [int]$counters.passed
        $script:Failed += [int]$counters.total - [int]$counters.passed
    }
}

function Invoke-Tests([string]$Name, [string]$Project) {
    $dir = Join-Path $Results $Name
    if (Test-Path $dir) { Remove-Item -Recurse -Force $dir }
    Write-Step "$Name tests"
    & dotnet test $Project -c Release --no-build --logger trx --logger 'console;verbosity=minimal' --results-directory $dir | Out-Host
    $rc = $LASTEXITCODE
    if (-not (Get-ChildItem $dir -Filter '*.trx' -ErrorAction SilentlyContinue)) {
        [Console]::Error.WriteLine("build.ps1: $Name tests produced no results")
        $script:Failed++
        return
    }
    Add-TrxCounts $dir
    if ($rc -ne 0) { [Console]::Error.WriteLine("build.ps1: $Name tests failed") }
}

# No Docker engine here: run the published binary in a root file system built from the image base's own packages
# (docker/rootfs-smoke.sh says what it checks). Linux and root only.
function Invoke-ImageSmoke {
    if (-not (Test-Path $Binary)) { [Console]::Error.WriteLine('build.ps1: no published binary'); return $false }
    Assert-AptPackage openssl openssl
    Assert-AptPackage ip iproute2
    Assert-AptPackage unshare util-linux
    return (Invoke-Native bash @('docker/rootfs-smoke.sh', $Binary))
}

function Complete-Tests {
    Write-Output ''
    Write-Output "$($script:Passed) passed, $($script:Failed) failed"
    exit ([int]($script:Failed -ne 0))
}

function Invoke-TestAll {
    Assert-Dotnet
    New-Item -ItemType Directory -Force -Path $Results | Out-Null
    if (-not (Invoke-Gate 'restore' { Invoke-Native dotnet @('restore', 'LlmProxy.sln', '-nologo', '-v', 'q') })) { Complete-Tests }
    $null = Invoke-Gate 'format check (dotnet format --verify-no-changes)' { Invoke-Native dotnet @('format', 'LlmProxy.sln', '--verify-no-changes', '--no-restore', '-v', 'q') }
    if (Invoke-Gate 'build (warnings are errors)' { Invoke-Native dotnet @('build', 'LlmProxy.sln', '-c', 'Release', '--no-restore', '-nologo', '-v', 'q') }) {
        Invoke-Tests 'unit+testhost' tests/LlmProxy.Tests/LlmProxy.Tests.csproj
    }
    if (Invoke-Gate 'AOT publish (zero IL/AOT warnings)' { Invoke-Publish }) {
        Assert-AptPackage promtool prometheus
        $env:LLMPROXY_BINARY = $Binary
        Invoke-Tests 'e2e' tests/LlmProxy.E2E/LlmProxy.E2E.csproj
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

# --- verbs -----------------------------------------------------------------------------------------------------
$Verb = if ($args.Count -gt 0) { [string]$args[0] } else { '' }
[string[]]$Rest = @($args | Select-Object -Skip 1)

switch ($Verb) {
    'test' { Invoke-TestAll }
    'publish' { if (Invoke-Publish) { exit 0 } else { exit 1 } }
    'run' {
        if (Test-NeedsPublish) { if (-not (Invoke-Publish)) { exit 1 } }
        & $Binary @Rest
        exit $LASTEXITCODE
    }
    'dev' {
        Assert-Dotnet
        $envFile = if (Test-Path .env) { @('--env-file', (Join-Path $Root '.env')) } else { @() }
        & dotnet watch --project src/LlmProxy/LlmProxy.csproj run -- @envFile @Rest
        exit $LASTEXITCODE
    }
    'image-smoke' {
        if (-not $IsLinux) { Stop-Build 'image-smoke builds a Linux root file system: run it on Linux' }
        if (Test-NeedsPublish) { if (-not (Invoke-Publish)) { exit 1 } }
        if (Invoke-ImageSmoke) { exit 0 } else { exit 1 }
    }
    'bench' {
        if (-not (Get-Command bash -ErrorAction SilentlyContinue)) { Stop-Build 'bench needs bash (it drives Linux load tools); run ./build.sh bench' }
        & bash ./build.sh bench @Rest
        exit $LASTEXITCODE
    }
    default {
        [Console]::Error.WriteLine('usage: ./build.ps1 {test|publish|run|dev|image-smoke|bench} [args]')
        exit 64
    }
}

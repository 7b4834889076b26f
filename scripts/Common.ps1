# Shared by build.ps1 and the scripts/*.ps1 it dot-sources (never run on its own): where things are, logging, the
# .NET and Native AOT prerequisites, and Assert-AptPackage, the one way a step asks for a Debian package.
# The same helpers for bash are in scripts/lib.sh.
Set-StrictMode -Version 3.0

$Root = Split-Path -Parent $PSScriptRoot
# LLMPROXY_ARTIFACTS moves the output directory (default ./artifacts), as in build.sh.
$Artifacts = if ($env:LLMPROXY_ARTIFACTS) { [IO.Path]::GetFullPath($env:LLMPROXY_ARTIFACTS, $Root) } else { Join-Path $Root 'artifacts' }
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'
$env:DOTNET_GENERATE_ASPNET_CERTIFICATE = 'false'

function Write-Step([string]$Message) { [Console]::Error.WriteLine("`n==> $Message") }
function Write-Problem([string]$Message) { [Console]::Error.WriteLine("build.ps1: $Message") }
function Stop-Build([string]$Message) { Write-Problem $Message; exit 1 }

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

# Assert-AptPackage WHAT PACKAGE (Linux only; elsewhere a no-op): WHAT is a command or an absolute file path the
# package provides. Installs PACKAGE with apt-get when WHAT is missing and we are root; otherwise says what to install.
# Returns $true or $false; the caller decides whether a missing package is fatal.
function Assert-AptPackage([string]$What, [string]$Package) {
    if (-not $IsLinux) { return $true }
    $present = if ($What.StartsWith('/')) { Test-Path $What } else { [bool](Get-Command $What -ErrorAction SilentlyContinue) }
    if ($present) { return $true }
    if (-not ((Test-Root) -and (Get-Command apt-get -ErrorAction SilentlyContinue))) {
        Write-Problem "$What is required: sudo apt-get install $Package"
        return $false
    }
    Write-Step "installing $Package"
    if (-not $script:AptUpdated) { & apt-get update -qq | Out-Null; $script:AptUpdated = $true }
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get install -y -qq $Package | Out-Null
    if ($LASTEXITCODE -ne 0) { Write-Problem "apt-get install $Package failed"; return $false }
    return $true
}
$script:AptUpdated = $false

# Native AOT links with the platform toolchain (https://aka.ms/nativeaot-prerequisites): clang and zlib's headers on
# Linux, the Visual Studio C++ tools on Windows, Xcode on macOS.
function Assert-AotPrerequisites {
    if (-not $IsLinux) { return }
    if (-not ((Assert-AptPackage clang clang) -and (Assert-AptPackage /usr/include/zlib.h zlib1g-dev))) {
        Stop-Build 'Native AOT needs clang and zlib1g-dev: sudo apt-get install clang zlib1g-dev'
    }
}

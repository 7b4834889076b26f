#!/usr/bin/env pwsh
# llm-proxy build script for PowerShell 7 (Windows, Linux, macOS): the same verbs and behaviour as build.sh.
#   test     format check, build (warnings are errors), unit + TestHost tests, AOT publish (fails on any IL/AOT
#            warning), E2E and npm interop tests against the published binary. Last line: "N passed, M failed".
#   publish  Native AOT publish to artifacts/llm-proxy (llm-proxy.exe on Windows; one self-contained executable).
#   run      publish if needed, then start the proxy (stub provider on 127.0.0.1:8000 unless configured otherwise).
#   dev      run from source under `dotnet watch` (hot reload), reading ./.env when present.
#   image-smoke  Linux, root: run the binary in a distroless base-debian13 root file system (docker/rootfs-smoke.sh).
#   bench    delegates to `bash ./build.sh bench` (the load tools it drives are Linux tools).
#   openapi  regenerate src/LlmProxy/Operations/Docs/openapi.json from the routes (the unit tests fail while it is stale).
# Extra arguments after `run`/`dev` go to llm-proxy (e.g. ./build.ps1 run --port 9000).
# LLMPROXY_ARTIFACTS moves the output directory (default ./artifacts), as in build.sh.
# The steps live in scripts/*.ps1 (Common: paths and prerequisites; Publish: AOT publish and image smoke; Tally,
# Suites, Tests: the test verb). Without PowerShell installed: `dotnet tool restore; dotnet pwsh ./build.ps1 <verb>` (the
# repo pins PowerShell 7.6.9 as a local .NET tool in .config/dotnet-tools.json).
#
# No param() block on purpose: PowerShell would parse proxy flags such as `--port` or `-x` as its own parameters;
# $args passes them through untouched.
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false

. (Join-Path $PSScriptRoot 'scripts/Common.ps1')
. (Join-Path $PSScriptRoot 'scripts/Publish.ps1')
. (Join-Path $PSScriptRoot 'scripts/Tally.ps1')
. (Join-Path $PSScriptRoot 'scripts/Suites.ps1')
. (Join-Path $PSScriptRoot 'scripts/Tests.ps1')
Set-Location $Root

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
    'openapi' {
        Assert-Dotnet
        $env:LLMPROXY_UPDATE_OPENAPI = '1'
        & dotnet test tests/LlmProxy.Tests/LlmProxy.Tests.csproj -c Release -nologo --filter 'FullyQualifiedName~OpenApiDocumentTests'
        exit $LASTEXITCODE
    }
    default {
        [Console]::Error.WriteLine('usage: ./build.ps1 {test|publish|run|dev|image-smoke|bench|openapi} [args]')
        exit 64
    }
}

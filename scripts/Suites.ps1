# Test suites for `build.ps1 test` (dot-sourced after Tally.ps1): .NET test projects counted from their TRX files and
# node:test suites counted from their TAP summary, as dotnet_tests and npm_suite in scripts/steps.sh.

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
    if (-not (Get-ChildItem $dir -Filter '*.trx' -ErrorAction SilentlyContinue)) { Add-Failure "$Name tests produced no results"; return }
    Add-TrxCounts $dir
    if ($rc -ne 0) { Write-Problem "$Name tests failed" }
}

# The summary node's test runner prints at the end of TAP output ("# pass N", "# fail N", "# cancelled N");
# cancelled tests count as failed. $null when the summary is missing.
function Get-TapCounts([string]$File) {
    $lines = Get-Content $File
    $pick = { param($word) $lines | Where-Object { $_ -match "^# $word (\d+)$" } | ForEach-Object { [int]($_ -replace '\D', '') } | Select-Object -Last 1 }
    $pass = & $pick 'pass'
    $fail = & $pick 'fail'
    $cancelled = & $pick 'cancelled'
    if ($null -eq $pass -or $null -eq $fail) { return $null }
    return @{ Passed = $pass; Failed = $fail + [int]$cancelled }
}

# A node:test suite (e.g. an official SDK against the published binary, found through LLMPROXY_BINARY): npm ci once
# per directory per run, then `node --test` with the TAP reporter; the TAP summary joins the tally.
$script:NpmReady = @{}
function Invoke-NpmSuite([string]$Name, [string]$Directory, [string[]]$TestFiles) {
    Write-Step "$Name tests"
    if (-not ((Assert-AptPackage node nodejs) -and (Assert-AptPackage npm npm))) { Add-Failure "${Name}: node and npm are required"; return }
    $dir = Join-Path $Root $Directory
    if (-not $script:NpmReady.ContainsKey($dir)) {
        Push-Location $dir
        try { & npm ci --no-audit --no-fund --loglevel=error | Out-Host } finally { Pop-Location }
        if ($LASTEXITCODE -ne 0) { Add-Failure "npm ci failed in $Directory"; return }
        $script:NpmReady[$dir] = $true
    }
    New-Item -ItemType Directory -Force -Path $Results | Out-Null
    $out = Join-Path $Results "$($Name -replace ' ', '-').tap"
    Push-Location $dir
    try { & node --test --test-reporter=tap @TestFiles *> $out } finally { Pop-Location }
    $rc = $LASTEXITCODE
    Get-Content $out | Out-Host
    $counts = Get-TapCounts $out
    if ($null -eq $counts) { Add-Failure "$Name tests produced no results"; return }
    $script:Passed += $counts.Passed
    $script:Failed += $counts.Failed
    # A runner that fails without a failing test (a crash after the summary, a bad file name) is one failure more.
    if ($rc -ne 0 -and $counts.Failed -eq 0) { Add-Failure "${Name}: the runner failed (exit $rc) without a failing test" }
}

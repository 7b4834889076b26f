# Native AOT publish of llm-proxy for build.ps1 (dot-sourced after Common.ps1), as scripts/publish-aot.sh does for
# build.sh: one executable in $Artifacts, symbols in $Artifacts/symbols, and any IL/AOT warning fails the publish.

function Invoke-Publish {
    Assert-Dotnet
    Assert-AotPrerequisites
    $rid = Get-Rid
    $out = Join-Path $Artifacts '.publish-llm-proxy'
    $logFile = Join-Path $Artifacts 'llm-proxy.publish.log'
    New-Item -ItemType Directory -Force -Path $Artifacts | Out-Null
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    Write-Step "AOT publish of llm-proxy ($rid)"
    & dotnet publish src/LlmProxy/LlmProxy.csproj -c Release -r $rid -o $out -nologo *> $logFile
    if ($LASTEXITCODE -ne 0) {
        Get-Content $logFile | ForEach-Object { [Console]::Error.WriteLine($_) }
        return $false
    }
    # Zero trim/AOT warnings is a rule, not a wish: any IL/AOT warning fails the publish.
    $warnings = @(Select-String -Path $logFile -Pattern 'warning (IL[0-9]+|AOT)' | ForEach-Object { $_.Line } | Sort-Object -Unique)
    if ($warnings.Count -gt 0) {
        $warnings | ForEach-Object { [Console]::Error.WriteLine($_) }
        Write-Problem 'the AOT publish produced trim/AOT warnings'
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
    $inputs = @(Get-ChildItem -Recurse -File src/LlmProxy | Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }) +
        @(Get-Item Directory.Build.props, Directory.Packages.props)
    return [bool]($inputs | Where-Object { $_.LastWriteTimeUtc -gt $stamp } | Select-Object -First 1)
}

# No Docker engine here: run the published binary in a root file system built from the image base's own packages
# (docker/rootfs-smoke.sh says what it checks). Linux and root only.
function Invoke-ImageSmoke {
    if (-not (Test-Path $Binary)) { Write-Problem 'no published binary'; return $false }
    if (-not ((Assert-AptPackage openssl openssl) -and (Assert-AptPackage ip iproute2) -and (Assert-AptPackage unshare util-linux))) { return $false }
    & bash docker/rootfs-smoke.sh $Binary | Out-Host
    return ($LASTEXITCODE -eq 0)
}

# The tally of `build.ps1 test` (dot-sourced after Common.ps1), as scripts/steps.sh is for build.sh: every step adds
# to Passed and Failed; Complete-Tests prints "N passed, M failed" and exits 1 when M > 0. A step that cannot
# produce results counts as a failure, never as nothing.
$script:Passed = 0
$script:Failed = 0
$Results = Join-Path $Artifacts 'test-results'

function Add-Failure([string]$Message) { Write-Problem $Message; $script:Failed++ }

# A build step that counts as one failure when it fails.
function Invoke-Gate([string]$Name, [scriptblock]$Step) {
    Write-Step $Name
    $ok = & $Step
    if ($ok -is [array]) { $ok = $ok[-1] }
    if ($ok) { return $true }
    Add-Failure "FAILED: $Name"
    return $false
}

function Invoke-Native([string]$Command, [string[]]$Arguments) {
    & $Command @Arguments | Out-Host
    return ($LASTEXITCODE -eq 0)
}

function Complete-Tests {
    Write-Output ''
    Write-Output "$($script:Passed) passed, $($script:Failed) failed"
    exit ([int]($script:Failed -ne 0))
}

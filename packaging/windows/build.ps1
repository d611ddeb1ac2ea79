# Build the Conv Explorer bundle and its NSIS installer on Windows (x64).
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
# Needs Python 3.10+ on PATH and NSIS (choco install nsis -y); creates .venv if missing.
# Output: packaging\dist\conv-explorer\ (the bundle) and
#         packaging\dist\conv-explorer-VERSION-windows-x64-setup.exe
# UNTESTED here: written next to the Linux build, which is the one verified.
$ErrorActionPreference = "Stop"
$root = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $root
if (-not (Test-Path ".venv\Scripts\python.exe")) { python -m venv .venv }
$py = "$root\.venv\Scripts\python.exe"
# CPU-only torch: the default index serves the CPU build on Windows.
& $py -m pip install --disable-pip-version-check -q "torch==2.13.0"
& $py -m pip install --disable-pip-version-check -q -e . "pyinstaller>=6.11"
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }
$version = (Select-String -Path pyproject.toml -Pattern '^version\s*=\s*"([^"]+)"').Matches[0].Groups[1].Value

& $py -m PyInstaller --noconfirm --log-level WARN --distpath packaging\dist --workpath packaging\build packaging\conv-explorer.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# The same checks as on Linux: every module imports, then a headless screenshot.
$env:CONV_EXPLORER_BUNDLE_CHECK = "1"
& packaging\dist\conv-explorer\conv-explorer-cli.exe
if ($LASTEXITCODE -ne 0) { throw "bundle check failed" }
Remove-Item Env:\CONV_EXPLORER_BUNDLE_CHECK
$env:QT_QPA_PLATFORM = "offscreen"
& packaging\dist\conv-explorer\conv-explorer-cli.exe --screenshot packaging\dist\smoke.png
if ($LASTEXITCODE -ne 0 -or -not (Test-Path packaging\dist\smoke.png)) { throw "smoke test failed" }
Remove-Item Env:\QT_QPA_PLATFORM

$makensis = (Get-Command makensis -ErrorAction SilentlyContinue).Source
if (-not $makensis) { $makensis = "${env:ProgramFiles(x86)}\NSIS\makensis.exe" }
& $makensis /V2 "/DVERSION=$version" "/DSRCDIR=$root\packaging\dist\conv-explorer" `
  "/DOUTFILE=$root\packaging\dist\conv-explorer-$version-windows-x64-setup.exe" `
  packaging\windows\conv-explorer.nsi
if ($LASTEXITCODE -ne 0) { throw "makensis failed" }
Get-ChildItem packaging\dist\*.exe

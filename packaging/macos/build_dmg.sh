#!/usr/bin/env bash
# Build "Conv Explorer.app" and a .dmg on macOS (Apple silicon; torch has no Intel-mac wheels
# after 2.2).
#   packaging/macos/build_dmg.sh
# Output: packaging/dist/Conv Explorer.app and packaging/dist/conv-explorer-VERSION-macos-arm64.dmg
# Needs Python 3.10+ (python3 on PATH); creates .venv if missing. Uses `create-dmg`
# (brew install create-dmg) when present for a window with an Applications link, else hdiutil.
# Signing: ad hoc by default (runs on the machine that built it, and elsewhere after
# right-click > Open). For distribution set CONV_EXPLORER_CODESIGN_IDENTITY="Developer ID
# Application: ..." and, to notarize, NOTARY_PROFILE (a `xcrun notarytool store-credentials`
# profile).
# UNTESTED here: written next to the Linux build, which is the one verified.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ "$(uname -s)" = Darwin ] || { echo "build_dmg.sh: run me on macOS" >&2; exit 1; }
[ -x .venv/bin/python ] || python3 -m venv .venv
PY=.venv/bin/python
"$PY" -m pip install --disable-pip-version-check -q "torch==2.13.0"
"$PY" -m pip install --disable-pip-version-check -q -e . "pyinstaller>=6.11"
version=$(sed -nE 's/^version *= *"([^"]+)"/\1/p' pyproject.toml | head -1)
arch=$(uname -m)
app="packaging/dist/Conv Explorer.app"

"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath packaging/dist \
  --workpath packaging/build packaging/conv-explorer.spec
exe="$app/Contents/MacOS/conv-explorer"

# The same checks as on Linux: every module imports, then a headless screenshot.
CONV_EXPLORER_BUNDLE_CHECK=1 "$exe"
QT_QPA_PLATFORM=offscreen "$exe" --screenshot packaging/dist/smoke-macos.png
test -s packaging/dist/smoke-macos.png

identity=${CONV_EXPLORER_CODESIGN_IDENTITY:--}
if [ "$identity" = "-" ]; then
  codesign --force --deep -s - "$app"
else
  # Notarization needs the hardened runtime; the entitlements let it load the bundled,
  # separately signed libraries (torch, Qt) and let torch map executable memory.
  codesign --force --deep --timestamp --options runtime \
    --entitlements packaging/macos/entitlements.plist -s "$identity" "$app"
fi
codesign --verify --deep --strict "$app"

dmg="packaging/dist/conv-explorer-$version-macos-$arch.dmg"
rm -f "$dmg"
if command -v create-dmg >/dev/null; then
  create-dmg --volname "Conv Explorer $version" \
    --volicon assets/icon/conv-explorer.icns \
    --window-size 540 360 --icon-size 96 \
    --icon "Conv Explorer.app" 140 170 --app-drop-link 400 170 \
    "$dmg" "$app"
else
  stage=packaging/build/dmg
  rm -rf "$stage" && mkdir -p "$stage"
  cp -R "$app" "$stage/"
  ln -s /Applications "$stage/Applications"
  hdiutil create -volname "Conv Explorer $version" -srcfolder "$stage" -ov -format UDZO "$dmg"
fi
if [ "$identity" != "-" ]; then
  codesign -s "$identity" "$dmg"
  if [ -n "${NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
  fi
fi
ls -lh "$dmg"

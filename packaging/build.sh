#!/usr/bin/env bash
# Build the Conv Explorer desktop bundle, and on Linux its .tar.gz and .deb.
#
#   packaging/build.sh               everything, into packaging/dist/:
#       conv-explorer/                          the one-folder bundle (run conv-explorer in it)
#       conv-explorer-VERSION-linux-x86_64.tar.gz   bundle + .desktop + icons + install.sh
#       conv-explorer_VERSION_amd64.deb         installs /opt/conv-explorer, /usr/bin/conv-explorer,
#                                               a menu entry and icons
#       build-info.txt                          version, glibc needed, Depends, sizes, timings
#   packaging/build.sh --no-bundle   keep packaging/dist/conv-explorer, redo the tarball and .deb
#
# Needs the project's virtual environment (./dev.sh sets it up; VENV=... to use another),
# PyInstaller (installed into it if missing), and on Linux objdump, dpkg-deb and zstd.
# Windows and macOS: see packaging/windows/ and packaging/macos/ (same spec file).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
dist=packaging/dist
work=packaging/build
bundle="$dist/conv-explorer"
build_bundle=1
case "${1:-}" in
  "") ;;
  --no-bundle) build_bundle=0 ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac

log() { printf '[build %(%H:%M:%S)T] %s\n' -1 "$*"; }
mib() { du -sb "$1" | awk '{printf "%.0f MiB", $1 / 1048576}'; }
[ -x "$PY" ] || { echo "build.sh: no $PY; run ./dev.sh run (or set VENV) first" >&2; exit 1; }

version=$("$PY" - <<'EOF'
import re
text = open("pyproject.toml", encoding="utf-8").read()
print(re.search(r'(?m)^version\s*=\s*"([^"]+)"', text).group(1))
EOF
)
# PEP 440 -> Debian: pre-releases sort before the release (0.2.0rc1 -> 0.2.0~rc1).
deb_version=$(printf '%s' "$version" | sed -E 's/[.]?(a|b|rc|dev)([0-9]*)/~\1\2/g')
info="$dist/build-info.txt"
log "Conv Explorer $version"

if [ "$build_bundle" = 1 ]; then
  "$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install -q "pyinstaller>=6.11"
  t0=$SECONDS
  log "PyInstaller (a few minutes)"
  "$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$dist" --workpath "$work" \
    packaging/conv-explorer.spec
  bundle_s=$((SECONDS - t0))
  log "bundle built in ${bundle_s}s: $(mib "$bundle")"
  if [ "$(uname -s)" = Linux ]; then
    # torch ships its libraries with their symbol tables (~90 MB); the dynamic symbols stay.
    before=$(mib "$bundle")
    find "$bundle/_internal/torch/lib" -name '*.so*' -type f -exec strip --strip-unneeded {} +
    log "stripped torch/lib: $before -> $(mib "$bundle")"
  fi
else
  bundle_s=$(sed -n 's/^bundle_seconds=//p' "$info" 2>/dev/null || true)
fi
[ -x "$bundle/conv-explorer" ] || { echo "build.sh: no bundle at $bundle" >&2; exit 1; }
printf 'version=%s\nbundle_seconds=%s\n' "$version" "${bundle_s:-}" > "$info"

log "checking the bundle imports every app module and finds its assets"
CONV_EXPLORER_BUNDLE_CHECK=1 QT_QPA_PLATFORM=offscreen "$bundle/conv-explorer"
printf 'bundle_bytes=%s\n' "$(du -sb "$bundle" | cut -f1)" >> "$info"
log "checking it starts, paints the default scene and exits 0 (--screenshot, offscreen)"
rm -f "$dist/smoke.png"
QT_QPA_PLATFORM=offscreen "$bundle/conv-explorer" --screenshot "$dist/smoke.png"
[ -s "$dist/smoke.png" ] || { echo "build.sh: no screenshot written" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || { log "not Linux: no tarball or .deb"; exit 0; }

log "system requirements from the bundle's ELF files"
"$PY" packaging/elfdeps.py "$bundle" > "$work/elfdeps.txt" || true
cat "$work/elfdeps.txt"
glibc=$(sed -n 's/^glibc=//p' "$work/elfdeps.txt")
depends=$(sed -n 's/^depends=//p' "$work/elfdeps.txt")
recommends=$(sed -n 's/^recommends=//p' "$work/elfdeps.txt")
if grep -q '^# UNKNOWN' "$work/elfdeps.txt"; then
  echo "build.sh: the bundle needs system libraries with no known package (above);" \
    "add them to KNOWN_PACKAGES in packaging/elfdeps.py" >&2
  exit 1
fi
printf 'glibc=%s\ndepends=%s\nrecommends=%s\n' "$glibc" "$depends" "$recommends" >> "$info"
sed -n 's/^runs_on=/runs_on=/p' "$work/elfdeps.txt" >> "$info"

# Icons in freedesktop layout, for both packages.
stage_icons() {  # stage_icons DEST  (DEST/hicolor/NxN/apps/conv-explorer.png)
  local s
  for s in 16 24 32 48 64 128 256 512; do
    install -Dm644 "assets/icon/conv-explorer-$s.png" "$1/hicolor/${s}x${s}/apps/conv-explorer.png"
  done
  install -Dm644 assets/icon/icon.svg "$1/hicolor/scalable/apps/conv-explorer.svg"
}

# --- .tar.gz ------------------------------------------------------------------------
t0=$SECONDS
name="conv-explorer-$version-linux-$(uname -m)"
rm -rf "$work/tar"
mkdir -p "$work/tar/$name"
cp -al "$bundle/." "$work/tar/$name/"   # hard links: no copy of 700 MB
install -m644 packaging/conv-explorer.desktop "$work/tar/$name/"
install -m755 packaging/linux/install.sh "$work/tar/$name/"
sed -e "s/@VERSION@/$version/g" -e "s/@GLIBC@/$glibc/g" packaging/linux/INSTALL.txt \
  > "$work/tar/$name/INSTALL.txt"
stage_icons "$work/tar/$name/icons"
tarball="$dist/$name.tar.gz"
tar -C "$work/tar" --owner=0 --group=0 --numeric-owner -cf - "$name" | gzip -6 > "$tarball"
log "tarball in $((SECONDS - t0))s: $tarball ($(mib "$tarball"))"
printf 'tarball=%s\ntarball_bytes=%s\ntarball_seconds=%s\n' \
  "$(basename "$tarball")" "$(stat -c %s "$tarball")" "$((SECONDS - t0))" >> "$info"

# --- .deb ---------------------------------------------------------------------------
t0=$SECONDS
arch=$(dpkg --print-architecture)
deb_root="$work/deb/root"
rm -rf "$work/deb"
mkdir -p "$deb_root/opt/conv-explorer" "$deb_root/DEBIAN"
cp -al "$bundle/." "$deb_root/opt/conv-explorer/"
install -Dm755 packaging/deb/conv-explorer "$deb_root/usr/bin/conv-explorer"
install -Dm644 packaging/conv-explorer.desktop \
  "$deb_root/usr/share/applications/conv-explorer.desktop"
stage_icons "$deb_root/usr/share/icons"
install -Dm644 packaging/deb/copyright "$deb_root/usr/share/doc/conv-explorer/copyright"
installed_kib=$(du -sk --exclude=DEBIAN "$deb_root" | cut -f1)
sed -e "s/@VERSION@/$deb_version/" -e "s/@ARCH@/$arch/" \
  -e "s/@INSTALLED_SIZE@/$installed_kib/" -e "s/@DEPENDS@/$depends/" \
  -e "s/@RECOMMENDS@/$recommends/" -e '/^Recommends: *$/d' \
  packaging/deb/control.in > "$deb_root/DEBIAN/control"
chmod -R u+rwX,go+rX,go-w "$deb_root"
deb="$dist/conv-explorer_${deb_version}_$arch.deb"
# zstd: seconds; gzip takes ~100 s and xz ~200 s for the same bundle. dpkg reads zstd
# since 1.21.18 (Debian 12, Ubuntu 21.10), the same systems whose glibc the bundle needs.
dpkg-deb --root-owner-group -Zzstd --build "$deb_root" "$deb" >/dev/null
log "deb in $((SECONDS - t0))s: $deb ($(mib "$deb"))"
printf 'deb=%s\ndeb_bytes=%s\ndeb_seconds=%s\n' \
  "$(basename "$deb")" "$(stat -c %s "$deb")" "$((SECONDS - t0))" >> "$info"
log "done: $(tr '\n' ' ' < "$info")"

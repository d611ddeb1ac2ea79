#!/bin/sh
# Install the unpacked Conv Explorer folder for the current user (no root, no Python needed):
#   ./install.sh              copy it to ~/.local/lib/conv-explorer, add `conv-explorer` to
#                             ~/.local/bin and a menu entry with its icon
#   ./install.sh --uninstall  remove all of that again
# PREFIX=/some/where ./install.sh installs under another prefix instead of ~/.local.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
app="$prefix/lib/conv-explorer"
bin="$prefix/bin/conv-explorer"
desktop="$prefix/share/applications/conv-explorer.desktop"
icons="$prefix/share/icons/hicolor"

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 &&
    update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 &&
    gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$app"
  rm -f "$bin" "$desktop"
  find "$icons" -name 'conv-explorer.*' -path '*/apps/*' -delete 2>/dev/null || true
  refresh
  echo "Conv Explorer removed from $prefix"
  exit 0
fi
if [ $# -gt 0 ]; then
  sed -n '2,6p' "$0" >&2
  exit 2
fi

[ -x "$here/conv-explorer" ] || { echo "install.sh: run me from the unpacked folder" >&2; exit 1; }
mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share/applications"
if [ "$here" != "$app" ]; then
  rm -rf "$app.new"
  mkdir -p "$app.new"
  cp -a "$here/conv-explorer" "$here/_internal" "$app.new/"
  rm -rf "$app"
  mv "$app.new" "$app"
fi
ln -sf "$app/conv-explorer" "$bin"
for dir in "$here"/icons/hicolor/*/apps; do
  size=$(basename "$(dirname "$dir")")
  mkdir -p "$icons/$size/apps"
  cp "$dir"/conv-explorer.* "$icons/$size/apps/"
done
sed -e "s|^Exec=.*|Exec=\"$app/conv-explorer\" %f|" -e "s|^TryExec=.*|TryExec=$app/conv-explorer|" \
  "$here/conv-explorer.desktop" > "$desktop"
refresh
echo "Conv Explorer installed in $app"
echo "Start it from your applications menu, or run: conv-explorer"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "(add $prefix/bin to your PATH to run it by name)";; esac

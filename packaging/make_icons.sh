#!/usr/bin/env bash
# Render assets/icon/icon.svg to the PNG sizes, a Windows .ico and a macOS .icns.
#   packaging/make_icons.sh
# Needs ImageMagick (`convert`); the .icns also needs `png2icns` (Debian: icnsutils). The
# outputs are committed, so a normal build does not need either tool.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/assets/icon"
svg="$dir/icon.svg"
sizes=(16 24 32 48 64 128 256 512)
for s in "${sizes[@]}"; do
  # Render big, then downscale: ImageMagick's SVG renderer antialiases poorly at 16 px.
  convert -background none -density 384 "$svg" -resize "${s}x${s}" \
    -define png:exclude-chunks=date,time "PNG32:$dir/conv-explorer-$s.png"
done
convert "$dir"/conv-explorer-{16,24,32,48,64,128,256}.png "$dir/conv-explorer.ico"
if command -v png2icns >/dev/null; then
  png2icns "$dir/conv-explorer.icns" "$dir"/conv-explorer-{16,32,48,128,256,512}.png >/dev/null
else
  echo "png2icns not found: conv-explorer.icns not rebuilt (apt-get install icnsutils)" >&2
fi
ls -l "$dir"

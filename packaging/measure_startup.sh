#!/usr/bin/env bash
# Start-up time to a painted window: the bundle vs the app run from the virtual environment.
#   packaging/measure_startup.sh        (RUNS=5 by default; needs hyperfine: apt install hyperfine)
# Each run is `conv-explorer --screenshot OUT.png` under Qt's offscreen platform: start, build
# the window, run the default scene, paint, save the PNG, exit. "cold" runs first evict the
# app's own files (bundle folder; or venv site-packages, the Python stdlib and the source)
# from the page cache with packaging/evict_cache.py; "warm" runs follow a warm-up run.
# Writes packaging/dist/startup.json and .md and prints the medians.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PY=${VENV:-.venv}/bin/python
runs=${RUNS:-5}
bundle=packaging/dist/conv-explorer
[ -x "$bundle/conv-explorer" ] || { echo "no bundle: run packaging/build.sh" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export QT_QPA_PLATFORM=offscreen CONV_EXPLORER_NO_SETTINGS=1
stdlib=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
libpy=$("$PY" -c 'import sysconfig, os; print(os.path.join(sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY")))')
site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
run_bundle="$bundle/conv-explorer --screenshot $out/bundle.png"
run_venv="$PY -m explorer --screenshot $out/venv.png"

hyperfine --style basic --runs "$runs" \
  --prepare "$PY packaging/evict_cache.py $bundle" -n "bundle, cold" "$run_bundle" \
  --prepare "$PY packaging/evict_cache.py $site $stdlib $libpy explorer assets" \
  -n "venv, cold" "$run_venv" \
  --export-json "$out/cold.json"
hyperfine --style basic --runs "$runs" --warmup 1 \
  -n "bundle, warm" "$run_bundle" -n "venv, warm" "$run_venv" --export-json "$out/warm.json"

"$PY" - "$out/cold.json" "$out/warm.json" <<'EOF2'
import json, sys
rows = [r for path in sys.argv[1:] for r in json.load(open(path))["results"]]
json.dump(rows, open("packaging/dist/startup.json", "w"), indent=1)
lines = ["| start | median s | min s | max s | CPU s (user+sys, mean) | runs |",
         "|---|---|---|---|---|---|"]
lines += [f"| {r['command']} | {r['median']:.2f} | {r['min']:.2f} | {r['max']:.2f} | "
          f"{r['user'] + r['system']:.2f} | {len(r['times'])} |" for r in rows]
open("packaging/dist/startup.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF2

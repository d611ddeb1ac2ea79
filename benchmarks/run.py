"""Conv Explorer benchmarks: update latency, repaint, start-up, memory, scaling, fit.

::

    python benchmarks/run.py [--quick] [--json OUT.json] [--only latency,repaint,...]

Each benchmark runs in its own subprocess (offscreen Qt, no user settings), so that its
peak RSS is its own; every figure is a median over repeated runs, and every speed figure
is printed with a baseline measured in the same run and the ratio to it. ``--quick`` is a
smoke check of about a minute; the full run takes a few minutes on two cores.
See benchmarks/README.md for what each figure measures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import RESULT_PREFIX, ROOT, bench_env, machine  # noqa: E402
from bench_startup import startup_rows  # noqa: E402

HERE = Path(__file__).resolve().parent
SECTIONS = ("latency", "repaint", "drag", "startup", "scaling", "fit")

#: (repeats, warm-up edits) of the latency runs; (repeats, matplotlib repeats) of repaint;
#: start-ups; scaling rows and their repeats.
PLANS = {
    "quick": {
        "latency": (5, 1),
        "edits": ("pointwise",),
        "repaint": (7, 2),
        "startup": 2,
        "sizes": (512,),
        "channels": (128,),
        "scaling_repeats": 3,
        "fit": (30, 3),
        "drag_seconds": 2,
    },
    "full": {
        "latency": (15, 2),
        "edits": ("pointwise", "seed"),
        "repaint": (25, 5),
        "startup": 5,
        "sizes": (128, 256, 512, 1024),
        "channels": (16, 64, 128, 512),
        "scaling_repeats": 5,
        "fit": (100, 5),
        "drag_seconds": 5,
    },
}
SCALING_CHANNELS = 64  # channels of the image-size rows
SCALING_SIZE = 256  # image size of the channel-count rows

#: The issue's targets.
LATENCY_FACTOR, LATENCY_SLACK_MS = 1.3, 10.0
REPAINT_MS, REPAINT_SPEEDUP = 35.0, 30.0
WINDOW_MS, RESULTS_MS = 1000.0, 3000.0
DRAG_FPS = 30.0
MEMORY_MB = 600.0
FIT_RATIO = 0.8  # training steps/s of a fit against a bare torch loop (issue 12)


def run_script(name: str, *args: str, timeout: float = 900.0) -> dict[str, Any]:
    """Run ``benchmarks/NAME.py ARGS`` in a fresh process; its result line as a dict."""
    cmd = [sys.executable, str(HERE / f"{name}.py"), *args]
    print(f"  … {name} {' '.join(args)}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    proc = subprocess.run(
        cmd, cwd=ROOT, env=bench_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        return {"error": f"{name} exited {proc.returncode}", "output_tail": tail}
    return json.loads(lines[-1][len(RESULT_PREFIX) :])


def latency_target(bare_ms: float) -> float:
    return LATENCY_FACTOR * bare_ms + LATENCY_SLACK_MS


def collect(plan: dict[str, Any], sections: tuple[str, ...]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if "latency" in sections:
        repeats, warmup = plan["latency"]
        for scene in ("default", "heavy"):
            for edit in plan["edits"]:
                results[f"latency_{scene}_{edit}"] = run_script(
                    "bench_latency",
                    "--scene",
                    scene,
                    "--edit",
                    edit,
                    "--repeats",
                    str(repeats),
                    "--warmup",
                    str(warmup),
                )
    if "repaint" in sections:
        repeats, mpl = plan["repaint"]
        results["repaint"] = run_script(
            "bench_repaint", "--repeats", str(repeats), "--mpl-repeats", str(mpl)
        )
    if "drag" in sections:
        for field in ("out_channels", "kernel"):
            results[f"drag_{field}"] = run_script(
                "bench_drag", "--field", field, "--seconds", str(plan["drag_seconds"])
            )
    if "startup" in sections:
        results["startup"] = run_script("bench_startup", "--repeats", str(plan["startup"]))
    if "scaling" in sections:
        rows = [(s, SCALING_CHANNELS) for s in plan["sizes"]]
        rows += [(SCALING_SIZE, c) for c in plan["channels"] if (SCALING_SIZE, c) not in rows]
        results["scaling"] = [
            {
                "size": s,
                "channels": c,
                **run_script(
                    "bench_latency",
                    "--scene",
                    "custom",
                    "--size",
                    str(s),
                    "--channels",
                    str(c),
                    "--repeats",
                    str(plan["scaling_repeats"]),
                    "--warmup",
                    "1",
                    "--bare-stacks",
                    "2",
                ),
            }
            for s, c in rows
        ]
    if "fit" in sections:
        steps, repeats = plan["fit"]
        results["fit"] = run_script("bench_fit", "--steps", str(steps), "--repeats", str(repeats))
    return results


# ---------------------------------------------------------------------- the table
def _ms(x: float) -> str:
    return f"{x:,.0f} ms" if x >= 100 else f"{x:.1f} ms"


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"


def rows_of(results: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, median, baseline, ratio, target, met) rows of the summary table."""
    rows = []
    for scene in ("default", "heavy"):
        for edit, what in (
            ("pointwise", "1×1 out_channels edit"),
            ("seed", "seed edit, all layers"),
        ):
            r = results.get(f"latency_{scene}_{edit}")
            if not r:
                continue
            if "error" in r:
                rows.append((f"update {scene}, {what}", "error", "", "", "", "NO"))
                continue
            bare = r["bare_forward"]["median_ms"]
            excl = r["excl_debounce"]["median_ms"]
            incl = r["incl_debounce"]["median_ms"]
            target = latency_target(bare)
            bare_text = f"bare torch {_ms(bare)} ({r['bare_forward']['threads']} thr)"
            rows.append(
                (
                    f"update {scene}, {what} (excl. debounce)",
                    _ms(excl),
                    bare_text,
                    f"{excl / bare:.2f}×",
                    f"≤ {_ms(target)}",
                    _mark(excl <= target),
                )
            )
            rows.append(
                (
                    f"update {scene}, {what} (incl. {r['debounce_ms']} ms debounce)",
                    _ms(incl),
                    bare_text,
                    f"{incl / bare:.2f}×",
                    "",
                    "",
                )
            )
    r = results.get("repaint")
    if r and "error" not in r:
        grid = r["grid"]["median_ms"]
        mpl = r.get("matplotlib", {}).get("median_ms")
        if not mpl:
            rows.append(
                (
                    "repaint 64 × 256² maps",
                    _ms(grid),
                    "matplotlib: not installed",
                    "",
                    f"≤ {REPAINT_MS:.0f} ms",
                    _mark(grid <= REPAINT_MS),
                )
            )
        if mpl:
            rows.append(
                (
                    "repaint 64 × 256² maps",
                    _ms(grid),
                    f"matplotlib {_ms(mpl)}",
                    f"{mpl / grid:.0f}× faster",
                    f"≤ {REPAINT_MS:.0f} ms, ≥ {REPAINT_SPEEDUP:.0f}×",
                    _mark(grid <= REPAINT_MS and mpl / grid >= REPAINT_SPEEDUP),
                )
            )
    for field in ("out_channels", "kernel"):
        r = results.get(f"drag_{field}")
        if r and "error" not in r:
            rows.append(
                (
                    f"drag {field} slider, default scene",
                    f"{r['fps']:.1f} fps",
                    f"{r['offered_per_s']:.0f} edits/s offered",
                    f"{r['shown']:.2f} shown",
                    f"≥ {DRAG_FPS:.0f} fps",
                    _mark(r["fps"] >= DRAG_FPS),
                )
            )
    rows += startup_rows(results.get("startup"), WINDOW_MS, RESULTS_MS)
    r = results.get("fit")
    if r and "error" not in r:
        rows.append(
            (
                "fit, training steps/s (default scene)",
                f"{r['fit_steps_per_s']:.1f}/s",
                f"bare torch {r['bare_steps_per_s']:.1f}/s ({r['threads']} thr)",
                f"{r['ratio']:.2f}× (fastest runs {r['ratio_of_fastest']:.2f}×)",
                f"≥ {FIT_RATIO}× bare",
                _mark(r["ratio"] >= FIT_RATIO),
            )
        )
    for scene in ("default", "heavy"):
        r = results.get(f"latency_{scene}_pointwise")
        if r and "error" not in r:
            mb = r["peak_rss_mb"]
            target = f"≤ {MEMORY_MB:.0f} MB" if scene == "default" else ""
            rows.append(
                (
                    f"peak RSS, {scene} scene",
                    f"{mb:,.0f} MB",
                    "",
                    "",
                    target,
                    _mark(mb <= MEMORY_MB) if scene == "default" else "",
                )
            )
    return rows


def scaling_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for r in results.get("scaling", []):
        label = f"{r['size']}² × {r['channels']} ch"
        if "error" in r:
            rows.append((label, "error", "", "", "", ""))
            continue
        bare = r["bare_forward"]["median_ms"]
        excl = r["excl_debounce"]["median_ms"]
        rows.append(
            (
                label,
                _ms(excl),
                _ms(bare),
                f"{excl / bare:.2f}×",
                _ms(r["paint_after_run"]["median_ms"]),
                f"{r['peak_rss_mb']:,.0f} MB",
            )
        )
    return rows


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def report(data: dict[str, Any]) -> str:
    m = data["machine"]
    out = [
        f"Conv Explorer benchmarks ({data['mode']}), {data['date']}",
        f"{m['cpus']} CPUs ({m['processor']}), Python {m['python']}, torch {m.get('torch')} "
        f"({m.get('torch_threads')} threads), PySide6 {m['PySide6']}, pyqtgraph "
        f"{m['pyqtgraph']}, Qt platform offscreen; load average at start "
        f"{data['load_before'][0]:.1f}, at end {data['load_after'][0]:.1f}",
        "Medians; latency target applies to the figure without the debounce delay.",
        "",
        table(("figure", "median", "baseline", "ratio", "target", "met"), rows_of(data["results"])),
    ]
    missing = data["results"].get("repaint", {}).get("matplotlib_missing")
    if missing:
        out += ["", f"Note: {missing}."]
    srows = scaling_rows(data["results"])
    if srows:
        out += [
            "",
            "Scaling (separable 3→C then 1×1 C→C on an RGB image; 1×1 out_channels edit)",
            table(
                (
                    "input × channels",
                    "update",
                    "bare torch",
                    "ratio",
                    "paint after run",
                    "peak RSS",
                ),
                srows,
            ),
        ]
    errors = [(k, v) for k, v in data["results"].items() if isinstance(v, dict) and "error" in v]
    for key, err in errors:
        out += ["", f"{key}: {err['error']}", err.get("output_tail", "")]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Conv Explorer benchmarks")
    parser.add_argument("--quick", action="store_true", help="a smoke check of about a minute")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}"
    )
    args = parser.parse_args(argv)
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}")
    mode = "quick" if args.quick else "full"
    start = time.perf_counter()
    data: dict[str, Any] = {
        "mode": mode,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "load_before": os.getloadavg(),
    }
    data["results"] = collect(PLANS[mode], sections)
    data["load_after"] = os.getloadavg()
    data["seconds"] = time.perf_counter() - start
    data["targets"] = {
        "latency": f"<= {LATENCY_FACTOR} x bare forward + {LATENCY_SLACK_MS:.0f} ms "
        "(median, excluding the debounce delay)",
        "repaint_ms": REPAINT_MS,
        "repaint_speedup": REPAINT_SPEEDUP,
        "window_ms": WINDOW_MS,
        "first_results_ms": RESULTS_MS,
        "memory_default_mb": MEMORY_MB,
        "fit_ratio": FIT_RATIO,
    }
    print(report(data))
    print(f"\n({data['seconds']:.0f} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2))
        print(f"wrote {args.json}")
    failed = any(isinstance(v, dict) and "error" in v for v in data["results"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Long monkey runs on the real window with a stall watchdog (issue 16).

For each seed: a fresh MainWindow on the default scene, driven by
``tests/robustness/monkey.py`` for ``--seconds``; prints one line per seed (actions,
exceptions, scenes saved / reopened / unreopenable, longest GUI stall and the actions behind
the worst stalls), every exception in full, and the GUI thread's stack whenever it stops
ticking for ``--watchdog-ms`` (the watchdog thread). The last line is the JSON result.

Run::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_monkey.py --seeds 1 2 3 --seconds 90

The stall figure is a ratio-free measurement on purpose: it is the gap between ticks of a
10 ms timer on the GUI thread, so a frame budget (~17-33 ms) is the baseline to read it
against; the script also reports the heartbeat's median gap in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))
sys.path.insert(0, str(ROOT))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _guard_memory(limit_gb: float, monkey, seed: int) -> None:
    """A thread that ends the process when it grows past ``limit_gb`` (a shared machine
    must not swap), saying which action did it."""
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(0.1)
            rss = _rss_bytes()
            if rss > limit_gb * 2**30:
                print(
                    f"seed {seed}: STOPPED, the process grew to {rss / 2**30:.1f} GiB during "
                    f"{monkey._current!r} after {monkey.report.actions} actions",
                    flush=True,
                )
                os._exit(3)

    threading.Thread(target=watch, name="rss-guard", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--watchdog-ms", type=float, default=500.0)
    parser.add_argument(
        "--max-rss-gb",
        type=float,
        default=6.0,
        help="stop the process (exit 3) when it grows past this",
    )
    parser.add_argument("--trace", help="write each step to TRACE.SEED as it starts")
    parser.add_argument(
        "--stall-ms",
        type=float,
        default=50.0,
        help="count and list the heartbeat's gaps longer than this (default 50; at most 50)",
    )
    parser.add_argument(
        "--pause-ms",
        type=int,
        nargs=2,
        default=(0, 120),
        metavar=("LO", "HI"),
        help="random pause between actions (default 0 120; e.g. 300 1500 for a person's pace)",
    )
    parser.add_argument("--quiet", action="store_true", help="no stacks from the watchdog")
    parser.add_argument(
        "--clicks",
        action="store_true",
        help="also click random buttons (Start, Play, Apply…); changes every seed's path",
    )
    parser.add_argument(
        "--profile-ms",
        type=float,
        help="sample the GUI thread every 4 ms while it is late and print, per stall longer "
        "than this, where it was (and the totals over them)",
    )
    args = parser.parse_args(argv)
    import faulthandler

    faulthandler.enable()  # a crash prints the stacks of every thread
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CONV_EXPLORER_NO_SETTINGS", "1")
    scratch = Path(tempfile.mkdtemp(prefix="conv-explorer-monkey-"))
    os.environ.setdefault("CONV_EXPLORER_DATA_DIR", str(scratch / "data"))

    from monkey import Monkey, StallWatchdog, make_monkey_window, monkey_scene
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    def on_qt_message(_kind, _context, message: str) -> None:
        if "propagateSizeHints" not in message:
            print("Qt:", message, file=sys.stderr)

    qInstallMessageHandler(on_qt_message)
    app = QApplication.instance() or QApplication([])
    results = []
    for seed in args.seeds:
        folder = scratch / f"seed{seed}"
        folder.mkdir()
        scene = monkey_scene()
        win = make_monkey_window(scene, folder)
        watchdog = StallWatchdog(
            args.watchdog_ms,
            out=open(os.devnull, "w") if args.quiet else sys.stderr,
            profile_ms=args.profile_ms,
        )
        limit = min(args.stall_ms, 50.0)  # gaps over it are counted, then those over 50 and 100
        monkey = Monkey(win, folder, seed, stall_ms=limit, clicks=args.clicks)
        if args.profile_ms is not None:
            monkey.watchdog = watchdog.on_stall
            monkey.profile_ms = args.profile_ms
        monkey.beats.append(watchdog.beat)
        if args.trace:
            monkey.trace = open(f"{args.trace}.{seed}", "w")  # noqa: SIM115 (kept open)
        _guard_memory(args.max_rss_gb, monkey, seed)
        report = monkey.run(seconds=args.seconds, pause_ms=tuple(args.pause_ms))
        watchdog.stop()
        win.shutdown()
        win.close()
        win.deleteLater()
        app.processEvents()
        over = sum(ms > 100 for ms, _ in report.stalls)
        over_50 = sum(ms > 50 for ms, _ in report.stalls)
        counts = f"gaps over 50 ms: {over_50}, over 100: {over}"
        if limit < 50:
            counts = f"gaps over {limit:g} ms: {len(report.stalls)}, " + counts[5:]
        print(f"{report.summary()}; {counts}", flush=True)
        for text in report.exceptions:
            print(text, file=sys.stderr)
        for where, n in sorted(watchdog.samples.items(), key=lambda kv: -kv[1])[:8]:
            print(f"  stalled {n / 10:.1f} s in {where}")
        if args.profile_ms is not None:
            print(watchdog.profile_report(), flush=True)
        for text in report.unreopenable:
            print("  unreopenable:", text)
        results.append(
            {
                "seed": seed,
                "actions": report.actions,
                "seconds": round(report.seconds, 1),
                "exceptions": len(report.exceptions),
                "saved": report.saved,
                "reopened": report.reopened,
                "unreopenable": len(report.unreopenable),
                "longest_stall_ms": round(report.longest_stall_ms),
                "stalls_over_100ms": sum(ms > 100 for ms, _ in report.stalls),
                "stalls_over_50ms": over_50,
                f"stalls_over_{limit:g}ms": len(report.stalls),
                "worst": [[round(ms), what] for ms, what in report.top_stalls(5)],
                "stalled_in": dict(sorted(watchdog.samples.items(), key=lambda kv: -kv[1])[:8]),
            }
        )
    print("BENCH-RESULT " + json.dumps({"bench": "monkey", "runs": results}), flush=True)
    sys.stderr.flush()
    os._exit(0)  # skip the interpreter's teardown of Qt and pyqtgraph objects (it can crash)


if __name__ == "__main__":
    raise SystemExit(main())

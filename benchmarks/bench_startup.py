"""Start-up: process start → painted window, and → first feature maps painted.

Run by ``benchmarks/run.py``; on its own::

    python benchmarks/bench_startup.py --repeats 5

The parent takes ``t0`` (wall clock) just before it starts a child process and waits for
it with ``os.wait4``, which also gives the child's peak RSS. The child is this file with
``--child``: it installs a probe and calls ``explorer.cli.main([])`` — exactly what
``python -m explorer`` does, with no scene argument (the bundled default scene; settings and
autosave are pointed at an empty temporary folder). The probe needs no hook in the app:

* it wraps ``QApplication`` creation in :mod:`explorer.ui.app` to install an application
  event filter, which notes the first ``Paint`` of the main window (``window``);
* it wraps ``FeatureMapGrid.set_maps``; the first paint of the grid's view after maps
  were set is ``first results``. Then the child prints its timestamps and exits.

Each time is taken when a zero-delay timer posted from the ``Paint`` event fires, i.e.
after the paint pass. The CPU time of the child (``process_time``, all its threads) at
the same moments is reported too: on a busy machine it says what a quiet one would see. ``torch_before_window`` says whether torch was already imported
when the window was first painted (it should not be: the worker imports it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import APP_ROOT, bench_env, emit, summarize  # noqa: E402

TIMEOUT_S = 120.0
PREFIX = "STARTUP-PROBE "


def child() -> int:
    import explorer.ui.app as app_module
    from explorer.ui.views.feature_grid import FeatureMapGrid

    state = {
        "window": None,
        "maps_set": False,
        "results": None,
        "torch": None,
        "window_cpu": None,
        "results_cpu": None,
    }
    make_application = app_module._application

    def report() -> None:
        print(PREFIX + json.dumps(state), flush=True)
        sys.stdout.flush()
        os._exit(0)  # the teardown is not part of start-up

    def probed_application():
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QGraphicsView, QMainWindow

        app = make_application()

        class _Filter(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
                if event.type() == QEvent.Type.Paint:
                    if state["window"] is None and isinstance(obj, QMainWindow):
                        QTimer.singleShot(0, self.window_painted)
                    if state["maps_set"] and state["results"] is None:
                        view = obj.parent()
                        if isinstance(view, QGraphicsView) and _in_grid(view):
                            QTimer.singleShot(0, self.results_painted)
                return False

            def window_painted(self) -> None:
                if state["window"] is None:
                    state["window"] = time.time()
                    state["window_cpu"] = time.process_time()
                    state["torch"] = "torch" in sys.modules

            def results_painted(self) -> None:
                if state["results"] is None:
                    state["results"] = time.time()
                    state["results_cpu"] = time.process_time()
                    report()

        app._bench_filter = _Filter()
        app.installEventFilter(app._bench_filter)
        return app

    def _in_grid(view) -> bool:
        w = view
        while w is not None:
            if isinstance(w, FeatureMapGrid):
                return True
            w = w.parentWidget()
        return False

    set_maps = FeatureMapGrid.set_maps

    def probed_set_maps(self, *args, **kwargs):
        set_maps(self, *args, **kwargs)
        state["maps_set"] = True

    app_module._application = probed_application
    FeatureMapGrid.set_maps = probed_set_maps
    from explorer.cli import main

    return int(main([]) or 0)


def run_once() -> dict:
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child"],
        cwd=APP_ROOT,
        env=bench_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + TIMEOUT_S
    out = []
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append(line)
        if line.startswith(PREFIX) or time.monotonic() > deadline:
            break
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    found = [line for line in out if line.startswith(PREFIX)]
    if not found:
        raise SystemExit(f"the app printed no probe line (exit {proc.returncode}): {out[-5:]}")
    state = json.loads(found[-1][len(PREFIX) :])
    return {
        "window": state["window"] - t0,
        "results": state["results"] - t0,
        "torch_before_window": state["torch"],
        "window_cpu": state["window_cpu"],
        "results_cpu": state["results_cpu"],
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    runs = [run_once() for _ in range(args.repeats)]
    emit(
        {
            "bench": "startup",
            "window": summarize([r["window"] for r in runs]),
            "first_results": summarize([r["results"] for r in runs]),
            # CPU seconds of the app process (all threads) at those moments: less sensitive
            # to other work on the machine than the wall time
            "window_cpu": summarize([r["window_cpu"] for r in runs]),
            "first_results_cpu": summarize([r["results_cpu"] for r in runs]),
            "torch_before_window": any(r["torch_before_window"] for r in runs),
            "child_peak_rss_mb": sorted(r["peak_rss_mb"] for r in runs)[len(runs) // 2],
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

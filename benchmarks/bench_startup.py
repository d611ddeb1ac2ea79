"""Start-up: process start → painted window, and → first feature maps painted.

Run by ``benchmarks/run.py``; on its own::

    python benchmarks/bench_startup.py --repeats 5 [--modes source,bytecode]

The parent takes ``t0`` (wall clock) just before it starts a child process and waits for
it with ``os.wait4``, which also gives the child's peak RSS. So every figure includes the
interpreter's start and every import, as when a user starts the app. The child is this
file with ``--child``: it installs a probe and calls ``explorer.cli.main([])`` — exactly
what ``python -m explorer`` does, with no scene argument (the bundled default scene;
settings and autosave are pointed at an empty temporary folder). The probe needs no hook
in the app:

* it wraps ``QApplication`` creation in :mod:`explorer.ui.app` to install an application
  event filter, which notes the first ``Paint`` of the main window (``window``);
* it wraps ``FeatureMapGrid.set_maps``; the first paint of the grid's view after maps
  were set is ``first results``. Then the child prints its timestamps and exits.

Each time is taken when a zero-delay timer posted from the ``Paint`` event fires, i.e.
after the paint pass. The CPU time of the child (``process_time``, all its threads) at
the same moments is reported too: on a busy machine it says what a quiet one would see.
``torch_before_window`` says whether torch was already imported when the window's first
``Paint`` event came (it should not be: the first run, whose worker imports torch, waits
for that paint).

Baseline, measured the same way in the same run, alternating with the app: ``--baseline``
is the least any PySide6 + torch app could do — import ``PySide6.QtWidgets``, show a blank
``QMainWindow`` of the same size (``window``), then import torch on the GUI thread, run one
3×3 convolution on the default scene's input (3×256×256) and paint its result's mean in a
label (``first results``). Ratios are app ÷ baseline medians.

Modes: ``source`` runs with the environment as it is (this build machine sets
``PYTHONDONTWRITEBYTECODE=1`` and the checkout has no ``__pycache__``, so the app's own
sources are compiled on every start; the libraries have bytecode from pip); ``bytecode``
gives both children a fresh ``PYTHONPYCACHEPREFIX`` and lets them write bytecode, after
one unmeasured start of each, as an installed app has.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
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
                        if state["torch"] is None:  # at the paint itself
                            state["torch"] = "torch" in sys.modules
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


def baseline_child() -> int:
    """A blank window, then torch + one convolution painted: the baseline of the same run."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    state: dict[str, float | bool | None] = {"window": None, "results": None}
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    label = QLabel("…")
    window.setCentralWidget(label)
    avail = app.primaryScreen().availableGeometry()  # the app asks for 1500×920 at most
    window.resize(min(1500, avail.width()), min(920, avail.height()))

    def compute() -> None:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) - 1))  # as the app's worker
        x = torch.randn(1, 3, 256, 256)
        w = torch.randn(16, 3, 3, 3)
        with torch.inference_mode():
            y = torch.nn.functional.conv2d(x, w, padding=1)
        state["maps_set"] = True
        label.setText(f"{float(y.mean()):.3f}")

    class _Filter(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
            if event.type() == QEvent.Type.Paint:
                if state["window"] is None and obj is window:
                    QTimer.singleShot(0, self.window_painted)
                elif state.get("maps_set") and obj is label and state["results"] is None:
                    QTimer.singleShot(0, self.results_painted)
            return False

        def window_painted(self) -> None:
            if state["window"] is None:
                state["window"] = time.time()
                state["window_cpu"] = time.process_time()
                state["torch"] = "torch" in sys.modules
                QTimer.singleShot(0, compute)

        def results_painted(self) -> None:
            if state["results"] is None:
                state["results"] = time.time()
                state["results_cpu"] = time.process_time()
                print(PREFIX + json.dumps(state), flush=True)
                os._exit(0)

    filt = _Filter()
    app.installEventFilter(filt)
    window.show()
    return int(app.exec())


def child_env(mode: str, cache: str | None) -> dict[str, str]:
    """The children's environment in ``mode`` (``source`` or ``bytecode``, see above)."""
    env = bench_env()
    if mode == "bytecode":
        assert cache is not None
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


def run_once(kind: str, env: dict[str, str]) -> dict:
    """Start one child (``app`` or ``baseline``) and read its probe line."""
    flag = "--child" if kind == "app" else "--baseline"
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), flag],
        cwd=APP_ROOT,
        env=env,
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
        raise SystemExit(f"the {kind} printed no probe line (exit {proc.returncode}): {out[-5:]}")
    state = json.loads(found[-1][len(PREFIX) :])
    return {
        "window": state["window"] - t0,
        "results": state["results"] - t0,
        "torch_before_window": state["torch"],
        "window_cpu": state["window_cpu"],
        "results_cpu": state["results_cpu"],
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def measure(mode: str, repeats: int) -> dict:
    """``repeats`` starts of the app and of the baseline, alternating; medians and ratios."""
    with tempfile.TemporaryDirectory(prefix="conv-explorer-pyc-") as cache:
        env = child_env(mode, cache)
        if mode == "bytecode":  # write the bytecode once, unmeasured
            run_once("baseline", env)
            run_once("app", env)
        runs: dict[str, list[dict]] = {"app": [], "baseline": []}
        for _ in range(repeats):
            for kind in ("baseline", "app"):
                runs[kind].append(run_once(kind, env))
    app, base = runs["app"], runs["baseline"]
    out = {
        "window": summarize([r["window"] for r in app]),
        "first_results": summarize([r["results"] for r in app]),
        # CPU seconds of the app process (all threads) at those moments: less sensitive
        # to other work on the machine than the wall time
        "window_cpu": summarize([r["window_cpu"] for r in app]),
        "first_results_cpu": summarize([r["results_cpu"] for r in app]),
        "baseline_window": summarize([r["window"] for r in base]),
        "baseline_first_results": summarize([r["results"] for r in base]),
        "torch_before_window": any(r["torch_before_window"] for r in app),
        "child_peak_rss_mb": sorted(r["peak_rss_mb"] for r in app)[len(app) // 2],
    }
    for key in ("window", "first_results"):
        out[f"{key}_ratio"] = out[key]["median_ms"] / out[f"baseline_{key}"]["median_ms"]
    return out


def startup_rows(r: dict | None, window_ms: float, results_ms: float) -> list[tuple[str, ...]]:
    """Rows of ``run.py``'s table: figure, median, baseline, ratio, target, met; per mode."""
    if not r or "error" in r:
        return []
    rows = []
    for mode in ("source", "bytecode"):
        m = r.get(mode)
        if m is None:
            continue
        if mode == "source":
            how = "sources compiled" if r.get("dont_write_bytecode") else "as installed"
        else:
            how = "cached bytecode"
        for key, what, base, target in (
            ("window", "painted window", "blank PySide6 window", window_ms),
            ("first_results", "first feature maps", "blank window + torch conv", results_ms),
        ):
            median = m[key]["median_ms"]
            rows.append(
                (
                    f"start-up → {what} ({how})",
                    f"{median / 1000:.2f} s",
                    f"{base} {m[f'baseline_{key}']['median_ms'] / 1000:.2f} s",
                    f"{m[f'{key}_ratio']:.2f}×",
                    f"≤ {target / 1000:.1f} s",
                    "yes" if median <= target else "NO",
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--modes", default="source,bytecode", help="comma-separated: source, bytecode"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    if args.baseline:
        return baseline_child()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"source", "bytecode"}:
        parser.error("--modes takes source and/or bytecode")
    result: dict = {
        "bench": "startup",
        "dont_write_bytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
    }
    for mode in modes:
        result[mode] = measure(mode, args.repeats)
    # the figures of the first mode at the top level, as before (run.py reads them)
    result.update({k: v for k, v in result[modes[0]].items()})
    result["mode"] = modes[0]
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

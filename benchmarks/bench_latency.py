"""Update latency in the real window, offscreen: a field edit → every plot repainted.

Run by ``benchmarks/run.py``; on its own::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_latency.py --scene heavy --repeats 9

What is timed, per edit (``t0`` = just before ``SceneDocument.replace_layer``, the call the
layer editor makes when a spin box changes):

* ``incl_debounce``: ``t0`` → the end of the first paint pass in which the feature grid's
  view and every visible weight panel have been painted after the window handed them the
  new data, and the controller has reported ``run_finished`` for the edit's revision.
* ``excl_debounce``: the same end, measured from ``run_started`` (the moment the
  controller's debounce timer fires and the worker starts), i.e. without the deliberate
  wait for the user to stop typing. The latency target applies to this figure.

"The end of a paint pass" is taken when a zero-delay timer, posted from the ``Paint``
event of a watched viewport, fires: Qt paints all dirty widgets of a window in one pass
and flushes before it runs timers, so this is after the pixels are in the backing store.

Edits: ``pointwise``: ``out_channels`` of the last (pointwise) layer, which is selected,
so the grid and the weight view both change; each edit uses a value not used before, so
the edited layer always runs (its upstream layers come from the cache, as in the app).
``seed``: the scene's seed, which makes every layer run again.

Baseline: the bare torch forward of the same (edited) stacks,
``explorer.core.compute.build.build_stack`` under ``torch.inference_mode``, median of 5 after a
warm-up, measured in the same process after the window, with 1 and with all intra-op
threads; the faster is the baseline (see :func:`bare_forward`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import emit, load_named_scene, peak_rss_mb, summarize  # noqa: E402

TIMEOUT_S = 60.0


def _edit_values(base: int, n: int) -> list[int]:
    values, d = [], 1
    while len(values) < n:
        for v in (base + d, base - d):
            if v >= 1 and len(values) < n:
                values.append(v)
        d += 1
    return values


class _Probe:
    """Watches the window: data handed to the views, paints, and the controller's run."""

    def __init__(self, window) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QGraphicsView

        self.window = window
        self.QTimer = QTimer
        self.paint_type = QEvent.Type.Paint
        self.grid_views = window.feature_grid.findChildren(QGraphicsView)
        self.weight_views = window.weight_view.findChildren(QGraphicsView)
        self.reset(-1)
        probe = self

        class _Filter(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
                if event.type() == probe.paint_type:
                    probe.on_paint(obj)
                return False

        self.filter = _Filter()
        for view in self.grid_views + self.weight_views:
            view.viewport().installEventFilter(self.filter)
        grid, weights = window.feature_grid, window.weight_view
        set_maps, set_layer = grid.set_maps, weights.set_layer

        def timed_set_maps(*args, **kwargs):
            set_maps(*args, **kwargs)
            self.maps_set = time.perf_counter()
            self.grid_painted = False

        def timed_set_layer(*args, **kwargs):
            set_layer(*args, **kwargs)
            self.weights_set = time.perf_counter()
            self.weights_painted = {
                id(v.viewport()): False for v in self.weight_views if v.isVisibleTo(window)
            }

        grid.set_maps = timed_set_maps  # instance attributes: the window calls these
        weights.set_layer = timed_set_layer
        c = window.controller
        c.run_started.connect(self.on_run_started)
        c.run_finished.connect(self.on_run_finished)
        c.run_failed.connect(self.on_failed)

    def reset(self, revision: int) -> None:
        self.revision = revision
        self.run_started = self.run_finished = self.maps_set = self.weights_set = None
        self.grid_painted = False
        self.weights_painted: dict[int, bool] = {}
        self.end = None
        self.failed = None
        self.loop = None

    def on_run_started(self, revision: int) -> None:
        if revision == self.revision:
            self.run_started = time.perf_counter()

    def on_run_finished(self, revision: int, seconds: float) -> None:
        if revision == self.revision:
            self.run_finished = time.perf_counter()
            self.QTimer.singleShot(0, self.check)

    def on_failed(self, message: str) -> None:
        self.failed = message
        if self.loop is not None:
            self.loop.quit()

    def on_paint(self, viewport) -> None:
        if self.maps_set is not None and any(v.viewport() is viewport for v in self.grid_views):
            self.grid_painted = True
        if id(viewport) in self.weights_painted:
            self.weights_painted[id(viewport)] = True
        self.QTimer.singleShot(0, self.check)

    def done(self) -> bool:
        return (
            self.run_finished is not None
            and self.maps_set is not None
            and self.grid_painted
            and self.weights_set is not None
            and all(self.weights_painted.values())
        )

    def check(self) -> None:
        if self.end is None and self.done():
            self.end = time.perf_counter()
            if self.loop is not None:
                self.loop.quit()


def _wait(probe: _Probe, app) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    if probe.end is not None or probe.failed:
        return
    loop = QEventLoop()
    probe.loop = loop
    QTimer.singleShot(int(TIMEOUT_S * 1000), loop.quit)
    loop.exec()
    probe.loop = None
    if probe.end is None:
        raise SystemExit(f"no repaint within {TIMEOUT_S:.0f} s (failed: {probe.failed})")


def _settle(app, seconds: float = 0.15) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def measure_window(scene, edit: str, repeats: int, warmup: int) -> dict:
    from PySide6.QtWidgets import QApplication

    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    document = SceneDocument(scene)
    window = MainWindow(document, AppSettings(make_qsettings()), autosave=False)
    window.resize(1400, 900)
    probe = _Probe(window)
    last = len(scene.layers) - 1
    document.select(last)
    window.show()
    probe.reset(window.controller.revision)
    _wait(probe, app)  # the first run (torch import, first forward)
    _settle(app)

    base = scene.layers[last].out_channels
    values = _edit_values(base, warmup + repeats)
    incl, excl, runs, forwards, after_run = [], [], [], [], []
    edited, here = [], 0
    for i, value in enumerate(values):
        # the edit makes the next revision; a run may start inside the edit call itself
        probe.reset(window.controller.revision + 1)
        t0 = time.perf_counter()
        if edit == "seed":
            document.set_seed(scene.seed + 1 + i)
        else:
            spec = document.layers[last].with_changes(out_channels=value)
            document.replace_layer(last, spec)
        _wait(probe, app)
        if i >= warmup:
            incl.append(probe.end - t0)
            excl.append(probe.end - probe.run_started)
            runs.append(probe.run_finished - probe.run_started)
            after_run.append(probe.end - probe.run_finished)
            forwards.append(
                sum(r.seconds for r in window.controller.results.values() if not r.cached)
            )
            edited.append(document.scene)
            # a tiny run is done on the GUI thread (explorer.ui.state.inline_runs)
            here += bool(getattr(window.controller, "last_run_here", False))
        _settle(app)
    result = {
        "incl_debounce": summarize(incl),
        "excl_debounce": summarize(excl),
        "run": summarize(runs),
        "paint_after_run": summarize(after_run),
        "forward_in_app": summarize(forwards),
        "debounce_ms": window.controller._timer.interval(),
        "runs_on_gui_thread": here,
        "peak_rss_mb": peak_rss_mb(),
    }
    window.shutdown()
    window.close()
    return result, edited


def bare_forward(scenes, repeats: int = 5) -> dict:
    """Bare torch forward of each edited scene's whole stack.

    Measured with each torch intra-op thread count in ``{1, cpus // 2, cpus}``; for each
    count the median over ``repeats`` (after one warm-up) per scene, then the median over
    scenes. The baseline is the fastest count (on a busy two-core machine, one thread is
    often faster than torch's default of two).
    """
    import os

    import torch

    from explorer.core.compute.build import build_stack
    from explorer.core.compute.run import quiet_same_padding
    from explorer.core.io.inputs import resolve_input

    cpus = os.cpu_count() or 1
    before = torch.get_num_threads()
    by_threads = {}
    for threads in sorted({1, max(1, cpus // 2), cpus}):
        torch.set_num_threads(threads)
        per_scene = []
        for scene in scenes:
            image = resolve_input(scene.input, scene.seed)
            x = torch.from_numpy(image)[None]
            model = build_stack(scene.layers, image.shape[0], seed=scene.seed)
            times = []
            with torch.inference_mode(), quiet_same_padding():
                model(x)  # warm-up
                for _ in range(repeats):
                    start = time.perf_counter()
                    model(x)
                    times.append(time.perf_counter() - start)
            per_scene.append(statistics.median(times))
        by_threads[threads] = summarize(per_scene)
    torch.set_num_threads(before)
    best = min(by_threads, key=lambda t: by_threads[t]["median_ms"])
    return {
        **by_threads[best],
        "threads": best,
        "by_threads": {str(t): v["median_ms"] for t, v in by_threads.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", default="default", choices=["default", "heavy", "custom"])
    parser.add_argument("--size", type=int)
    parser.add_argument("--channels", type=int)
    parser.add_argument("--edit", default="pointwise", choices=["pointwise", "seed"])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--bare-stacks", type=int, default=5, help="how many of the edited stacks the baseline runs"
    )
    args = parser.parse_args(argv)
    scene = load_named_scene(args.scene, args.size, args.channels)
    window, edited = measure_window(scene, args.edit, args.repeats, args.warmup)
    # a few of the edited stacks (evenly spaced) keep the baseline's cost in bounds
    step = max(1, len(edited) // args.bare_stacks)
    bare = bare_forward(
        edited[::step][: args.bare_stacks], repeats=3 if args.scene != "default" else 5
    )
    from explorer.core.io.inputs import input_shape

    emit(
        {
            "bench": "latency",
            "scene": args.scene,
            "edit": args.edit,
            "input_shape": list(input_shape(scene.input)),
            "layers": [s.kind for s in scene.layers],
            **window,
            "bare_forward": bare,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

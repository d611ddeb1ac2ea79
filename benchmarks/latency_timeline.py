"""Where an edit's update latency goes: a timeline of 1×1 edits in the real window.

A diagnostic, not a figure of the summary table. It drives the same loop as
``bench_latency.py`` (the default scene, its last layer selected, ``out_channels`` edited to a
value not used before) and prints, relative to ``run_started``:

* the median edit's events on both threads (the run's items, the controller's and the
  window's slots, ``set_maps``/``set_layer``, paint events of every widget and the start
  and end of each graphics view's paint), and the median time of each event;
* GUI-thread CPU per edit (``time.thread_time`` from the edit to the measured paint);
* paint events per edit of every widget and of each graphics view, and each view's paint
  time; the window's paint passes (update requests) in which the result's views painted.

Run as ``QT_QPA_PLATFORM=offscreen python benchmarks/latency_timeline.py [--edits 30]
[--profile]``; ``CONV_EXPLORER_BENCH_APP`` measures another checkout (before/after pairs).
It wraps private methods of the window and controller by name: a version whose names differ
reports fewer events.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_latency as bl  # noqa: E402
from bench_common import load_named_scene  # noqa: E402

MARKS: list[tuple[str, float, str]] = []


def mark(name: str) -> None:
    MARKS.append((name, time.perf_counter(), threading.current_thread().name))


def _wrap(obj, name: str) -> None:
    if not hasattr(obj, name):
        return
    func = getattr(obj, name)

    def wrapper(*args, **kwargs):
        mark(name + ">")
        try:
            return func(*args, **kwargs)
        finally:
            mark(name + "<")

    setattr(obj, name, wrapper)


def _wrap_job(controller) -> None:
    job = controller._job

    def timed(request):
        mark("job>")
        gen = job(request)
        try:
            while True:
                item = next(gen)
                mark("yield:" + item[0])
                yield item
        except StopIteration as stop:
            mark("job<")
            return stop.value

    controller._job = timed


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0915 - one diagnostic loop
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument(
        "--edit", default="pointwise", choices=["pointwise", "seed"], help="as bench_latency"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile of the GUI thread")
    parser.add_argument("--dump", metavar="FILE", help="also save the profile (pstats format)")
    args = parser.parse_args(argv)

    import pyqtgraph.widgets.GraphicsView as gv
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QGraphicsView

    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    scene = load_named_scene("default", None, None)
    document = SceneDocument(scene)
    window = MainWindow(document, AppSettings(make_qsettings()), autosave=False)
    window.resize(1400, 900)
    probe = bl._Probe(window)
    c = window.controller
    _wrap_job(c)
    for obj, name in (
        (c, "_on_yielded"),
        (c, "_on_returned"),
        (window, "show_selected"),
        (window.feature_grid, "set_maps"),
        (window.weight_view, "set_layer"),
    ):
        _wrap(obj, name)

    names = {}
    for view in window.findChildren(QGraphicsView):
        names[id(view.viewport())] = type(view.parent()).__name__
    for slot, panel in getattr(window.weight_view, "_panels", {}).items():
        names[id(panel.view.viewport())] = "weights:" + slot
    view_paints: dict[str, int] = defaultdict(int)
    widget_paints: dict[str, int] = defaultdict(int)
    paint_ms: dict[str, list[float]] = defaultdict(list)
    paint_event, update_request = QEvent.Type.Paint, QEvent.Type.UpdateRequest
    # paint passes of the window (its update requests) in which a view of the result painted
    passes = {"current": 0, "seen": set()}

    class _Paints(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
            if event.type() == update_request and obj is window:
                passes["current"] += 1
            if event.type() == paint_event and obj.isWidgetType():
                parent = obj.parent()
                key = f"{type(obj).__name__}:{obj.objectName() or type(parent).__name__}"
                widget_paints[key] += 1
                if id(obj) in names:
                    view_paints[names[id(obj)]] += 1
                    if names[id(obj)] != "CostView":  # the edit's own pass, before the run
                        passes["seen"].add(passes["current"])
                elif not isinstance(parent, QGraphicsView):
                    mark("P:" + key)
            return False

    watcher = _Paints()
    app.installEventFilter(watcher)
    paint = gv.GraphicsView.paintEvent

    def timed_paint(self, event):
        name = names.get(id(self.viewport()), "?")
        mark("paint>" + name)
        start = time.perf_counter()
        try:
            return paint(self, event)
        finally:
            paint_ms[name].append((time.perf_counter() - start) * 1e3)
            mark("paint<" + name)

    gv.GraphicsView.paintEvent = timed_paint

    last = len(scene.layers) - 1
    document.select(last)
    window.show()
    probe.reset(c.revision)
    bl._wait(probe, app)
    bl._settle(app, 0.5)
    values = bl._edit_values(scene.layers[last].out_channels, args.edits + 2)
    rows, cpu, pass_counts = [], [], []
    profile = cProfile.Profile() if args.profile else None
    for i, value in enumerate(values):
        MARKS.clear()
        passes["seen"] = set()
        probe.reset(c.revision + 1)
        cpu0, t0 = time.thread_time(), time.perf_counter()
        if profile is not None and i >= 2:
            profile.enable()
        if args.edit == "seed":
            document.set_seed(scene.seed + 1 + i)
        else:
            document.replace_layer(last, document.layers[last].with_changes(out_channels=value))
        bl._wait(probe, app)
        if profile is not None and i >= 2:
            profile.disable()
        if i >= 2:
            cpu.append((time.thread_time() - cpu0) * 1e3)
            pass_counts.append(len(passes["seen"]))
            zero = probe.run_started
            rows.append(
                [(n, (t - zero) * 1e3, th) for n, t, th in MARKS]
                + [("END", (probe.end - zero) * 1e3, ""), ("EDIT", (t0 - zero) * 1e3, "")]
            )
        if i == 1:
            view_paints.clear()
            widget_paints.clear()
            paint_ms.clear()
        bl._settle(app)
    window.shutdown()
    window.close()

    def end_of(row):
        return next(t for n, t, _ in row if n == "END")

    median_row = sorted(rows, key=end_of)[len(rows) // 2]
    print("the median edit, ms from run_started:")
    for n, t, th in sorted(median_row, key=lambda x: x[1]):
        print(f"{t:8.2f}  {n:45s} {th}")
    events = defaultdict(list)
    for row in rows:
        seen: dict[str, int] = defaultdict(int)
        for n, t, _ in row:
            events[f"{n}#{seen[n]}"].append(t)
            seen[n] += 1
    print("\nmedian time of each event (each over the edits that had it):")
    for key in sorted(events, key=lambda k: statistics.median(events[k])):
        ts = events[key]
        print(f"{statistics.median(ts):8.2f}  n={len(ts):3d}  {key}")
    n = len(rows)
    print(f"\nGUI-thread CPU per edit: median {statistics.median(cpu):.2f} ms")
    print("paint passes of the window with the result's views, per edit:", pass_counts)
    print("graphics views painted per edit:", {k: round(v / n, 2) for k, v in view_paints.items()})
    print(
        "their paint time, median ms:",
        {k: round(statistics.median(v), 2) for k, v in paint_ms.items()},
    )
    print(
        "widgets painted per edit:",
        sorted(((round(v / n, 2), k) for k, v in widget_paints.items()), reverse=True),
    )
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(50)
        print(out.getvalue())
        if args.dump:
            profile.dump_stats(args.dump)
    return 0


if __name__ == "__main__":
    sys.exit(main())
